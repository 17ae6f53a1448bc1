"""The decision of an inspection and, for a seizure, the goods, the custody chain and the case.

A seizure (final once recorded):
* records the goods per substance (kg, cylinders, registered serials) and where they are kept;
* marks each registered cylinder seized (its public scan page says so, its label is suspended);
* takes the kilograms out of the holder's stock by the authority's entry in the holder's logbook
  (:func:`certreg.logbook.authority.record_seizure`, in the tamper-evident log), when the holder is
  registered;
* is listed as an anomaly against the holder (:mod:`certreg.inspections.findings`);
* may name cylinders of a country this installation does not sign for by their national serial (a
  neighbour's cylinders: not in this register); whoever listens (:func:`on_seizure`: the federation's
  seizure alerts to that country's installation) is told of every new seizure.

Custody handovers are append-only and chained: ``chain_hash`` = SHA-256 hex of
``previous chain_hash (64 zeros for the first) || "\\n" || canonical JSON`` of the handover
(keys sorted: ``client_id, from, handed_at (ISO, UTC), note, place, seizure_id, to``).
Codes: ``decision_final``, ``storage_required``, ``goods_required``, ``unknown_cylinder``,
``not_a_seizure``, ``case_closed``, ``invalid_choice``, ``required``, ``invalid_number``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.cylinders import findings as cylinder_findings
from certreg.cylinders import numbers
from certreg.db import today, utcnow
from certreg.errors import Conflict
from certreg.extensions import db
from certreg.inspections import access
from certreg.inspections.models import (
    CaseEvent,
    CaseEventKind,
    CustodyHandover,
    Decision,
    Disposal,
    Inspection,
    SeizedGoods,
    Seizure,
)
from certreg.inspections.records import (
    TEXT_MAX,
    bad,
    client_id,
    day,
    ensure_logbook,
    find_cylinder,
    holder_of_finding,
    number,
    text,
    when,
)
from certreg.keys import services as keys
from certreg.logbook import authority
from certreg.logbook.holders import holder
from certreg.substances import services as substances

logger = logging.getLogger(__name__)
GENESIS = "0" * 64
Listener = Callable[[Actor, Inspection, Seizure], None]
_LISTENERS: dict[str, Listener] = {}


def on_seizure(name: str, listener: Listener) -> None:
    """Call ``listener(actor, inspection, seizure)`` after each new seizure is recorded (idempotent per name).
    It runs in the seizure's transaction and must not fail it."""
    _LISTENERS[name] = listener


def foreign_serial(text: str) -> str | None:
    """The canonical national serial of a cylinder of a country this installation does not sign for, or None."""
    try:
        serial = numbers.parse_serial(text)
    except ValueError:
        return None
    return serial if serial[:2] not in keys.local_countries() else None


@dataclass
class GoodsData:
    substance: str
    kg: Any
    cylinders: Any = 0
    serials: list[str] = field(default_factory=list)


@dataclass
class DecisionData:
    decision: str
    note: str = ""
    storage_place: str = ""
    seized_on: Any = None
    goods: list[GoodsData] = field(default_factory=list)


def decide(actor: Actor, inspection: Inspection, data: DecisionData) -> Inspection:
    """Record (or change, until a seizure) the inspection's decision."""
    actor.require(access.can_write(actor, inspection.country_code))
    if inspection.decision is Decision.SEIZURE and data.decision == Decision.SEIZURE.value:
        return inspection  # the same seizure sent again (a repeated sync): recorded once
    if inspection.decision is Decision.SEIZURE:
        raise Conflict(_("A seizure is final: record what follows in its case."), code="decision_final")
    try:
        decision = Decision(data.decision)
    except ValueError:
        raise bad("decision", _("Not a valid choice."), "invalid_choice") from None
    note = text(data.note, "note", TEXT_MAX)
    seizure = _seize(actor, inspection, data) if decision is Decision.SEIZURE else None
    inspection.decision, inspection.decision_note, inspection.decided_at = decision, note, utcnow()
    db.session.flush()
    audit.record(actor, "inspection.decide", inspection, country_code=inspection.country_code,
                 summary=audit.msg("Inspection %(id)s: decision %(decision)s", id=inspection.id,
                                   decision=decision.value), after={"decision": decision.value})
    if seizure is not None:
        for name, listener in _LISTENERS.items():
            try:
                with db.session.begin_nested():
                    listener(actor, inspection, seizure)
            except Exception:  # a listener's failure never undoes the seizure
                logger.exception("inspection %s: seizure listener %s failed", inspection.id, name)
    return inspection


