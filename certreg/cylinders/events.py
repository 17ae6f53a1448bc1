"""The custody history's writer and the one path of each change (fill, charge, custody ...) every surface uses.

Every event is a leaf of the country's tamper-evident log (:mod:`.custody_log`): the caller
holds the log locked (:func:`logged`, or the logbook's append of the entry that causes the
event) before it touches a cylinder row, so every writer takes the locks in one order. The
``apply_*`` functions check the rules and record; who may act is the caller's check.

A fill re-signs the label token (the claims say what the cylinder holds after it); labels printed
before keep their old claims, which the scan page compares with the register."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.cylinders import custody_log, labelling, rules
from certreg.cylinders.models import ContentCondition, Cylinder, CylinderEvent, CylinderStatus, EventKind
from certreg.cylinders.settings import check_not_banned
from certreg.db import today as utc_today
from certreg.db import utcnow
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.logbook.ledger import Head
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


@contextmanager
def logged(country_code: str) -> Iterator[Head]:
    """Lock the country's log for the events recorded in the block, and write its head after them."""
    head = custody_log.lock(country_code)
    yield head
    custody_log.save(head, utcnow())


def add_event(actor: Actor, head: Head, cylinder: Cylinder, kind: EventKind, *, kg: Decimal = Decimal("0"),
              to: Company | Technician | None = None, note: str | None = None,
              entry_id: int | None = None) -> CylinderEvent:
    """Append the event to the history and to the country's log (``head``, locked by the caller)."""
    values = {
        "cylinder_id": cylinder.id, "kind": kind, "kg": kg, "net_kg_after": cylinder.net_kg,
        "substance_code": cylinder.substance_code, "condition": cylinder.condition,
        "to_company_id": to.id if isinstance(to, Company) else None,
        "to_technician_id": to.id if isinstance(to, Technician) else None,
        "actor_user_id": actor.user_id, "actor_label": actor.label[:255], "note": note, "entry_id": entry_id,
        "at": utcnow(),
    }
    return custody_log.append(head, values, cylinder.serial)


def apply_fill(actor: Actor, head: Head, cylinder: Cylinder, data: FillData, kind: EventKind = EventKind.FILL,
               *, entry_id: int | None = None) -> CylinderEvent:
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
    return add_event(actor, head, cylinder, kind, kg=data.net_kg, entry_id=entry_id)


def apply_charge(actor: Actor, head: Head, cylinder: Cylinder, kg: Decimal, *, note: str | None = None,
                 entry_id: int | None = None) -> CylinderEvent:
    """Draw ``kg``: one conditional ``UPDATE ... WHERE net_kg >= :kg``, so no interleaving goes below zero."""
    rules.check_quantity(kg)
    table = Cylinder.__table__
    drawn = db.session.execute(
        sa.update(table).where(table.c.id == cylinder.id, table.c.net_kg >= kg,
                               table.c.status.not_in([s.value for s in rules.CLOSED]))
        .values(net_kg=table.c.net_kg - kg).returning(table.c.net_kg)
    ).scalar_one_or_none()
    db.session.refresh(cylinder)
    if drawn is None:
        rules.check_draw(state_of(cylinder), kg)  # says why
        raise ValidationFailed.for_field("net_kg", _("The charge could not be drawn."), "contents_below_zero")
    if cylinder.net_kg == 0:
        cylinder.status = CylinderStatus.EMPTY
        db.session.flush()
    return add_event(actor, head, cylinder, EventKind.CHARGE, kg=-kg, note=note, entry_id=entry_id)


