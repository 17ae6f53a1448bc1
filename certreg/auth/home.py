"""What each role's home page shows: the things that person does most."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.extensions import db
from certreg.registry.models import Company, Technician
from certreg.vocabulary import Role


def home_context(actor: Actor) -> dict[str, Any]:
    user = actor.user
    # Each feature adds the template of its panel for this role (e.g. certificates expiring soon).
    context: dict[str, Any] = {"panels": ["certificates/_home_panel.html", "logbook/_home_panel.html"]}
    if user.role in (Role.ADMIN, Role.AUDITOR):
        context["panels"].append("reports/_home_panel.html")
    if user.role is Role.ADMIN:
        context["panels"].append("countries/_home_panel.html")
    if user.role in (Role.ADMIN, Role.CERTIFYING_OFFICER):
        context["panels"].append("quotas/_home_panel.html")
    if user.role in (Role.ADMIN, Role.INSPECTOR):
        context["panels"].append("shipments/_home_panel.html")
    if user.role in (Role.INSPECTOR, Role.ADMIN, Role.AUDITOR, Role.COMPANY_USER, Role.TECHNICIAN):
        context["panels"].append("inspections/_home_panel.html")
    if user.role in (Role.ADMIN, Role.CERTIFYING_OFFICER, Role.AUDITOR, Role.INSPECTOR):
        context["technician_count"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(Technician).where(Technician.country_code == user.country_code)
        )
        context["company_count"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(Company).where(Company.country_code == user.country_code)
        )
        context["recent_technicians"] = db.session.scalars(
            sa.select(Technician).where(Technician.country_code == user.country_code)
            .order_by(Technician.id.desc()).limit(5)
        ).all()
        context["recent_companies"] = db.session.scalars(
            sa.select(Company).where(Company.country_code == user.country_code).order_by(Company.id.desc()).limit(5)
        ).all()
    if user.role is Role.COMPANY_USER:
        context["company"] = user.company
    if user.role is Role.TECHNICIAN:
        context["technician"] = user.technician
    return context
