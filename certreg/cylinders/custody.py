"""Custody events after registration: fill, charge, recovery, transfer, return, reclaim, destruction.

Each function checks who may act, applies the rules of :mod:`certreg.cylinders.rules` (a
refusal is kept by :mod:`certreg.cylinders.refusals` and changes nothing), updates the
register's current view and appends a :class:`~certreg.cylinders.models.CylinderEvent`.
A charge draws with one conditional ``UPDATE`` (``... WHERE net_kg >= :kg``), so concurrent
charges from one cylinder can never take it below zero, whatever their interleaving.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.cylinders import rules
from certreg.cylinders.access import can_act
from certreg.cylinders.events import FillData, add_event, apply_fill, lock, state_of
from certreg.cylinders.models import ContentCondition, Cylinder, CylinderEvent, CylinderStatus, EventKind
from certreg.cylinders.refusals import refused
from certreg.cylinders.settings import check_not_banned
from certreg.db import today as utc_today
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.registry.models import Company, Technician

logger = logging.getLogger(__name__)


def fill(actor: Actor, cylinder: Cylinder, data: FillData) -> CylinderEvent:
    """An import or a (re)fill: adds ``data.net_kg`` of the substance."""
    actor.require(can_act(actor, cylinder))
    with refused(actor, cylinder, EventKind.FILL, {"substance": data.substance_code, "net_kg": str(data.net_kg),
                                                   "condition": data.condition.value}):
        return apply_fill(actor, cylinder, data)


def recover(actor: Actor, cylinder: Cylinder, data: FillData) -> CylinderEvent:
    """Gas recovered from equipment into a recovery cylinder (condition recovered, or for destruction)."""
    actor.require(can_act(actor, cylinder))
    with refused(actor, cylinder, EventKind.RECOVERY, {"substance": data.substance_code,
                                                       "net_kg": str(data.net_kg)}):
        if data.condition is ContentCondition.VIRGIN:
            raise ValidationFailed.for_field("condition", _("Recovered gas is never virgin."), "recovered_as_virgin")
        return apply_fill(actor, cylinder, data, EventKind.RECOVERY)


def charge(actor: Actor, cylinder: Cylinder, kg: Decimal, note: str | None = None) -> CylinderEvent:
    """Draw ``kg`` from the cylinder into equipment."""
    actor.require(can_act(actor, cylinder))
    with refused(actor, cylinder, EventKind.CHARGE, {"net_kg": str(kg)}):
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
        return add_event(actor, cylinder, EventKind.CHARGE, kg=-kg, note=note)


def transfer(actor: Actor, cylinder: Cylinder, to: Company | Technician,
             sold_as: ContentCondition | None = None, kind: EventKind = EventKind.TRANSFER) -> CylinderEvent:
    """Custody moves to ``to`` (a sale, a hand-over to a technician, a return to the dealer)."""
    actor.require(can_act(actor, cylinder))
    with refused(actor, cylinder, kind, {"to": f"{type(to).__name__.lower()}:{to.id}",
                                         "sold_as": sold_as.value if sold_as else None}):
        lock(cylinder)
        rules.check_sale(state_of(cylinder), sold_as)
        if kind is EventKind.TRANSFER:
            check_not_banned(cylinder.country_code, cylinder.kind, utc_today())
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
        event = add_event(actor, cylinder, kind, to=to)
    audit.record(actor, "cylinder.transfer", cylinder, object_id=cylinder.serial,
                 summary=audit.msg("Custody of cylinder %(serial)s moved", serial=cylinder.serial))
    return event


def transfer_to(actor: Actor, cylinder: Cylinder, *, company_id: int | None, technician_id: int | None,
                sold_as: ContentCondition | None = None, returned: bool = False) -> CylinderEvent:
    """:func:`transfer` to a holder given by record number (exactly one of the two)."""
    if (company_id is None) == (technician_id is None):
        raise ValidationFailed.for_field("to_company_id", _("Give exactly one new custodian: a company or a "
                                                            "technician."), "one_custodian")
    to = db.session.get(Company, company_id) if company_id is not None else db.session.get(Technician, technician_id)
    if to is None:
        raise ValidationFailed.for_field("to_company_id" if company_id is not None else "to_technician_id",
                                         _("No such holder."), "holder_unknown")
    return transfer(actor, cylinder, to, sold_as, EventKind.RETURN if returned else EventKind.TRANSFER)


def reclaim(actor: Actor, cylinder: Cylinder) -> CylinderEvent:
    """The contents were reprocessed to the reclaimed specification."""
    actor.require(can_act(actor, cylinder))
    with refused(actor, cylinder, EventKind.RECLAIM, {}):
        lock(cylinder)
        rules.check_open(state_of(cylinder))
        if cylinder.net_kg == 0 or cylinder.mixed:
            raise ValidationFailed.for_field("serial", _("Only a cylinder holding one substance can be reclaimed."),
                                             "substances_mixed")
        cylinder.condition = ContentCondition.RECLAIMED
        db.session.flush()
        return add_event(actor, cylinder, EventKind.RECLAIM)


def destroy(actor: Actor, cylinder: Cylinder, note: str | None = None) -> CylinderEvent:
    """The contents were destroyed (and the cylinder with them): final."""
    actor.require(can_act(actor, cylinder))
    with refused(actor, cylinder, EventKind.DESTROY, {}):
        lock(cylinder)
        rules.check_open(state_of(cylinder))
        destroyed = cylinder.net_kg
        cylinder.net_kg = Decimal("0")
        cylinder.status = CylinderStatus.DESTROYED
        db.session.flush()
        event = add_event(actor, cylinder, EventKind.DESTROY, kg=-destroyed, note=note)
    audit.record(actor, "cylinder.destroy", cylinder, object_id=cylinder.serial,
                 summary=audit.msg("Cylinder %(serial)s destroyed", serial=cylinder.serial))
    return event
