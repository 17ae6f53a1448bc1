"""Custody events after registration: fill, charge, recovery, transfer, return, reclaim, destruction, lost, found.

Each function checks who may act, applies the rules of :mod:`certreg.cylinders.rules` (a
refusal is kept by :mod:`certreg.cylinders.refusals` and changes nothing), updates the
register's current view and appends a :class:`~certreg.cylinders.models.CylinderEvent` to the
history and to the country's tamper-evident log (:mod:`certreg.cylinders.custody_log`).
A charge draws with one conditional ``UPDATE`` (``... WHERE net_kg >= :kg``), so concurrent
charges from one cylinder can never take it below zero, whatever their interleaving.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.cylinders import events, rules
from certreg.cylinders.access import can_act, can_report_found, can_report_lost
from certreg.cylinders.events import FillData, lock, logged, state_of
from certreg.cylinders.models import ContentCondition, Cylinder, CylinderEvent, EventKind
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
                                                   "condition": data.condition.value}), \
            logged(cylinder.country_code) as head:
        return events.apply_fill(actor, head, cylinder, data)


def recover(actor: Actor, cylinder: Cylinder, data: FillData) -> CylinderEvent:
    """Gas recovered from equipment into a recovery cylinder (condition recovered, or for destruction)."""
    actor.require(can_act(actor, cylinder))
    with refused(actor, cylinder, EventKind.RECOVERY, {"substance": data.substance_code,
                                                       "net_kg": str(data.net_kg)}), \
            logged(cylinder.country_code) as head:
        if data.condition is ContentCondition.VIRGIN:
            raise ValidationFailed.for_field("condition", _("Recovered gas is never virgin."), "recovered_as_virgin")
        return events.apply_fill(actor, head, cylinder, data, EventKind.RECOVERY)


def charge(actor: Actor, cylinder: Cylinder, kg: Decimal, note: str | None = None) -> CylinderEvent:
    """Draw ``kg`` from the cylinder into equipment."""
    actor.require(can_act(actor, cylinder))
    with refused(actor, cylinder, EventKind.CHARGE, {"net_kg": str(kg)}), logged(cylinder.country_code) as head:
        return events.apply_charge(actor, head, cylinder, kg, note=note)


def transfer(actor: Actor, cylinder: Cylinder, to: Company | Technician,
             sold_as: ContentCondition | None = None, kind: EventKind = EventKind.TRANSFER) -> CylinderEvent:
    """Custody moves to ``to`` (a sale, a hand-over to a technician, a return to the dealer)."""
    actor.require(can_act(actor, cylinder))
    with refused(actor, cylinder, kind, {"to": f"{type(to).__name__.lower()}:{to.id}",
                                         "sold_as": sold_as.value if sold_as else None}), \
            logged(cylinder.country_code) as head:
        lock(cylinder)
        rules.check_sale(state_of(cylinder), sold_as)
        if kind is EventKind.TRANSFER:
            check_not_banned(cylinder.country_code, cylinder.kind, utc_today())
        event = events.apply_custody(actor, head, cylinder, to, kind=kind)
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
    with refused(actor, cylinder, EventKind.RECLAIM, {}), logged(cylinder.country_code) as head:
        return events.apply_reclaim(actor, head, cylinder)


def destroy(actor: Actor, cylinder: Cylinder, note: str | None = None) -> CylinderEvent:
    """The contents were destroyed (and the cylinder with them): final."""
    actor.require(can_act(actor, cylinder))
    with refused(actor, cylinder, EventKind.DESTROY, {}), logged(cylinder.country_code) as head:
        event = events.apply_destroy(actor, head, cylinder, note=note)
    audit.record(actor, "cylinder.destroy", cylinder, object_id=cylinder.serial,
                 summary=audit.msg("Cylinder %(serial)s destroyed", serial=cylinder.serial))
    return event


def report_lost(actor: Actor, cylinder: Cylinder, note: str | None = None) -> CylinderEvent:
    """The custodian, the owner or an official reports the cylinder lost or stolen: closed, and its label's status
    says so."""
    actor.require(can_report_lost(actor, cylinder))
    with refused(actor, cylinder, EventKind.LOST, {}), logged(cylinder.country_code) as head:
        event = events.apply_lost(actor, head, cylinder, note=note)
    audit.record(actor, "cylinder.lost", cylinder, object_id=cylinder.serial,
                 summary=audit.msg("Cylinder %(serial)s reported lost or stolen", serial=cylinder.serial))
    return event


def report_found(actor: Actor, cylinder: Cylinder, note: str) -> CylinderEvent:
    """A cylinder reported lost or stolen is found: open again (empty, with its technician or in stock), custody
    as it was, its label's status no longer suspended. ``note``: the police or inspection reference."""
    actor.require(can_report_found(actor, cylinder))
    if not (note or "").strip():
        raise ValidationFailed.for_field("reference", _("Give the police, inspection or other reference."),
                                         "required")
    with refused(actor, cylinder, EventKind.FOUND, {}), logged(cylinder.country_code) as head:
        event = events.apply_found(actor, head, cylinder, note=note.strip())
    audit.record(actor, "cylinder.found", cylinder, object_id=cylinder.serial,
                 summary=audit.msg("Cylinder %(serial)s reported found", serial=cylinder.serial))
    return event