def _seize(actor: Actor, inspection: Inspection, data: DecisionData) -> Seizure:
    storage = text(data.storage_place, "storage_place", 255)
    if not storage:
        raise bad("storage_place", _("Say where the seized goods are kept."), "storage_required")
    if not data.goods:
        raise bad("goods", _("List the goods seized (substance and kilograms)."), "goods_required")
    seized_on = day(data.seized_on, "seized_on", required=False) or today()
    lines = []
    for index, goods in enumerate(data.goods):
        name = f"goods-{index}"
        substance = substances.resolve(text(goods.substance, f"{name}-substance", 64, required=True) or "",
                                       field=f"{name}-substance")
        kg = number(goods.kg, f"{name}-kg", low=Decimal("0.001"), high=Decimal(1_000_000), required=True)
        count = number(goods.cylinders or 0, f"{name}-cylinders", low=Decimal(0), high=Decimal(100_000))
        cylinders, foreign = [], []
        for serial in goods.serials:
            cylinder = find_cylinder(serial)
            if cylinder is None and foreign_serial(serial) is None:
                raise bad(f"{name}-serials", _("No registered cylinder %(serial)s.", serial=serial),
                          "unknown_cylinder")
            if cylinder is None:
                foreign.append(foreign_serial(serial))
            else:
                cylinders.append(cylinder)
        lines.append((substance.code, kg, int(count or len(cylinders) + len(foreign)), cylinders, foreign))
    seizure = Seizure(inspection_id=inspection.id, storage_place=storage, seized_on=seized_on)
    db.session.add(seizure)
    db.session.flush()
    reason = _("Seized at inspection %(id)s", id=inspection.id)
    for code, kg, count, cylinders, foreign in lines:
        for cylinder in cylinders:
            cylinder_findings.seize(actor, cylinder, reason)
        owner = holder_of_finding(inspection, cylinders[0] if cylinders else None)
        entry_id = None
        if owner is not None:
            ensure_logbook(*owner)
            who = holder(*owner)
            if who.country_code == inspection.country_code:
                adjustment = authority.record_seizure(actor, who, code, kg, seized_on, reason)
                entry_id = adjustment.entry.id if adjustment.entry is not None else None
        db.session.add(SeizedGoods(seizure_id=seizure.id, substance_code=code, kg=kg, cylinders=count,
                                   serials=", ".join([*(c.serial for c in cylinders), *foreign]) or None,
                                   entry_id=entry_id))
    db.session.flush()
    logger.info("inspection %s: seizure %s recorded by %s", inspection.id, seizure.id, actor.label)
    return seizure


def seizure_of(inspection: Inspection) -> Seizure:
    found = db.session.scalar(sa.select(Seizure).where(Seizure.inspection_id == inspection.id))
    if found is None:
        raise Conflict(_("This inspection seized nothing."), code="not_a_seizure")
    return found


# --- custody ---------------------------------------------------------------------------------------


def canonical(handover: CustodyHandover) -> str:
    return json.dumps({"client_id": handover.client_id, "from": handover.from_party,
                       "handed_at": handover.handed_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "note": handover.note or "",
                       "place": handover.place, "seizure_id": handover.seizure_id, "to": handover.to_party},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous: str, handover: CustodyHandover) -> str:
    return hashlib.sha256(f"{previous}\n{canonical(handover)}".encode()).hexdigest()


def verify_chain(seizure: Seizure) -> bool:
    """Every handover's hash follows from the one before (nothing changed, removed or inserted)."""
    previous = GENESIS
    for handover in db.session.scalars(sa.select(CustodyHandover).where(CustodyHandover.seizure_id == seizure.id)
                                       .order_by(CustodyHandover.id)):
        if handover.chain_hash != chain_hash(previous, handover):
            return False
        previous = handover.chain_hash
    return True


