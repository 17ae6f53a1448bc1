"""The custody history's writer and the one fill path (import, refill, recovery) every surface uses.

A fill re-signs the label token (the claims say what the cylinder holds after it); labels printed
before keep their old claims, which the scan page compares with the register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders import labelling, rules
from certreg.cylinders.models import ContentCondition, Cylinder, CylinderEvent, CylinderStatus, EventKind
from certreg.cylinders.settings import check_not_banned
from certreg.db import today as utc_today
from certreg.extensions import db
from certreg.registry.models import Company, Technician
from certreg.substances import services as substances


@dataclass
class FillData:
    substance_code: str
    net_kg: Decimal
    condition: ContentCondition = ContentCondition.VIRGIN
    fill_date: date | None = None
    filled_by: str | None = None
    batch: str | None = None
    origin_country: str | None = None
    mixed: bool = False


def state_of(cylinder: Cylinder) -> rules.State:
    return rules.State(kind=cylinder.kind, status=cylinder.status, water_capacity_l=cylinder.water_capacity_l,
                       substance_code=cylinder.substance_code, net_kg=cylinder.net_kg, condition=cylinder.condition,
                       fills=cylinder.fills, mixed=cylinder.mixed)


def lock(cylinder: Cylinder) -> Cylinder:
    """Reload the row locked for update (PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE)."""
    db.session.execute(sa.select(Cylinder.id).where(Cylinder.id == cylinder.id).with_for_update())
    db.session.refresh(cylinder)
    return cylinder


def add_event(actor: Actor, cylinder: Cylinder, kind: EventKind, *, kg: Decimal = Decimal("0"),
              to: Company | Technician | None = None, note: str | None = None) -> CylinderEvent:
    event = CylinderEvent(
        cylinder_id=cylinder.id, kind=kind, kg=kg, net_kg_after=cylinder.net_kg,
        substance_code=cylinder.substance_code, condition=cylinder.condition,
        to_company_id=to.id if isinstance(to, Company) else None,
        to_technician_id=to.id if isinstance(to, Technician) else None,
        actor_user_id=actor.user_id, actor_label=actor.label[:255], note=note,
    )
    db.session.add(event)
    db.session.flush()
    return event


def apply_fill(actor: Actor, cylinder: Cylinder, data: FillData, kind: EventKind = EventKind.FILL) -> CylinderEvent:
    """Check and record a fill; the caller has checked who may do it."""
    substance = substances.resolve(data.substance_code)
    lock(cylinder)
    if kind is EventKind.RECOVERY:
        rules.check_recovery(state_of(cylinder))
    rules.check_fill(state_of(cylinder), substance.code, data.net_kg, data.condition, mixed=data.mixed)
    check_not_banned(cylinder.country_code, cylinder.kind, data.fill_date or utc_today())
    cylinder.substance_code = substance.code
    cylinder.net_kg = cylinder.net_kg + data.net_kg
    cylinder.condition = data.condition
    cylinder.mixed = cylinder.mixed or data.mixed
    cylinder.fills = cylinder.fills + 1
    cylinder.fill_date = data.fill_date or utc_today()
    cylinder.filled_by = data.filled_by or cylinder.filled_by
    cylinder.batch = data.batch or cylinder.batch
    cylinder.origin_country = data.origin_country or cylinder.origin_country
    if cylinder.status is CylinderStatus.EMPTY:
        cylinder.status = (CylinderStatus.WITH_TECHNICIAN if cylinder.custodian_technician_id
                           else CylinderStatus.IN_STOCK)
    if cylinder.token:  # a refill: the label to print now says what the cylinder holds now
        labelling.sign_label(cylinder)
    db.session.flush()
    return add_event(actor, cylinder, kind, kg=data.net_kg)