def apply_custody(actor: Actor, head: Head, cylinder: Cylinder, to: Company | Technician, *,
                  kind: EventKind = EventKind.TRANSFER, entry_id: int | None = None) -> CylinderEvent:
    """Custody moves to ``to`` (the rules of a sale were checked by the caller)."""
    if to.country_code != cylinder.country_code:
        raise ValidationFailed.for_field("to", _("Custody stays within the country's register."),
                                         "custodian_other_country")
    cylinder.custodian_company = to if isinstance(to, Company) else None
    cylinder.custodian_technician = to if isinstance(to, Technician) else None
    if kind is EventKind.RETURN:
        cylinder.status = CylinderStatus.RETURNED
    elif cylinder.net_kg > 0:
        cylinder.status = CylinderStatus.WITH_TECHNICIAN if isinstance(to, Technician) else CylinderStatus.IN_STOCK
    db.session.flush()
    return add_event(actor, head, cylinder, kind, to=to, entry_id=entry_id)


def apply_reclaim(actor: Actor, head: Head, cylinder: Cylinder, *, entry_id: int | None = None) -> CylinderEvent:
    lock(cylinder)
    rules.check_open(state_of(cylinder))
    if cylinder.net_kg == 0 or cylinder.mixed:
        raise ValidationFailed.for_field("serial", _("Only a cylinder holding one substance can be reclaimed."),
                                         "substances_mixed")
    cylinder.condition = ContentCondition.RECLAIMED
    db.session.flush()
    return add_event(actor, head, cylinder, EventKind.RECLAIM, entry_id=entry_id)


def apply_destroy(actor: Actor, head: Head, cylinder: Cylinder, *, note: str | None = None,
                  entry_id: int | None = None) -> CylinderEvent:
    lock(cylinder)
    rules.check_open(state_of(cylinder))
    destroyed = cylinder.net_kg
    cylinder.net_kg = Decimal("0")
    cylinder.status = CylinderStatus.DESTROYED
    db.session.flush()
    return add_event(actor, head, cylinder, EventKind.DESTROY, kg=-destroyed, note=note, entry_id=entry_id)


def apply_lost(actor: Actor, head: Head, cylinder: Cylinder, *, note: str | None = None) -> CylinderEvent:
    """Reported lost or stolen: closed (nothing more is recorded on it), its label's status says so."""
    lock(cylinder)
    rules.check_open(state_of(cylinder))
    cylinder.status = CylinderStatus.LOST
    db.session.flush()
    return add_event(actor, head, cylinder, EventKind.LOST, note=note)


def apply_found(actor: Actor, head: Head, cylinder: Cylinder, *, note: str | None = None) -> CylinderEvent:
    """A lost cylinder reported found: open again, with the status its contents and custodian give (custody is
    as it was); its label's status is no longer suspended."""
    lock(cylinder)
    rules.check_lost(state_of(cylinder))
    cylinder.status = (CylinderStatus.EMPTY if cylinder.net_kg == 0
                       else CylinderStatus.WITH_TECHNICIAN if cylinder.custodian_technician_id
                       else CylinderStatus.IN_STOCK)
    db.session.flush()
    return add_event(actor, head, cylinder, EventKind.FOUND, note=note)


def apply_reversal(actor: Actor, head: Head, cylinder: Cylinder, kg: Decimal, *, entry_id: int) -> CylinderEvent:
    """Undo ``kg`` that an entry's event changed (the entry ``entry_id`` reverses it)."""
    lock(cylinder)
    rules.check_open(state_of(cylinder))
    if cylinder.net_kg + kg < 0:
        raise ValidationFailed.for_field("cylinders", _("The register says the cylinder holds %(held)s kg: the "
                                                        "entry cannot be undone on it.", held=cylinder.net_kg),
                                         "contents_below_zero")
    cylinder.net_kg = cylinder.net_kg + kg
    if cylinder.net_kg == 0 and cylinder.status not in rules.CLOSED:
        cylinder.status = CylinderStatus.EMPTY
    elif cylinder.status is CylinderStatus.EMPTY:
        cylinder.status = (CylinderStatus.WITH_TECHNICIAN if cylinder.custodian_technician_id
                           else CylinderStatus.IN_STOCK)
    db.session.flush()
    return add_event(actor, head, cylinder, EventKind.REVERSAL, kg=kg, entry_id=entry_id)
