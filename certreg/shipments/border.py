"""The border check of a shipment, the customs decision, and the importer's confirmation of a release.

The check evaluates the would-be import entry through the logbook's one rule path
(:func:`certreg.logbook.recording.prepare_entry` then :func:`~certreg.logbook.recording.check_entry`), so the
licence rules, the quota rule and every other rule of an import come from there; beside it: the licence is in
the register, the HS code fits the goods (:mod:`certreg.shipments.hscodes`), and the exporting country's iPIC
question about this import was answered "yes" (:mod:`certreg.shipments.ipic`).

A release records the import entry in the importer's logbook (under the country's log lock, the same rules
again), dated on the day of release and naming the declaration, licence, exporter and origin: the proof of
origin is the shipment. Pre-charged equipment and extinguishers are released without a logbook entry (a
substance inside a manufactured product is not a controlled substance: Montreal Protocol Article 1(4)). The
importer then confirms receipt, or disputes it, as a counterpart answers a sale. Services flush, never commit.
Codes (stable): ``border_check_failed``, ``shipment_decided``, ``reason_required``, ``invalid_choice``,
``receipt_closed``; and the rules' own codes (``licence_*``, the quota's, ``hs_code_*`` with
``hs_code_not_licensed`` when the licence lists HS codes, ``ipic_not_confirmed``).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.db import today, utcnow
from certreg.errors import FieldError, InvalidState, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.licences import services as licences
from certreg.logbook import ledger
from certreg.logbook import quotas as logbook_quotas
from certreg.logbook.drafts import EntryData
from certreg.logbook.holders import Holder, holder, logbook_for
from certreg.logbook.licensing import USED
from certreg.logbook.models import Channel, Condition
from certreg.logbook.recording import ACTIVITIES, append_entry, check_entry, prepare_entry
from certreg.logbook.settings import context_of, rule_context
from certreg.quotas import usage
from certreg.shipments import facts, hscodes, ipic
from certreg.shipments.expected import can_decide, can_read
from certreg.shipments.models import Goods, Receipt, Shipment, ShipmentStatus
from certreg.vocabulary import HolderKind

logger = logging.getLogger(__name__)


class Rule(enum.StrEnum):
    HS_CODE = "hs_code"
    LICENCE = "licence"
    QUOTA = "quota"
    IPIC = "ipic"
    IMPORT_RULES = "import_rules"  # the importer, bans, ...: the rest of the logbook's rules


RULE_LABELS = {Rule.HS_CODE: _l("HS code fits the goods"), Rule.LICENCE: _l("Import licence"),
               Rule.QUOTA: _l("Within the remaining quota"), Rule.IPIC: _l("Exporting country's iPIC confirmation"),
               Rule.IMPORT_RULES: _l("Importer and import rules")}
DECISIONS = (ShipmentStatus.RELEASED, ShipmentStatus.HELD, ShipmentStatus.REFUSED, ShipmentStatus.SEIZED)


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: Rule
    ok: bool | None  # None: not reached (an earlier rule of the logbook refused)
    code: str
    message: str


@dataclass(frozen=True)
class BorderCheck:
    shipment: Any  # the shipment's columns the check reads, as read with its facts (:mod:`.facts`)
    on: date
    results: tuple[RuleResult, ...]
    confirmation: ipic.Confirmation | None

    @property
    def passed(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def failures(self) -> list[RuleResult]:
        return [result for result in self.results if result.ok is False]

    @property
    def suggestion(self) -> ShipmentStatus:
        """Release when every rule passes; hold when only the iPIC confirmation is missing; else refuse."""
        failed = {result.rule for result in self.failures}
        if not failed:
            return ShipmentStatus.RELEASED
        return ShipmentStatus.HELD if failed == {Rule.IPIC} else ShipmentStatus.REFUSED


def import_entry(shipment: Shipment, on: date) -> EntryData:
    """The import entry the shipment becomes in the importer's logbook when released on ``on``."""
    return EntryData(kind="import", operation_date=on, substance=shipment.substance_code, quantity=shipment.kg,
                     condition="virgin", cylinders=list(shipment.cylinder_serials),
                     import_licence=shipment.import_licence, customs_declaration=shipment.declaration_number,
                     origin_country=shipment.origin_country, exporter_name=shipment.exporter_name,
                     counterparty_name=shipment.exporter_name, counterparty_country=shipment.exporting_country,
                     document_numbers=shipment.declaration_number)


def _rule_of(code: str) -> Rule:
    if code.startswith("licence_"):
        return Rule.LICENCE
    if code.startswith("quota"):
        return Rule.QUOTA
    return Rule.IMPORT_RULES


