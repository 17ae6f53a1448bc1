"""What a logbook entry does to the cylinders it names: the custody events tied to the logbook.

Installed into :mod:`certreg.logbook.links` by ``create_app``, so that every surface that
records an entry (page, API, CSV import, equipment intervention, counterpart confirmation,
reversal) runs these rules inside ``recording.check_entry`` and records these events after the
entry, in the same transaction, as leaves of the same log.

Each serial on an entry names one cylinder of the entry's country: its national serial, GRAI
or stamp number; an unknown serial becomes an *unregistered* cylinder record, flagged for
registration, in the custody of the holder recording the entry. Registered cylinders follow
the entry (the entry's kilograms are shared equally among the cylinders it names; the last
takes the rounding):

=====================  ======================================================================
entry                  cylinder event
=====================  ======================================================================
import                 ``fill`` (the importer holds it; every fill rule)
purchase               ``transfer``: custody moves to the buyer (a sale's counterpart is
                       confirmed by the buyer; until then the seller keeps it)
sale, export           no event; the seller must hold it, and the sale rules apply
                       (recovered gas never sold as virgin, the ban on non-refillables)
charge                 ``charge``: draws the kilograms (same substance; never below zero)
recovery               ``recovery``: fills a recovery cylinder
reclamation            ``reclaim``
destroyed              ``destroy``
reversal               ``reversal``: the kilograms the reversed entry's events changed are undone;
                       a reversed purchase puts custody back with the holder before it, unless
                       a later event moved custody again (then custody stays, and the
                       reversal event names no new custodian: the history says so)
=====================  ======================================================================
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.cylinders import custody_log, events, numbers, rules
from certreg.cylinders.events import FillData, state_of
from certreg.cylinders.models import ContentCondition, Cylinder, CylinderEvent, CylinderStatus, EventKind
from certreg.cylinders.settings import check_not_banned
from certreg.db import write_rows
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.logbook import links
from certreg.logbook.holders import Holder
from certreg.logbook.ledger import Head
from certreg.logbook.models import EntryKind
from certreg.registry.models import Company, Technician
from certreg.vocabulary import HolderKind

GRAMS = Decimal("0.001")
_EMPTY = Decimal(0)  # an unregistered cylinder's contents (one object: its COPY text is made once)
ACTIONS = {
    EntryKind.IMPORT: EventKind.FILL, EntryKind.PURCHASE: EventKind.TRANSFER, EntryKind.SALE: None,
    EntryKind.EXPORT: None, EntryKind.CHARGE: EventKind.CHARGE, EntryKind.RECOVERY: EventKind.RECOVERY,
    EntryKind.RECLAMATION: EventKind.RECLAIM, EntryKind.DESTROYED: EventKind.DESTROY,
}
#: Kinds whose cylinders must be in the recording holder's custody.
HELD = frozenset({EntryKind.IMPORT, EntryKind.SALE, EntryKind.EXPORT, EntryKind.CHARGE, EntryKind.RECOVERY,
                  EntryKind.RECLAMATION, EntryKind.DESTROYED})


@dataclass
class Step:
    cylinder_id: int
    event: EventKind
    kg: Decimal
    restore_to: Company | Technician | None = None  # a reversal that puts custody back with this holder


@dataclass
class Plan:
    who: Holder
    kind: EntryKind
    substance_code: str
    condition: ContentCondition
    operation_date: date
    origin_country: str | None
    steps: list[Step] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # serials to record as unregistered cylinders
    reversed_entry_id: int | None = None


def shares(quantity: Decimal | None, count: int) -> list[Decimal]:
    """``quantity`` split into ``count`` equal shares to the gram, the last taking the rest."""
    if not count:
        return []
    quantity = quantity or Decimal(0)
    share = (quantity / count).quantize(GRAMS, rounding=ROUND_DOWN)
    return [share] * (count - 1) + [quantity - share * (count - 1)]


# --- which cylinder a serial names ---------------------------------------------------------


def _keys(text: str) -> list[str]:
    keys = [text.strip()]
    with contextlib.suppress(ValueError):
        keys.insert(0, numbers.parse_serial(text))
    with contextlib.suppress(ValueError):
        keys.insert(0, numbers.parse_grai(text))
    return keys


def _country_index(country_code: str) -> dict[str, int]:
    """Every identifier of the country's cylinders -> id (the CSV import reads it once)."""
    index: dict[str, int] = {}
    table = Cylinder.__table__
    for cylinder_id, serial, grai, stamp in db.session.execute(
            sa.select(table.c.id, table.c.serial, table.c.grai, table.c.stamp_number)
            .where(table.c.country_code == country_code).order_by(table.c.needs_registration, table.c.id.desc())):
        for key in (serial, grai, stamp):  # registered cylinders first, the newest first: as resolve() without cache
            if key:
                index.setdefault(key, cylinder_id)
    return index