@dataclass
class HandoverData:
    client_id: str
    handed_at: Any
    from_party: str
    to_party: str
    place: str
    note: str = ""


def hand_over(actor: Actor, inspection: Inspection, data: HandoverData) -> tuple[CustodyHandover, bool]:
    """Append a custody handover of the seized goods (idempotent by ``client_id``)."""
    actor.require(access.can_write(actor, inspection.country_code))
    seizure = seizure_of(inspection)
    cid = client_id(data.client_id)
    found = db.session.scalar(sa.select(CustodyHandover).where(CustodyHandover.client_id == cid))
    if found is not None:
        if found.seizure_id != seizure.id:
            raise Conflict(_("This identifier is already used by another record."), code="client_id_conflict")
        return found, False
    last = db.session.scalar(sa.select(CustodyHandover.chain_hash).where(CustodyHandover.seizure_id == seizure.id)
                             .order_by(CustodyHandover.id.desc()).limit(1).with_for_update())
    handover = CustodyHandover(
        client_id=cid, seizure_id=seizure.id, handed_at=when(data.handed_at, "handed_at"),
        from_party=text(data.from_party, "from_party", 255, required=True),
        to_party=text(data.to_party, "to_party", 255, required=True),
        place=text(data.place, "place", 255, required=True), note=text(data.note, "note", TEXT_MAX),
        recorded_by_label=actor.label[:255])
    handover.chain_hash = chain_hash(last or GENESIS, handover)
    db.session.add(handover)
    db.session.flush()
    audit.record(actor, "inspection.custody", inspection, country_code=inspection.country_code,
                 summary=audit.msg("Seized goods of inspection %(id)s handed to %(to)s", id=inspection.id,
                                   to=handover.to_party))
    return handover, True


# --- the case ----------------------------------------------------------------------------------------


@dataclass
class CaseData:
    client_id: str
    kind: str
    happened_on: Any
    amount: Any = None
    currency: str = ""
    disposal: str = ""
    reference: str = ""
    text: str = ""


def record_case_event(actor: Actor, inspection: Inspection, data: CaseData) -> tuple[CaseEvent, bool]:
    """A fine, a court decision or the final disposal (after which the case is closed)."""
    actor.require(access.can_write(actor, inspection.country_code))
    seizure = seizure_of(inspection)
    cid = client_id(data.client_id)
    found = db.session.scalar(sa.select(CaseEvent).where(CaseEvent.client_id == cid))
    if found is not None:
        if found.seizure_id != seizure.id:
            raise Conflict(_("This identifier is already used by another record."), code="client_id_conflict")
        return found, False
    if db.session.scalar(sa.select(CaseEvent.id).where(CaseEvent.seizure_id == seizure.id,
                                                       CaseEvent.kind == CaseEventKind.DISPOSAL)):
        raise Conflict(_("The goods were disposed of: the case is closed."), code="case_closed")
    try:
        kind = CaseEventKind(data.kind)
    except ValueError:
        raise bad("kind", _("Not a valid choice."), "invalid_choice") from None
    values: dict[str, Any] = {"client_id": cid, "seizure_id": seizure.id, "kind": kind,
                              "happened_on": day(data.happened_on, "happened_on"),
                              "reference": text(data.reference, "reference", 120),
                              "text": text(data.text, "text", TEXT_MAX), "recorded_by_label": actor.label[:255]}
    if kind is CaseEventKind.FINE:
        values["amount"] = number(data.amount, "amount", low=Decimal("0.01"), high=Decimal("1e11"), required=True)
        currency = (text(data.currency, "currency", 3, required=True) or "").upper()
        if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
            raise bad("currency", _("Enter a three-letter currency code (ISO 4217)."), "invalid_choice")
        values["currency"] = currency
    if kind is CaseEventKind.DISPOSAL:
        try:
            values["disposal"] = Disposal(data.disposal)
        except ValueError:
            raise bad("disposal", _("Not a valid choice."), "invalid_choice") from None
    event = CaseEvent(**values)
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "inspection.case", inspection, country_code=inspection.country_code,
                 summary=audit.msg("Inspection %(id)s: case %(kind)s recorded", id=inspection.id, kind=kind.value))
    return event, True
