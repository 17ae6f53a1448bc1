"""Template globals: navigation per role, labels."""

from __future__ import annotations

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from certreg.cylinders.models import MENU_LABEL as CYLINDERS_MENU_LABEL
from certreg.focalpoints.models import MENU_LABEL as FOCAL_POINTS_MENU_LABEL
from certreg.inspections.models import MENU_LABEL as INSPECTIONS_MENU_LABEL
from certreg.logbook.models import EQUIPMENT_MENU_LABEL
from certreg.registry.models import ACTIVITY_LABELS, AUTHORITY_KIND_LABELS
from certreg.substances.models import MENU_LABEL as SUBSTANCES_MENU_LABEL
from certreg.vocabulary import ROLE_LABELS, Role

# (endpoint, label, roles that see it). An entry whose endpoint does not exist yet is skipped.
NAVIGATION = [
    ("auth.home", _l("Home"), None),
    ("registry.technicians", _l("Technicians"), {Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR, Role.AUDITOR}),
    ("registry.companies", _l("Companies"), {Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR, Role.AUDITOR}),
    ("certificates.index", _l("Certificates"), {Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR, Role.AUDITOR}),
    ("verify.scans", _l("My checks"), {Role.INSPECTOR}),
    ("logbook.index", _l("Logbook"), {Role.COMPANY_USER, Role.TECHNICIAN, Role.ADMIN, Role.CERTIFYING_OFFICER,
                                      Role.INSPECTOR, Role.AUDITOR}),
    ("logbook.equipment_list", EQUIPMENT_MENU_LABEL, {Role.COMPANY_USER, Role.TECHNICIAN}),
    ("licences.index", _l("Licences"), {Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR, Role.AUDITOR,
                                         Role.COMPANY_USER}),
    ("quotas.dashboard", _l("Quotas"), {Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR, Role.AUDITOR,
                                        Role.COMPANY_USER}),
    ("cylinders.index", CYLINDERS_MENU_LABEL, {Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR, Role.AUDITOR}),
    ("shipments.index", _l("Shipments"), {Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR, Role.AUDITOR,
                                          Role.COMPANY_USER}),
    ("inspections.index", INSPECTIONS_MENU_LABEL, {Role.ADMIN, Role.INSPECTOR, Role.AUDITOR}),
    ("inspections.outcomes", INSPECTIONS_MENU_LABEL, {Role.COMPANY_USER, Role.TECHNICIAN}),
    ("focalpoints.index", FOCAL_POINTS_MENU_LABEL, {Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR, Role.AUDITOR}),
    ("reports.dashboard", _l("Dashboard"), {Role.ADMIN, Role.AUDITOR}),
    ("audit.index", _l("Audit trail"), {Role.ADMIN, Role.AUDITOR}),
    ("registry.search", _l("Public search"), None),
    ("substances.index", SUBSTANCES_MENU_LABEL, None),
    ("auth.users", _l("Users"), {Role.ADMIN}),
    ("countries.settings", _l("Country settings"), {Role.ADMIN}),
    ("registry.authorities", _l("Issuing authorities"), {Role.ADMIN, Role.CERTIFYING_OFFICER, Role.AUDITOR}),
    ("federation.peer_list", _l("Peer installations"), {Role.ADMIN}),
    ("federation.ask", _l("Ask a peer"), {Role.CERTIFYING_OFFICER, Role.INSPECTOR}),
    ("federation.licensees", _l("Partner licensees"), {Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR}),
    ("federation.alerts_received", _l("Seizure alerts from partners"), {Role.ADMIN, Role.INSPECTOR, Role.AUDITOR}),
    ("auth.account", _l("Account"), None),
]


def init_app(app: Flask) -> None:
    @app.context_processor
    def navigation():
        items = []
        if current_user.is_authenticated:
            for endpoint, label, roles in NAVIGATION:
                if endpoint in app.view_functions and (roles is None or current_user.role in roles):
                    items.append((url_for(endpoint), label, endpoint))
        return {"nav_items": items, "role_labels": ROLE_LABELS, "activity_labels": ACTIVITY_LABELS,
                "authority_kind_labels": AUTHORITY_KIND_LABELS}