def _logbook_rules(found: facts.BorderFacts, on: date, cache: dict) -> ValidationFailed | None:
    """The would-be import entry through prepare_entry and check_entry, without writing anything, on the facts
    read already (``cache`` as :func:`prepare_entry` takes it, the quota book told the year's quotas)."""
    shipment, who = found.shipment, found.importer
    try:
        ctx = context_of(shipment.country_code, found.settings, found.national_bans)
        prepared = prepare_entry(who, import_entry(shipment, on), ctx, cache=cache)
        quota = usage.book(shipment.country_code).knowing(on.year, found.allocated_groups, who.id, found.remaining)
        check_entry(prepared, ctx, _stock_when_asked(who), quota=quota)
    except ValidationFailed as exc:
        return exc
    return None


def _stock_when_asked(who: Holder) -> Callable[[str, Condition], Decimal]:
    """The holder's ``stock(substance_code, condition)``, its logbook and balances read on the first question
    only: an import adds to the stock, so its rules never ask (no read, and no balance row locked by a GET)."""
    read: list[Callable[[str, Condition], Decimal]] = []

    def stock(code: str, condition: Condition) -> Decimal:
        if not read:
            logbook = logbook_for(who)
            read.append(ledger.Stock(logbook.id).get if logbook is not None else (lambda *_: Decimal(0)))
        return read[0](code, condition)

    return stock


def _ok(rule: Rule) -> RuleResult:
    return RuleResult(rule, True, "ok", "")


def border_check(actor: Actor, shipment_id: int, on: date | None = None, *, autocommit: bool = False) -> BorderCheck:
    """Every rule of the border for shipment ``shipment_id``, each with its outcome (nothing is written): its
    facts read in one statement (:mod:`certreg.shipments.facts`), judged by the logbook's rules.

    ``autocommit``: read the latest committed facts outside the request's transaction (a request that only
    checks); by default in it (a release judges what its own transaction sees).

    :raise NotFound: no such shipment, or the actor may not see it.
    """
    on = on or today()
    found = facts.read(shipment_id, on.year, autocommit=autocommit)
    if found is None or not can_read(actor, found.shipment):
        raise NotFound()
    shipment = found.shipment
    results: dict[Rule, RuleResult] = {}
    # what the logbook's rules would read again (prepare_entry's cache): read with the shipment
    cache: dict = {(ACTIVITIES, shipment.importer_id): found.activities}
    try:
        hscodes.check(shipment.hs_code, product=shipment.goods is not Goods.SUBSTANCE,
                      is_blend=found.substance_is_blend, catalogue_code=found.substance_hs_code)
        results[Rule.HS_CODE] = _ok(Rule.HS_CODE)
    except ValidationFailed as exc:
        results[Rule.HS_CODE] = RuleResult(Rule.HS_CODE, False, exc.code, exc.message)
    try:
        # read with the shipment; not in the register: licences.get's own refusal
        licence = found.licence or licences.get(actor, shipment.country_code, shipment.import_licence)
        cache[("licence", shipment.country_code, licence.number)] = licence  # check_licence's read, done once
        if found.licence is not None:
            cache[(USED, licence.id)] = found.licence_used
    except NotFound as exc:
        results[Rule.LICENCE] = RuleResult(Rule.LICENCE, False, "licence_unknown", exc.message)
    else:
        listed = {hscodes.digits(code)[:6] for code in licence.hs_codes}
        if listed and results[Rule.HS_CODE].ok and hscodes.digits(shipment.hs_code)[:6] not in listed:
            results[Rule.HS_CODE] = RuleResult(Rule.HS_CODE, False, "hs_code_not_licensed", _(
                "The licence covers the HS codes %(codes)s only.", codes=", ".join(licence.hs_codes)))
    refused = _logbook_rules(found, on, cache)
    if refused is not None:
        message = "; ".join(str(error) for errors in refused.fields.values() for error in errors) or refused.message
        refusal = RuleResult(_rule_of(refused.code), False, refused.code, message)
    order = (Rule.IMPORT_RULES, Rule.LICENCE, Rule.QUOTA)  # as check_entry runs them
    stop = order.index(refusal.rule) if refused is not None else len(order)
    for index, rule in enumerate(order):
        if index < stop:
            results.setdefault(rule, _ok(rule))
        elif index == stop:
            results.setdefault(rule, refusal)
        else:
            results.setdefault(rule, RuleResult(rule, None, "not_reached", _("Not checked: an earlier rule refused.")))
    confirmed = found.confirmation
    results[Rule.IPIC] = _ok(Rule.IPIC) if confirmed is not None else RuleResult(
        Rule.IPIC, False, "ipic_not_confirmed",
        _("%(country)s has not confirmed through iPIC that this importer is licensed for this quantity.",
          country=shipment.exporting_country))
    return BorderCheck(shipment, on, tuple(results[rule] for rule in Rule), confirmed)


