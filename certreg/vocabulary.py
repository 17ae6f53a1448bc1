"""The words every feature shares: who acts (roles) and who holds (technician or company).

They sit below every feature, so that a feature naming a role or a holder kind imports nothing of
another feature (``import-linter``'s contracts in ``pyproject.toml``).
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    ADMIN = "admin"
    CERTIFYING_OFFICER = "certifying_officer"
    INSPECTOR = "inspector"
    AUDITOR = "auditor"
    COMPANY_USER = "company_user"
    TECHNICIAN = "technician"


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator (national ozone unit)"),
    Role.CERTIFYING_OFFICER: _l("Certifying officer"),
    Role.INSPECTOR: _l("Inspector"),
    Role.AUDITOR: _l("Auditor (read-only)"),
    Role.COMPANY_USER: _l("Company user"),
    Role.TECHNICIAN: _l("Technician"),
}

#: Roles that work for the state in their country (they see the country's non-public data).
OFFICIAL_ROLES = frozenset({Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR, Role.AUDITOR})


class HolderKind(enum.StrEnum):
    """Who holds a certificate or a logbook."""

    TECHNICIAN = "technician"
    COMPANY = "company"