def resolve(country_code: str, text: str, cache: dict[Any, Any] | None = None) -> int | None:
    """The id of the cylinder of ``country_code`` that ``text`` names (national serial, GRAI, stamp number)."""
    if cache is not None:
        index = cache.get(("cylinders", country_code))
        if index is None:
            index = cache[("cylinders", country_code)] = _country_index(country_code)
        return next((index[k] for k in _keys(text) if k in index), None)
    table = Cylinder.__table__
    for key in _keys(text):
        found = db.session.scalar(sa.select(table.c.id).where(
            table.c.country_code == country_code,
            sa.or_(table.c.serial == key, table.c.grai == key, table.c.stamp_number == key))
            .order_by(table.c.needs_registration, table.c.id.desc()).limit(1))
        if found is not None:
            return found
    return None


# --- the rules, before the entry is written ---------------------------------------------------


def _refuse(serial: str, exc: ValidationFailed) -> ValidationFailed:
    """A cylinder rule's refusal, on the entry's ``cylinders`` field, naming the cylinder."""
    return ValidationFailed.for_field("cylinders", _("Cylinder %(serial)s: %(reason)s", serial=serial,
                                                     reason=exc.message), exc.code)


def _holds(cylinder: Cylinder, who: Holder) -> bool:
    if who.kind is HolderKind.COMPANY:
        return cylinder.custodian_company_id == who.id
    return cylinder.custodian_technician_id == who.id


def _custodian_name(cylinder: Cylinder) -> str:
    holder = cylinder.custodian_company or cylinder.custodian_technician
    return getattr(holder, "name", None) or getattr(holder, "full_name", None) or "?"


def _check_one(plan: Plan, cylinder: Cylinder, state: rules.State, kg: Decimal) -> rules.State:
    """Refuse what the entry may not do to this cylinder; the state after it."""
    kind, who = plan.kind, plan.who
    if kind in HELD and not _holds(cylinder, who):
        raise ValidationFailed.for_field("cylinders", _(
            "The register says cylinder %(serial)s is held by %(holder)s, not by the holder of this logbook.",
            serial=cylinder.serial, holder=_custodian_name(cylinder)), "not_custodian")
    try:
        if kind is EntryKind.IMPORT:
            rules.check_fill(state, plan.substance_code, kg, plan.condition)
            check_not_banned(cylinder.country_code, state.kind, plan.operation_date)
            return _after(state, substance_code=plan.substance_code, net_kg=state.net_kg + kg,
                          condition=plan.condition, fills=state.fills + 1)
        if kind is EntryKind.RECOVERY:
            rules.check_recovery(state)
            rules.check_fill(state, plan.substance_code, kg, ContentCondition.RECOVERED)
            return _after(state, substance_code=plan.substance_code, net_kg=state.net_kg + kg,
                          condition=ContentCondition.RECOVERED, fills=state.fills + 1)
        if kind is EntryKind.CHARGE:
            if state.net_kg > 0 and state.substance_code != plan.substance_code:
                raise ValidationFailed.for_field("substance", _(
                    "the register says it holds %(held)s, not %(code)s.", held=state.substance_code,
                    code=plan.substance_code), "cylinder_substance_differs")
            rules.check_draw(state, kg)
            return _after(state, net_kg=state.net_kg - kg)
        if kind in (EntryKind.SALE, EntryKind.EXPORT):
            rules.check_sale(state, plan.condition)
            if kind is EntryKind.SALE:
                check_not_banned(cylinder.country_code, state.kind, plan.operation_date)
            return state
        if kind is EntryKind.PURCHASE:
            rules.check_open(state)
            return state
        if kind is EntryKind.RECLAMATION:
            rules.check_open(state)
            if state.net_kg == 0 or state.mixed:
                raise ValidationFailed.for_field("serial", _("Only a cylinder holding one substance can be "
                                                             "reclaimed."), "substances_mixed")
            return _after(state, condition=ContentCondition.RECLAIMED)
        if kind is EntryKind.DESTROYED:
            rules.check_open(state)
            return _after(state, net_kg=Decimal(0), status=CylinderStatus.DESTROYED)
    except ValidationFailed as exc:
        raise _refuse(cylinder.serial or "", exc) from None
    return state


