"""Reading inspections: the country's list, a holder's outcomes, the counterpart focal points."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.extensions import db
from certreg.focalpoints import services as focalpoints
from certreg.focalpoints.models import FocalPoint
from certreg.inspections import access
from certreg.inspections.models import CylinderCheck, Decision, Inspection, ReadingVerdict, Seizure
from certreg.vocabulary import Role


def list_inspections(actor: Actor, country_code: str, *, page: int = 1, per_page: int = 30):
    actor.require(access.can_read(actor, country_code))
    query = (sa.select(Inspection).where(Inspection.country_code == country_code)
             .order_by(Inspection.started_at.desc(), Inspection.id.desc()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


@dataclass(frozen=True)
class Outcome:
    """What a holder sees of an inspection concerning it: when, what kind of place, the decision and findings."""

    started_at: object
    place_kind: object
    decision: Decision | None
    mismatches: int
    seized: bool


def outcomes(actor: Actor) -> list[Outcome]:
    """The inspections concerning the actor's company (company users) or the actor (technicians)."""
    actor.require(actor.has_role(Role.COMPANY_USER, Role.TECHNICIAN))
    user = actor.user
    column, value = ((Inspection.company_id, user.company_id) if actor.has_role(Role.COMPANY_USER)
                     else (Inspection.technician_id, user.technician_id))
    if value is None:
        return []
    found = db.session.scalars(sa.select(Inspection).where(column == value).order_by(Inspection.started_at.desc()))
    return [Outcome(i.started_at, i.place_kind, i.decision,
                    sum(1 for c in i.cylinders if c.verdict is ReadingVerdict.MISMATCH), i.seizure is not None)
            for i in found]


def counterparts(inspection: Inspection) -> dict[str, list[FocalPoint]]:
    """For a mismatch or seizure involving a foreign exporter or cylinder: each foreign country's ozone unit
    and customs focal points (the inspector's counterparts), by country code."""
    checks = list(db.session.scalars(sa.select(CylinderCheck).where(CylinderCheck.inspection_id == inspection.id)))
    seized = db.session.scalar(sa.select(Seizure.id).where(Seizure.inspection_id == inspection.id)) is not None
    if not seized and not any(c.verdict is ReadingVerdict.MISMATCH for c in checks):
        return {}
    countries = {inspection.foreign_country}
    for check in checks:
        countries.add(check.origin_country)
        if check.cylinder is not None:
            countries.add(check.cylinder.country_code)
    countries -= {None, inspection.country_code}
    return {code: focalpoints.counterparts(code) for code in sorted(countries)}