def _record_import(actor: Actor, shipment: Shipment, on: date, channel: Channel) -> int:
    """The import entry in the importer's logbook, through the one rule path, under the country's log lock."""
    who = holder(HolderKind.COMPANY, shipment.importer_id)
    ctx = rule_context(shipment.country_code)
    prepared = prepare_entry(who, import_entry(shipment, on), ctx)
    logbook = logbook_for(who, create=True)
    head = ledger.lock_head(shipment.country_code)
    stock = ledger.Stock(logbook.id)
    check_entry(prepared, ctx, stock.get)
    now = utcnow()
    stored = append_entry(head, stock, prepared.moves, prepared.values(logbook, actor, channel, now),
                          prepared.draft.cylinders, now, actor=actor, plans=prepared.plans)  # the cylinders it names
    logbook_quotas.write_uses(prepared.quota_uses, stored["id"], shipment.country_code, now, actor)  # quota used
    return stored["id"]


def decide(actor: Actor, shipment: Shipment, decision: str, reason: str | None = None, *,
           channel: Channel = Channel.WEB) -> Shipment:
    """Record customs' decision (audited). A release needs every rule of the border check to pass, and records
    the import entry; hold, refuse and seize need the reason.

    :raise ValidationFailed: ``invalid_choice``, ``reason_required``, ``border_check_failed`` (with the first
        failing rule's code in ``fields["decision"]``), or a rule's code from the logbook.
    :raise InvalidState: ``shipment_decided`` (released, refused or seized already).
    """
    actor.require(can_decide(actor, shipment))
    try:
        status = ShipmentStatus(str(decision or "").strip())
    except ValueError:
        status = None
    if status not in DECISIONS:
        raise ValidationFailed.for_field("decision", _("Not a valid choice."), "invalid_choice")
    if shipment.status not in (ShipmentStatus.EXPECTED, ShipmentStatus.HELD):
        raise InvalidState(_("This shipment was already decided."), code="shipment_decided")
    reason = (reason or "").strip() or None
    if status is not ShipmentStatus.RELEASED and not reason:
        raise ValidationFailed.for_field("reason", _("Give the reason."), "reason_required")
    on = today()
    if status is ShipmentStatus.RELEASED:
        check = border_check(actor, shipment.id, on)
        if not check.passed:
            first = check.failures[0]
            raise ValidationFailed(_("The border check refuses the release: %(message)s", message=first.message),
                                   code="border_check_failed", fields={"decision": [FieldError(first.message,
                                                                                                 first.code)]})
        if shipment.goods is Goods.SUBSTANCE:
            shipment.entry_id = _record_import(actor, shipment, on, channel)
        shipment.receipt = Receipt.PENDING
    before = shipment.status
    shipment.status, shipment.decision_reason = status, reason
    shipment.decided_at, shipment.decided_by_label, shipment.updated_at = utcnow(), actor.label, utcnow()
    db.session.flush()
    audit.record(actor, "shipment.decide", shipment, country_code=shipment.country_code, reason=reason,
                 summary=audit.msg("Shipment %(number)s: %(decision)s", number=shipment.declaration_number,
                                   decision=status.value),
                 before={"status": before.value}, after={"status": status.value, "entry": shipment.entry_id})
    logger.info("shipment %s %s by %s", shipment.declaration_number, status.value, actor.label)
    return shipment


def answer_receipt(actor: Actor, shipment: Shipment, *, confirm: bool, note: str | None = None) -> Shipment:
    """The importer confirms the released shipment reached them, or disputes it (with what is wrong); audited.

    :raise InvalidState: ``receipt_closed`` (not released, or already answered).
    :raise ValidationFailed: ``reason_required`` (a dispute without its reason).
    """
    actor.require(actor.is_system or actor.acts_for_company(shipment.importer_id))
    if shipment.receipt is not Receipt.PENDING:
        raise InvalidState(_("There is nothing to confirm for this shipment."), code="receipt_closed")
    note = (note or "").strip() or None
    if not confirm and not note:
        raise ValidationFailed.for_field("note", _("Say what is wrong with it."), "reason_required")
    shipment.receipt = Receipt.CONFIRMED if confirm else Receipt.DISPUTED
    shipment.receipt_note, shipment.receipt_at, shipment.receipt_by_label = note, utcnow(), actor.label
    db.session.flush()
    audit.record(actor, "shipment.receipt", shipment, country_code=shipment.country_code, reason=note,
                 summary=audit.msg("Shipment %(number)s: receipt %(answer)s", number=shipment.declaration_number,
                                   answer=shipment.receipt.value),
                 before={"receipt": "pending"}, after={"receipt": shipment.receipt.value})
    return shipment