def _after(state: rules.State, **changes: Any) -> rules.State:
    values = {name: getattr(state, name) for name in rules.State.__dataclass_fields__}
    values.update(changes)
    return rules.State(**values)


class CylinderLink:
    """The cylinders' :class:`certreg.logbook.links.Link`."""

    name = "cylinder_event"
    table = CylinderEvent.__table__

    def check(self, who: Holder, draft: Any, counterpart: bool, cache: dict[Any, Any] | None) -> Plan | None:
        if not draft.cylinders or draft.kind not in ACTIONS:
            return None
        condition = ContentCondition(draft.condition.value)
        plan = Plan(who, draft.kind, draft.substance.code, condition, draft.operation_date,
                    getattr(draft, "origin_country", None))
        states = cache if cache is not None else {}
        for text, kg in zip(draft.cylinders, shares(draft.quantity, len(draft.cylinders)), strict=True):
            cylinder_id = resolve(who.country_code, text, cache)
            cylinder = db.session.get(Cylinder, cylinder_id) if cylinder_id is not None else None
            if cylinder is None:
                if text not in plan.unknown:
                    plan.unknown.append(text)
                continue
            if cylinder.needs_registration:  # known by its serial only: custody follows purchases
                if draft.kind is EntryKind.PURCHASE:
                    plan.steps.append(Step(cylinder.id, EventKind.TRANSFER, Decimal(0)))
                continue
            state = states.get(("cylinder_state", cylinder.id)) or state_of(cylinder)
            states[("cylinder_state", cylinder.id)] = _check_one(plan, cylinder, state, kg)
            if ACTIONS[draft.kind] is not None:
                plan.steps.append(Step(cylinder.id, ACTIONS[draft.kind], kg))
        return plan if plan.steps or plan.unknown else None

    def check_reversal(self, who: Holder, entry_id: int) -> Plan | None:
        """Undoing an entry's events: the kilograms they changed come back out (or in), and the custody a
        purchase moved goes back to the holder before it while nothing later moved it again."""
        rows = db.session.execute(sa.select(CylinderEvent.cylinder_id, CylinderEvent.kg).where(
            CylinderEvent.entry_id == entry_id, CylinderEvent.kg != 0).order_by(CylinderEvent.id)).all()
        moves = db.session.scalars(sa.select(CylinderEvent).where(
            CylinderEvent.entry_id == entry_id, CylinderEvent.kind == EventKind.TRANSFER)
            .order_by(CylinderEvent.id)).all()
        if not rows and not moves:
            return None
        plan = Plan(who, EntryKind.REVERSAL, "", ContentCondition.VIRGIN, date.min, None, reversed_entry_id=entry_id)
        for cylinder_id, kg in rows:
            cylinder = db.session.get(Cylinder, cylinder_id)
            try:
                rules.check_open(state_of(cylinder))
                if cylinder.net_kg - kg < 0:
                    raise ValidationFailed.for_field("net_kg", _("The register says the cylinder holds %(held)s "
                                                                 "kg: the entry cannot be undone on it.",
                                                                 held=cylinder.net_kg), "contents_below_zero")
            except ValidationFailed as exc:
                raise _refuse(cylinder.serial or "", exc) from None
            plan.steps.append(Step(cylinder_id, EventKind.REVERSAL, -kg))
        for move in moves:
            cylinder = db.session.get(Cylinder, move.cylinder_id)
            if cylinder.status in rules.CLOSED:  # nothing is recorded on it; its custody no longer matters
                continue
            plan.steps.append(Step(cylinder.id, EventKind.REVERSAL, Decimal(0), restore_to=custody_before(move)))
        return plan if plan.steps else None

    # --- recording, after the entry ---------------------------------------------------------

    def record_many(self, actor: Actor, head: Head, items: Sequence[tuple[Plan, Mapping[str, Any]]],
                    now: datetime) -> None:
        """The events of entries just appended, in order (the CSV import gives all its lines at once), after
        the unregistered cylinders their plans still name (the import has taken them already: rows_ahead)."""
        table, rows = self.rows_ahead([plan for plan, _entry in items], now, set())
        write_rows(db.session.connection(), table, rows)  # a large import meets thousands: not ~30 µs a row
        for plan, entry in items:
            for step in plan.steps:
                _apply(actor, head, plan, step, entry["id"])

    def rows_ahead(self, plans: Sequence[Plan], now: datetime, seen: set[Any]) -> tuple[sa.Table, list[dict]]:
        """The unregistered cylinders of the serials ``plans`` name that no cylinder of the country has: rows
        that refer to no entry, so the CSV import writes them beside its entries' chunks instead of alone after
        the last (docs/benchmarks.md "Session 10"). Taken out of the plans;
        ``seen``: the serials given already (each is flagged once, held by the first holder naming it)."""
        serials: dict[tuple[str, str], Holder] = {}
        for plan in plans:
            for serial in plan.unknown:
                key = (plan.who.country_code, serial)
                if key not in seen:
                    seen.add(key)
                    serials[key] = plan.who
            plan.unknown = []
        return Cylinder.__table__, [
            {"country_code": country, "stamp_number": serial[:64], "needs_registration": True,
             "custodian_company_id": who.id if who.kind is HolderKind.COMPANY else None,
             "custodian_technician_id": who.id if who.kind is HolderKind.TECHNICIAN else None,
             "status": (CylinderStatus.IN_STOCK if who.kind is HolderKind.COMPANY
                        else CylinderStatus.WITH_TECHNICIAN).value,
             "net_kg": _EMPTY, "fills": 0, "mixed": False, "created_at": now, "updated_at": now}
            for (country, serial), who in serials.items()]

    def verify_rows(self, rows: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, bytes, bytes, bytes, str]]:
        return custody_log.verify_rows(rows)


