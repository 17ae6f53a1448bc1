"""Recording entries with every rule: one preparation path for every surface.

:func:`prepare_entry` (syntax, the buyer of a sale, the receiver of an export) then
:func:`check_entry` (the rules that need the holder's stock) is what :func:`record_entry`
(pages, API, equipment interventions) and the CSV import (:mod:`.imports`) both run on each
entry; they differ only in how the passed entries are written (one append, or the bulk
appender). Also the point-of-sale check and reversals. Services flush and never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.certificates import categories as catdata
from certreg.certificates.purchase import check_purchase as certificates_check_purchase
from certreg.certificates.queries import holder_certificates
from certreg.certificates.states import State, state_on
from certreg.db import utcnow
from certreg.errors import ValidationFailed, keep_after_rollback
from certreg.extensions import db
from certreg.logbook import checkpointing, ledger, licensing, links, rules, use_rules
from certreg.logbook import quotas as logbook_quotas
from certreg.logbook.drafts import EntryData, blank, draft_from
from certreg.logbook.holders import Holder, holder, holder_of, logbook_for, require_write
from certreg.logbook.models import Channel, Condition, Entry, EntryKind, Logbook, Transfer, TransferKind, TransferStatus
from certreg.logbook.queries import get_entry, reversal_of
from certreg.logbook.refusals import RefusalNote
from certreg.logbook.settings import rule_context
from certreg.registry.models import Company, CompanyActivity
from certreg.vocabulary import HolderKind

logger = logging.getLogger(__name__)


# --- the buyer of a sale -----------------------------------------------------------------


def check_purchase(certificate_text: str, substance_code: str, on_date: date):
    """The certificates feature's verdict: may this certificate's holder buy this substance on this date?"""
    return certificates_check_purchase(certificate_text, substance_code, on_date)


@dataclass(frozen=True)
class Buyer:
    holder: Holder
    certificate_number: str


def find_buyer(seller: Holder, draft: rules.Draft, note: RefusalNote | None = None, *,
               cache: dict[Any, Any] | None = None) -> Buyer:
    """The registered buyer of a sale, whose certificate allows buying this substance on this date.

    ``cache`` (a dict kept by the caller, e.g. an import) remembers each certificate's verdict
    per substance and date. :raise ValidationFailed: the certificate's refusal code on
    ``buyer_certificate``, or ``sale_to_self``.
    """
    key = ("buyer", draft.buyer_certificate or "", draft.substance.code, draft.operation_date)
    found = cache.get(key) if cache is not None else None
    if found is None:
        found = _look_up_buyer(seller, draft)
        if cache is not None:
            cache[key] = found
    outcome, buyer, number = found
    if note is not None:
        note.buyer, note.certificate_number = buyer, number
    if isinstance(outcome, ValidationFailed):
        raise ValidationFailed(outcome.message, code=outcome.code, fields=outcome.fields)
    return outcome


def _look_up_buyer(seller: Holder, draft: rules.Draft) -> tuple[Buyer | ValidationFailed, Holder | None, str | None]:
    """``(buyer or refusal, the certificate's holder, its number)``: what :func:`find_buyer` remembers."""
    verdict = check_purchase(draft.buyer_certificate or "", draft.substance.code, draft.operation_date)
    number = verdict.certificate.number if verdict.certificate is not None else None
    buyer = holder(verdict.holder_kind, verdict.holder_id) if verdict.holder_kind and verdict.holder_id else None
    if not verdict.allowed:
        return rules.refuse("buyer_certificate", verdict.message, verdict.code), buyer, number
    if buyer is None:  # an allowed verdict always names the holder
        return rules.refuse("buyer_certificate", _("The certificate's holder is not registered."),
                            "unknown_certificate"), None, number
    if (buyer.kind, buyer.id) == (seller.kind, seller.id):
        return rules.refuse("buyer_certificate", _("A holder cannot sell to itself."), "sale_to_self"), buyer, number
    if buyer.country_code != seller.country_code:  # an export from here and an import there, not a sale
        return rules.refuse("buyer_certificate", _(
            "The buyer is certified in another country (%(country)s): record this as an export, with its export "
            "licence and country of destination.", country=buyer.country_code), "sale_cross_border"), buyer, number
    return Buyer(buyer, number or draft.buyer_certificate), buyer, number


def export_receiver(data: EntryData, draft: rules.Draft, *, cache: dict[Any, Any] | None = None) -> Holder | None:
    """The registered company an export goes to, when its registration number is given.

    :raise ValidationFailed: ``unknown_counterparty``.
    """
    registration = blank(data.counterparty_registration)
    if draft.kind is not EntryKind.EXPORT or not registration or not draft.destination_country:
        return None
    key = ("receiver", draft.destination_country, registration)
    found = cache.get(key) if cache is not None else None
    if found is None:
        company = db.session.scalar(sa.select(Company).where(Company.country_code == draft.destination_country,
                                                             Company.registration_number == registration))
        found = holder(HolderKind.COMPANY, company.id) if company is not None else ValidationFailed.for_field(
            "counterparty_registration",
            _("No company with this registration number is registered in the country of destination."),
            "unknown_counterparty")
        if cache is not None:
            cache[key] = found
    if isinstance(found, ValidationFailed):
        raise ValidationFailed(found.message, code=found.code, fields=found.fields)
    return found


# --- who records the entry ------------------------------------------------------------------


#: A company's registered activities (built once: every entry of a company asks; no Company object to load).
#: A caller that read them already puts them in ``cache`` under ``(ACTIVITIES, company id)`` (a frozenset of values).
ACTIVITIES = "activities"
_ACTIVITIES = sa.select(CompanyActivity.activity).where(CompanyActivity.company_id == sa.bindparam("company"))


def handler_facts(who: Holder, draft: rules.Draft, ctx: rules.Context, *,
                  cache: dict[Any, Any] | None = None) -> rules.Handler | None:
    """What :func:`rules.check_handler` needs to know about the holder for this entry (None: nothing to check).

    A company: its registered activities and whether a company certificate of its is valid on the
    entry's date. A technician charging or recovering: whether a certificate of theirs valid that day
    allows that work on the substance. ``cache`` as in :func:`prepare_entry`.
    """
    kind = draft.kind
    if not (kind in rules.HANDLER_ACTIVITIES or kind in rules.CERTIFIED_WORK or kind in use_rules.COMPANY_KINDS):
        return None
    key = ("handler", who.kind, who.id, kind, draft.substance.code, draft.operation_date,
           ctx.company_certificate_required)
    if cache is not None and key in cache:
        return cache[key]
    if who.kind is HolderKind.COMPANY:
        activities = cache.get((ACTIVITIES, who.id)) if cache is not None else None  # the border's facts hold them
        if activities is None:
            activities = frozenset(a.value for a in db.session.scalars(_ACTIVITIES, {"company": who.id}))
            if cache is not None:  # once per file, whatever the lines' dates and substances
                cache[(ACTIVITIES, who.id)] = activities
        problem = None
        if ctx.company_certificate_required and kind in rules.CERTIFICATE_KINDS:
            problem = _certificate_problem(who, draft, None)
        found = rules.Handler(True, activities, company_certificate_problem=problem)
    else:
        work = rules.CERTIFIED_WORK.get(kind)
        found = rules.Handler(False, technician_problem=_certificate_problem(who, draft, work) if work else None)
    if cache is not None:
        cache[key] = found
    return found


def _certificate_problem(who: Holder, draft: rules.Draft, work: frozenset[str] | None) -> str | None:
    """None if one of the holder's certificates is valid on the entry's date (and, with ``work``, has a
    category allowing that work on the substance); else the reason's code."""
    day = draft.operation_date
    problem = "no_certificate"
    for cert in holder_certificates(who.kind.value, who.id):
        state = state_on(cert, day)
        if state is not State.VALID:
            if problem == "no_certificate":
                problem = f"certificate_{state.value}"
            continue
        if work is None:
            return None
        counting = [c for c in cert.categories if (c.valid_until is None or day <= c.valid_until)
                    and work & set(c.activities)]
        if not counting:
            problem = "activity_not_certified"
            continue
        try:
            classification = catdata.classify_code(draft.substance.code)
        except KeyError:
            return "category_not_allowed"
        if any(catdata.covers(c.substances, classification) for c in counting):
            return None
        problem = "category_not_allowed"
    return problem


def check_quota(prepared: Prepared, ctx: rules.Context, quota: logbook_quotas.QuotaBook | None = None) -> None:
    """An import by a company is refused beyond its remaining quota for the year and group
    (``quota_exceeded``; :mod:`.quotas`), under the country's log lock. Sets ``prepared.quota_uses``."""
    prepared.quota_uses = logbook_quotas.check(ctx.country_code, prepared.holder_id, prepared.draft, quota)


# --- one preparation for every surface -----------------------------------------------------


@dataclass(slots=True)
class Prepared:
    """An entry on its way into a logbook: its draft, its counterparty, then its stock moves."""
    draft: rules.Draft
    buyer: Buyer | None = None
    receiver: Holder | None = None
    handler: rules.Handler | None = None  # who records it, when the kind of entry needs checking
    counterpart: bool = False  # confirming another holder's sale or export: dated as theirs, not late
    holder_id: int | None = None  # the id of the holder recording it (its company, for licences)
    moves: list[rules.Effect] | None = None  # set by check_entry
    quota_uses: list[Any] | None = None  # set by check_entry: what an import uses of its importer's quota
    holder: Holder | None = None
    cache: dict[Any, Any] | None = None
    plans: dict[str, Any] | None = None  # what the entry does to other records sharing the log (links), by check_entry
    licence_use: tuple[int, str, Decimal] | None = None  # (licence id, substance, kg) it records under a licence

    @property
    def counterparty(self) -> Holder | None:
        """The registered holder whose inbox gets this sale or export."""
        return self.buyer.holder if self.buyer is not None else self.receiver

    @property
    def transfer_kind(self) -> TransferKind:
        return TransferKind.SALE if self.buyer is not None else TransferKind.EXPORT

    def values(self, logbook: Logbook, actor: Actor, channel: Channel, now: datetime, *,
               counterparty_logbook_id: int | None = None, **extra: Any) -> dict[str, Any]:
        """The entry's row (see :func:`entry_values`), naming the buyer or receiver."""
        draft, buyer = self.draft, self.buyer
        if buyer is not None:
            extra.update(counterparty_name=buyer.holder.name, counterparty_country=buyer.holder.country_code,
                         buyer_certificate=buyer.certificate_number)
        elif self.receiver is not None and not draft.counterparty_name:
            extra["counterparty_name"] = self.receiver.name
        if counterparty_logbook_id is not None:
            extra["counterparty_logbook_id"] = counterparty_logbook_id
        return entry_values(draft, logbook, actor, channel, now, **extra)


def prepare_entry(who: Holder, data: EntryData, ctx: rules.Context, note: RefusalNote | None = None, *,
                  cache: dict[Any, Any] | None = None, intervention_id: int | None = None,
                  counterpart: bool = False) -> Prepared:
    """Step 1 of recording an entry on any surface: its syntax, the buyer of a sale, the receiver of an export.

    ``cache`` (a dict the caller keeps across entries, e.g. an import) saves repeated look-ups.
    :raise ValidationFailed: with the refusal's code (``note`` keeps the buyer it named).
    """
    draft = draft_from(data, cache=cache)
    if intervention_id is not None:
        draft = replace(draft, intervention_id=intervention_id)
    buyer = None
    if draft.kind is EntryKind.SALE:  # the sale's own rules (e.g. a ban) come before its buyer
        buyer = find_buyer(who, rules.prepare(draft, ctx, book_quantity=_no_stock), note, cache=cache)
    return Prepared(draft, buyer, export_receiver(data, draft, cache=cache),
                    handler=handler_facts(who, draft, ctx, cache=cache), counterpart=counterpart, holder_id=who.id,
                    holder=who, cache=cache)


def check_entry(prepared: Prepared, ctx: rules.Context, stock: Callable[[str, Condition], Decimal], *,
                quota: logbook_quotas.QuotaBook | None = None) -> Prepared:
    """Step 2: every rule, with the holder's ``stock(substance_code, condition)``; sets the stock moves
    (and the quota uses: ``quota`` as in :func:`check_quota`).

    :raise ValidationFailed: with the rule's code (``insufficient_stock``, ``quota_exceeded``, ...).
    """
    draft = prepared.draft
    draft = rules.prepare(draft, ctx, book_quantity=lambda: stock(draft.substance.code, draft.condition))
    if not prepared.counterpart:
        rules.check_late_entry(draft, ctx)
    if prepared.handler is not None:
        rules.check_handler(draft, prepared.handler, ctx)
        if draft.kind in (EntryKind.IMPORT, EntryKind.EXPORT) and prepared.handler.is_company:
            licensing.check_licence(prepared, ctx)
    moves = rules.effects(draft.kind, draft.substance.code, draft.quantity, draft.condition,
                          draft.from_condition, draft.direction)
    rules.check_stock(draft.kind, moves, stock)
    if prepared.holder is not None:  # the cylinders it names (certreg.cylinders.logbook_link)
        prepared.plans = links.check(prepared.holder, draft, prepared.counterpart, prepared.cache)
    prepared.draft, prepared.moves = draft, moves
    if draft.kind is EntryKind.IMPORT and prepared.handler is not None and prepared.handler.is_company:
        check_quota(prepared, ctx, quota)  # last: a reserved use stands only for an entry that passed
    licensing.count_in_file(prepared)  # a CSV import's next lines count what this one records under a licence
    return prepared


def _no_stock() -> Decimal:
    return Decimal(0)



# --- recording entries -------------------------------------------------------------------


def entry_values(draft: rules.Draft, logbook: Logbook, actor: Actor, channel: Channel, now: datetime,
                 **extra: Any) -> dict[str, Any]:
    """The row of an entry made from ``draft`` (``extra`` overrides columns)."""
    values: dict[str, Any] = {
        "country_code": logbook.country_code,
        "logbook_id": logbook.id,
        "kind": draft.kind,
        "operation_date": draft.operation_date,
        "substance_code": draft.substance.code,
        "quantity": draft.quantity,
        "condition": draft.condition,
        "from_condition": draft.from_condition,
        "direction": draft.direction,
        "counted_quantity": draft.counted_quantity,
        "book_quantity": draft.book_quantity,
        "equipment_id": draft.equipment.id if draft.equipment else None,
        "intervention_id": draft.intervention_id,
        "counterparty_name": draft.counterparty_name,
        "counterparty_country": draft.counterparty_country,
        "counterparty_logbook_id": None,
        "buyer_certificate": draft.buyer_certificate,
        "document_numbers": draft.document_numbers,
        "import_licence": draft.import_licence,
        "customs_declaration": draft.customs_declaration,
        "origin_country": draft.origin_country,
        "exporter_name": draft.exporter_name,
        "export_licence": draft.export_licence,
        "destination_country": draft.destination_country,
        "reverses_id": None,
        "counterpart_of_id": None,
        "reason": draft.reason,
        "note": draft.note,
        "exempted_use": draft.exempted_use,
        "exemption_reference": draft.exemption_reference,
        "channel": channel,
        "import_id": None,
        "recorded_at": now,
        "recorded_by_user_id": actor.user_id,
        "recorded_by_label": actor.label,
    }
    values.update(extra)
    return values


def record_entry(actor: Actor, who: Holder, data: EntryData, *, channel: Channel = Channel.WEB,
                 intervention_id: int | None = None, refusal_details: dict[str, Any] | None = None) -> Entry:
    """Record one entry in ``who``'s logbook, applying every rule.

    :raise NotFound: the actor may not see this logbook.
    :raise Forbidden: the actor may not write in it.
    :raise ValidationFailed: refused input or a refused rule (``code`` says which; see ``docs/logbook.md``).
    """
    require_write(actor, who)
    note = RefusalNote(actor, who, channel, lambda: {**data.jsonable(), **(refusal_details or {})})
    try:
        ctx = rule_context(who.country_code)
        prepared = prepare_entry(who, data, ctx, note, intervention_id=intervention_id)
        logbook = logbook_for(who, create=True)
        head = ledger.lock_head(who.country_code)
        stock = ledger.Stock(logbook.id)
        check_entry(prepared, ctx, stock.get)
    except ValidationFailed as exc:
        note.attach(exc)
        raise
    counterparty = prepared.counterparty
    to_logbook_id = logbook_for(counterparty, create=True).id if counterparty is not None else None
    now = utcnow()
    draft = prepared.draft
    stored = append_entry(head, stock, prepared.moves,
                          prepared.values(logbook, actor, channel, now, counterparty_logbook_id=to_logbook_id),
                          draft.cylinders, now, actor=actor, plans=prepared.plans)
    logbook_quotas.write_uses(prepared.quota_uses, stored["id"], who.country_code, now, actor)
    if counterparty is not None:
        db.session.add(Transfer(kind=prepared.transfer_kind, origin_entry_id=stored["id"],
                                from_logbook_id=logbook.id, to_logbook_id=to_logbook_id,
                                status=TransferStatus.PENDING))
    db.session.flush()
    logger.info("entry %s (%s) in %s by %s", stored["id"], draft.kind.value, who.ref, actor.label)
    return ledger.as_entry(stored)


def append_entry(head: ledger.Head, stock: ledger.Stock, moves: list[rules.Effect], values: dict[str, Any],
                 cylinders: tuple[str, ...] | list[str], now: datetime, *, actor: Actor | None = None,
                 plans: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write one entry: its row, the records its ``plans`` change (its cylinders' events, after it in the log),
    its stock moves and balances, the log head (and a checkpoint when due)."""
    stored = ledger.append(head, values, cylinders)
    if plans:
        links.record(actor, head, [(plans, stored)], now)
    stock.apply(moves, stored["id"])
    stock.save(now)
    checkpointing.maybe_checkpoint(head, now)
    ledger.save_head(head, now)
    return stored


@dataclass(frozen=True)
class SaleVerdict:
    """What the point of sale shows before the sale is saved."""
    allowed: bool
    code: str
    message: str
    field: str | None = None
    buyer_name: str | None = None
    buyer_kind: str | None = None
    buyer_country: str | None = None
    certificate_number: str | None = None


def check_sale(actor: Actor, who: Holder, data: EntryData) -> SaleVerdict:
    """Every rule a sale must pass, without recording it (the point of sale's "check" step).

    Runs the whole recording in a savepoint that is rolled back. A refusal is kept as a
    refused attempt (marked ``"stage": "check"``), as it would be on saving.
    """
    require_write(actor, who)
    data = replace(data, kind=EntryKind.SALE.value)
    savepoint = db.session.begin_nested()
    try:
        entry = record_entry(actor, who, data, refusal_details={"stage": "check"})
    except ValidationFailed as exc:
        savepoint.rollback()
        keep_after_rollback(exc.after_rollback, exc.code)  # this request commits: keep the refused attempt now
        exc.after_rollback.clear()
        note = getattr(exc, "refusal_note", None)
        buyer = note.buyer if note else None
        return SaleVerdict(False, exc.code, exc.message, next(iter(exc.fields), None),
                           buyer_name=buyer.name if buyer else None, buyer_kind=buyer.kind.value if buyer else None,
                           buyer_country=buyer.country_code if buyer else None)
    verdict = SaleVerdict(True, "ok", _("The sale is allowed."), buyer_name=entry.counterparty_name,
                          buyer_country=entry.counterparty_country,
                          buyer_kind=(entry.counterparty_logbook.holder_kind.value
                                      if entry.counterparty_logbook else None),
                          certificate_number=entry.buyer_certificate)
    savepoint.rollback()
    return verdict


# --- reversals ---------------------------------------------------------------------------


def reverse_entry(actor: Actor, entry_id: int, reason: str, *, channel: Channel = Channel.WEB) -> Entry:
    """Cancel an entry with a reversal entry (the original stays, as does the reason).

    :raise ValidationFailed: ``reason_required``, ``cannot_reverse_reversal``, ``already_reversed``,
        ``counterpart_confirmed`` (the buyer confirmed this sale: they reverse their purchase first),
        ``insufficient_stock`` (the stock was used since).
    """
    original = get_entry(actor, entry_id)
    who = holder_of(original.logbook)
    require_write(actor, who)
    reason = blank(reason)
    note = RefusalNote(actor, who, channel, {"kind": EntryKind.REVERSAL.value, "reverses": original.id,
                                            "substance": original.substance_code, "reason": reason,
                                            "quantity": str(original.quantity),
                                            "condition": original.condition.value})
    try:
        if not reason:
            raise rules.refuse("reason", _("Say why this entry is reversed."), "reason_required")
        if original.kind is EntryKind.REVERSAL:
            raise rules.refuse(None, _("A reversal cannot be reversed: record the correct entry instead."),
                               "cannot_reverse_reversal")
        if reversal_of(original) is not None:
            raise rules.refuse(None, _("This entry was already reversed."), "already_reversed")
        transfer = db.session.scalar(sa.select(Transfer).where(Transfer.origin_entry_id == original.id))
        if transfer is not None and transfer.status is TransferStatus.CONFIRMED:
            raise rules.refuse(None, _("The buyer confirmed this; they must reverse their entry first."),
                               "counterpart_confirmed")
        head = ledger.lock_head(original.country_code)
        stock = ledger.Stock(original.logbook_id)
        moves = rules.reversed_effects(rules.effects(original.kind, original.substance_code, original.quantity,
                                                     original.condition, original.from_condition,
                                                     original.direction))
        rules.check_stock(EntryKind.REVERSAL, moves, stock.get)
        plans = links.check_reversal(who, original.id)
    except ValidationFailed as exc:
        note.attach(exc)
        raise
    now = utcnow()
    values = {column: getattr(original, column) for column in ledger.ENTRY_COLUMNS
              if column not in ("id", "seq", "leaf_hash", "mac")}
    values.update(kind=EntryKind.REVERSAL, reverses_id=original.id, counterpart_of_id=None, reason=reason, note=None,
                  channel=channel, import_id=None, recorded_at=now, recorded_by_user_id=actor.user_id,
                  recorded_by_label=actor.label)
    cylinders = original.cylinders
    stored = append_entry(head, stock, moves, values, cylinders, now, actor=actor, plans=plans)
    if original.kind is EntryKind.IMPORT:  # give back the quota it used
        logbook_quotas.release(original.country_code, original.id, now, actor)
    if transfer is not None and transfer.status in (TransferStatus.PENDING, TransferStatus.DISPUTED):
        transfer.status = TransferStatus.CANCELLED
        db.session.flush()
    logger.info("entry %s reversed by %s (%s)", original.id, stored["id"], actor.label)
    return ledger.as_entry(stored)

