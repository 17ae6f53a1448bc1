"""Who may do what with certificates.

Only **certifying officers of the holder's country** (and the ``flask`` command line)
issue, renew, suspend, reinstate and revoke. Administrators manage categories and users
but do not certify: separation of duties, so no single account can both create an
officer and issue. Officials of the country read everything; holders read their own, and a
company its current staff's.
"""

from __future__ import annotations

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.certificates.models import Certificate
from certreg.extensions import db
from certreg.registry.models import Employment
from certreg.vocabulary import OFFICIAL_ROLES, HolderKind, Role

CERTIFIERS = (Role.CERTIFYING_OFFICER,)


def can_certify(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, *CERTIFIERS)


def can_manage_categories(actor: Actor, country_code: str | None) -> bool:
    return actor.is_system or (country_code is not None and actor.in_country(country_code, Role.ADMIN))


def can_view(actor: Actor, cert: Certificate) -> bool:
    """Officials of the issuing country, the holder, and a company for its current staff."""
    if actor.is_system or actor.in_country(cert.country_code, *OFFICIAL_ROLES):
        return True
    if cert.holder_kind is HolderKind.TECHNICIAN:
        if actor.acts_for_technician(cert.technician_id):
            return True
        if actor.has_role(Role.COMPANY_USER):
            return db.session.scalar(
                sa.select(Employment.id).where(
                    Employment.technician_id == cert.technician_id,
                    Employment.company_id == actor.user.company_id,
                    Employment.ended_on.is_(None),
                )
            ) is not None
        return False
    return actor.acts_for_company(cert.company_id)


def can_list(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, *OFFICIAL_ROLES)