def custody_before(move: CylinderEvent) -> Company | Technician | None:
    """Who held the cylinder before the custody move ``move``, if that move is still the last one.

    ``None`` when a later event moved custody again (a return, a hand-over, the next sale: the register
    follows that one) or when no earlier event names the holder (events recorded before registrations
    named their first custodian): custody then stays where it is."""
    moved = sa.or_(CylinderEvent.to_company_id.is_not(None), CylinderEvent.to_technician_id.is_not(None))
    later = db.session.scalar(sa.select(CylinderEvent.id).where(
        CylinderEvent.cylinder_id == move.cylinder_id, CylinderEvent.id > move.id, moved).limit(1))
    if later is not None:
        return None
    before = db.session.execute(sa.select(CylinderEvent.to_company_id, CylinderEvent.to_technician_id).where(
        CylinderEvent.cylinder_id == move.cylinder_id, CylinderEvent.id < move.id, moved)
        .order_by(CylinderEvent.id.desc()).limit(1)).first()
    if before is None:
        return None
    company_id, technician_id = before
    return db.session.get(Company, company_id) if company_id is not None else db.session.get(Technician,
                                                                                              technician_id)


def _holder(who: Holder) -> Company | Technician:
    return db.session.get(Company if who.kind is HolderKind.COMPANY else Technician, who.id)


def _apply(actor: Actor, head: Head, plan: Plan, step: Step, entry_id: int) -> None:
    cylinder = db.session.get(Cylinder, step.cylinder_id)
    if step.event is EventKind.TRANSFER:
        if cylinder.needs_registration:
            holder = _holder(plan.who)
            cylinder.custodian_company = holder if isinstance(holder, Company) else None
            cylinder.custodian_technician = holder if isinstance(holder, Technician) else None
            db.session.flush()
            return
        events.apply_custody(actor, head, cylinder, _holder(plan.who), entry_id=entry_id)
    elif step.event in (EventKind.FILL, EventKind.RECOVERY):
        condition = ContentCondition.RECOVERED if step.event is EventKind.RECOVERY else plan.condition
        events.apply_fill(actor, head, cylinder, FillData(plan.substance_code, step.kg, condition,
                                                          fill_date=plan.operation_date,
                                                          origin_country=plan.origin_country),
                          step.event, entry_id=entry_id)
    elif step.event is EventKind.CHARGE:
        events.apply_charge(actor, head, cylinder, step.kg, entry_id=entry_id)
    elif step.event is EventKind.RECLAIM:
        events.apply_reclaim(actor, head, cylinder, entry_id=entry_id)
    elif step.event is EventKind.DESTROY:
        events.apply_destroy(actor, head, cylinder, entry_id=entry_id)
    elif step.event is EventKind.REVERSAL and step.restore_to is not None:
        events.apply_custody(actor, head, cylinder, step.restore_to, kind=EventKind.REVERSAL, entry_id=entry_id)
    elif step.event is EventKind.REVERSAL:
        events.apply_reversal(actor, head, cylinder, step.kg, entry_id=entry_id)


def install() -> None:
    links.install(CylinderLink())

