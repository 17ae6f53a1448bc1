"""Logbook services: who may read and write which logbook, recording entries (with every rule),
reversals, counterparts, stock, refused attempts and per-country settings.

Entries go through :mod:`certreg.logbook.rules` (pure checks) and
:mod:`certreg.logbook.ledger` (ids, hashes, balances, the log head). Services flush and
never commit. A refusal by a rule is a ``ValidationFailed`` whose ``after_rollback``
keeps a :class:`~certreg.logbook.models.Refusal` once the request's transaction has been
rolled back (see :func:`certreg.errors.roll_back`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.auth.models import OFFICIAL_ROLES, Role
from certreg.countries import bans as ban_dates
from certreg.db import utcnow
from certreg.errors import CertregError, Forbidden, InvalidState, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.logbook import ledger, rules
from certreg.logbook.models import (
    Balance,
    Channel,
    Condition,
    CountrySettings,
    Entry,
    EntryCylinder,
    EntryKind,
    Equipment,
    ExemptedUse,
    HolderKind,
    Logbook,
    Refusal,
    Transfer,
    TransferKind,
    TransferStatus,
    UsedOdsSales,
)
from certreg.registry.models import Company, Technician
from certreg.substances import services as substances

logger = logging.getLogger(__name__)

LOGBOOK_ADMINS = (Role.ADMIN,)
MAX_CYLINDERS = 50


# --- holders and permissions -------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Whoever keeps a logbook: a company or a technician."""

    kind: HolderKind
    id: int
    country_code: str
    name: str

    @property
    def ref(self) -> str:
        return f"{self.kind.value}:{self.id}"


def holder(kind: HolderKind | str, holder_id: int) -> Holder:
    """:raise NotFound: no such company or technician."""
    try:
        kind = HolderKind(kind)
    except ValueError:
        raise NotFound() from None
    record = db.session.get(Company if kind is HolderKind.COMPANY else Technician, holder_id)
    if record is None:
        raise NotFound()
    return Holder(kind, record.id, record.country_code, record.display_name)


def holder_of(logbook: Logbook) -> Holder:
    return holder(logbook.holder_kind, logbook.holder_id)


def acting_holder(actor: Actor) -> Holder | None:
    """The holder a company user or technician writes for (officials and the system have none)."""
    user = actor.user
    if user is None:
        return None
    if user.role is Role.COMPANY_USER and user.company_id:
        return holder(HolderKind.COMPANY, user.company_id)
    if user.role is Role.TECHNICIAN and user.technician_id:
        return holder(HolderKind.TECHNICIAN, user.technician_id)
    return None


def can_write(actor: Actor, who: Holder) -> bool:
    if actor.is_system:
        return True
    if who.kind is HolderKind.COMPANY:
        return actor.acts_for_company(who.id)
    return actor.acts_for_technician(who.id)


def can_read(actor: Actor, who: Holder) -> bool:
    return can_write(actor, who) or actor.in_country(who.country_code, *OFFICIAL_ROLES)


def require_read(actor: Actor, who: Holder) -> None:
    """:raise NotFound: the actor may not see this logbook (its existence is not revealed)."""
    if not can_read(actor, who):
        raise NotFound()


def require_write(actor: Actor, who: Holder) -> None:
    require_read(actor, who)
    actor.require(can_write(actor, who))


_LOGBOOK_OF = {kind: sa.select(Logbook).where(column == sa.bindparam("holder"))  # built once: every entry asks
               for kind, column in ((HolderKind.COMPANY, Logbook.company_id),
                                    (HolderKind.TECHNICIAN, Logbook.technician_id))}


def logbook_for(who: Holder, *, create: bool = False) -> Logbook | None:
    query = _LOGBOOK_OF[who.kind]
    logbook = db.session.scalar(query, {"holder": who.id})
    if logbook is None and create:
        values = {"country_code": who.country_code, "holder_kind": who.kind.value,
                  "company_id": who.id if who.kind is HolderKind.COMPANY else None,
                  "technician_id": who.id if who.kind is HolderKind.TECHNICIAN else None}
        db.session.execute(ledger.insert_or_ignore(Logbook.__table__, **values))
        logbook = db.session.scalar(query, {"holder": who.id})
    return logbook


# --- per-country settings ----------------------------------------------------------------


def country_settings(country_code: str) -> CountrySettings:
    """The country's logbook settings (defaults when the administrators set none)."""
    settings = db.session.get(CountrySettings, country_code)
    return settings or CountrySettings(country_code=country_code, used_ods_sales=UsedOdsSales.ALLOWED,
                                       leak_rate_threshold=None)


def leak_rate_threshold(country_code: str) -> Decimal:
    configured = country_settings(country_code).leak_rate_threshold
    return Decimal(configured if configured is not None else current_app.config["LEAK_RATE_THRESHOLD_PERCENT"])


def can_manage_settings(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, *LOGBOOK_ADMINS)


def update_settings(actor: Actor, country_code: str, *, used_ods_sales: str,
                    leak_rate_threshold: Decimal | None) -> CountrySettings:
    actor.require(can_manage_settings(actor, country_code))
    try:
        policy = UsedOdsSales(used_ods_sales)
    except ValueError:
        raise ValidationFailed.for_field("used_ods_sales", _("Not a valid choice."), "invalid_choice") from None
    if leak_rate_threshold is not None and not (0 < leak_rate_threshold <= 100):
        raise ValidationFailed.for_field("leak_rate_threshold", _("Give a percentage between 0 and 100."),
                                         "out_of_range")
    settings = db.session.get(CountrySettings, country_code)
    before = None
    if settings is None:
        settings = CountrySettings(country_code=country_code)
        db.session.add(settings)
    else:
        before = {"used_ods_sales": settings.used_ods_sales.value,
                  "leak_rate_threshold": settings.leak_rate_threshold}
    settings.used_ods_sales = policy
    settings.leak_rate_threshold = leak_rate_threshold
    settings.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "logbook_settings.update", settings, object_id=country_code, country_code=country_code,
                 summary=audit.msg("Logbook settings of %(country)s", country=country_code), before=before or {},
                 after={"used_ods_sales": policy.value, "leak_rate_threshold": leak_rate_threshold})
    return settings


_SETTINGS = CountrySettings.__table__
_RULE_CONTEXT = sa.select(_SETTINGS.c.used_ods_sales).where(_SETTINGS.c.country_code == sa.bindparam("country"))


def rule_context(country_code: str, today: date | None = None) -> rules.Context:
    """The country's ban dates per control group (the Protocol's defaults for its Party group, or the
    national dates set: :func:`certreg.countries.bans.effective_bans`) and its used-ODS policy."""
    policy = db.session.execute(_RULE_CONTEXT, {"country": country_code}).scalar()
    return rules.Context(
        country_code=country_code,
        today=today or date.today(),
        bans=ban_dates.effective_bans(country_code),
        used_ods_sales=policy or UsedOdsSales.ALLOWED,
    )


# --- entry input -------------------------------------------------------------------------


@dataclass
class EntryData:
    """An entry as typed on a page, sent to the API or read from a CSV line."""

    kind: str
    operation_date: date
    substance: str
    quantity: Decimal | None = None
    condition: str | None = None
    from_condition: str | None = None
    counted_quantity: Decimal | None = None
    cylinders: list[str] = field(default_factory=list)
    equipment: str | None = None  # equipment code (CC-E-NNNNNN-D)
    counterparty_name: str | None = None
    counterparty_country: str | None = None
    counterparty_registration: str | None = None  # exports: the importer's registration number, if registered
    buyer_certificate: str | None = None
    document_numbers: str | None = None
    import_licence: str | None = None
    customs_declaration: str | None = None
    origin_country: str | None = None
    exporter_name: str | None = None
    export_licence: str | None = None
    destination_country: str | None = None
    reason: str | None = None
    note: str | None = None
    exempted_use: str | None = None  # ExemptedUse value: trade for a use exempted from the phase-out
    exemption_reference: str | None = None  # the decision or licence granting it

    def jsonable(self) -> dict[str, Any]:
        return audit._jsonable(asdict(self))


ENTRY_DATA_FIELDS = [f for f in EntryData.__dataclass_fields__]


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _country_code(value: str | None, field_name: str) -> str | None:
    value = _blank(value)
    if value is None:
        return None
    value = value.upper()
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        raise ValidationFailed.for_field(field_name, _("Use the two-letter country code, e.g. KZ."), "invalid_country")
    return value


def _enum(enum_cls, value, field_name: str, default=None):
    if value in (None, ""):
        return default
    member = enum_cls._value2member_map_.get(value) if type(value) is str else None  # what enum_cls(value) finds
    if member is not None:
        return member
    try:
        return enum_cls(value)
    except ValueError:
        raise ValidationFailed.for_field(field_name, _("Not a valid choice."), "invalid_choice") from None


def _cylinders(values: list[str]) -> tuple[str, ...]:
    if not values:
        return ()
    cleaned = tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    if len(cleaned) > MAX_CYLINDERS:
        raise ValidationFailed.for_field("cylinders", _("At most %(n)s cylinders per entry.", n=MAX_CYLINDERS),
                                         "too_many")
    if any(len(c) > 64 for c in cleaned):
        raise ValidationFailed.for_field("cylinders", _("A cylinder serial number has at most 64 characters."),
                                         "too_long")
    return cleaned


def equipment_info(equipment: Equipment) -> rules.EquipmentInfo:
    return rules.EquipmentInfo(equipment.id, equipment.code, equipment.country_code, equipment.substance_code,
                               equipment.decommissioned_on)


def find_equipment(code: str | None) -> Equipment | None:
    from certreg.logbook.equipment import normalize_code

    if not code:
        return None
    return db.session.scalar(sa.select(Equipment).where(Equipment.code == normalize_code(code)))


def substance_info(code: str, cache: dict[str, Any] | None = None) -> rules.SubstanceInfo:
    """The catalogue entry for ``code`` (any of its names) as the rules need it.

    :raise ValidationFailed: ``unknown_substance``.
    """
    if cache is not None and code in cache:
        return cache[code]
    info = substances.annexes_of(code or "")
    if info is None:
        substance = substances.resolve(code or "", field="substance")
        info = substances.annexes_of(substance.code)
    info = rules.SubstanceInfo(*info)
    if cache is not None:
        cache[code] = info
    return info


def draft_from(data: EntryData, *, allowed_kinds: frozenset[EntryKind] = rules.RECORDABLE_KINDS,
               cache: dict[str, Any] | None = None) -> rules.Draft:
    """Parse the syntax of an entry into a :class:`rules.Draft` (the rules come after).

    ``cache`` (a dict kept by the caller) saves catalogue and equipment look-ups in imports.
    """
    kind = _enum(EntryKind, data.kind, "kind")
    if kind is None:
        raise ValidationFailed.for_field("kind", _("Choose the kind of entry."), "required")
    if kind not in allowed_kinds:
        raise ValidationFailed.for_field("kind", _("This kind of entry cannot be recorded directly."),
                                         "kind_not_recordable")
    substance = substance_info(data.substance, cache)
    equipment = None
    if _blank(data.equipment):
        key = ("equipment", data.equipment)
        equipment = cache.get(key) if cache is not None else None
        if equipment is None:
            found = find_equipment(data.equipment)
            if found is None:
                raise ValidationFailed.for_field("equipment", _("No equipment with this id is registered."),
                                                 "unknown_equipment")
            equipment = equipment_info(found)
            if cache is not None:
                cache[key] = equipment
    quantity = None
    if data.quantity is not None and kind is not EntryKind.STOCK_COUNT:
        quantity = rules.parse_kilograms(data.quantity)
    counted = data.counted_quantity
    if counted is not None:
        counted = Decimal(counted)
    return rules.Draft.of(
        kind=kind,
        operation_date=data.operation_date,
        substance=substance,
        quantity=quantity,
        condition=_enum(Condition, data.condition, "condition", Condition.VIRGIN),
        from_condition=_enum(Condition, data.from_condition, "from_condition"),
        counted_quantity=counted,
        cylinders=_cylinders(data.cylinders or []),
        equipment=equipment,
        counterparty_name=_blank(data.counterparty_name),
        counterparty_country=_country_code(data.counterparty_country, "counterparty_country"),
        buyer_certificate=_blank(data.buyer_certificate),
        document_numbers=_blank(data.document_numbers),
        import_licence=_blank(data.import_licence),
        customs_declaration=_blank(data.customs_declaration),
        origin_country=_country_code(data.origin_country, "origin_country"),
        exporter_name=_blank(data.exporter_name),
        export_licence=_blank(data.export_licence),
        destination_country=_country_code(data.destination_country, "destination_country"),
        reason=_blank(data.reason),
        note=_blank(data.note),
        exempted_use=_enum(ExemptedUse, data.exempted_use, "exempted_use"),
        exemption_reference=_blank(data.exemption_reference),
    )


# --- refused attempts --------------------------------------------------------------------


class RefusalNote:
    """Keeps a :class:`Refusal` when a rule refuses (after the refused transaction is rolled back)."""

    def __init__(self, actor: Actor, who: Holder, channel: Channel,
                 details: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        self.actor_user_id = actor.user_id
        self.actor_label = actor.label
        self.who = who
        self.channel = channel
        self._details = details  # the attempted input, or a function giving it (built only if refused)
        self.buyer: Holder | None = None

    @property
    def details(self) -> dict[str, Any]:
        return self._details() if callable(self._details) else self._details

    def attach(self, exc: ValidationFailed, **extra: Any) -> None:
        if exc.code not in rules.REFUSAL_CODES:
            return
        field_name = next(iter(exc.fields), None)
        details = {**self.details, **extra}
        exc.refusal_note = self
        exc.after_rollback.append(lambda: self.write(exc.code, field_name, exc.message, details))

    def write(self, code: str, field_name: str | None, message: str, details: dict[str, Any]) -> Refusal:
        logbook = logbook_for(self.who, create=True)
        buyer_logbook = logbook_for(self.buyer, create=True) if self.buyer else None
        quantity = details.get("quantity")
        try:
            quantity = rules.parse_kilograms(quantity) if quantity not in (None, "") else None
        except ValidationFailed:
            quantity = None
        refusal = Refusal(
            country_code=self.who.country_code,
            logbook_id=logbook.id,
            actor_user_id=self.actor_user_id,
            actor_label=self.actor_label,
            channel=self.channel,
            kind=_maybe(EntryKind, details.get("kind")),
            substance_code=(details.get("substance") or None),
            quantity=quantity,
            condition=_maybe(Condition, details.get("condition")),
            operation_date=_maybe(date.fromisoformat, details.get("operation_date")),
            buyer_certificate=(details.get("buyer_certificate") or None),
            buyer_logbook_id=buyer_logbook.id if buyer_logbook else None,
            code=code,
            field=field_name,
            message=message,
            details=details,
        )
        db.session.add(refusal)
        db.session.flush()
        logger.info("refused %s for %s by %s: %s", details.get("kind"), self.who.ref, self.actor_label, code)
        return refusal


def _maybe(parse: Callable[[Any], Any], value: Any) -> Any:
    if value in (None, ""):
        return None
    try:
        return parse(value)
    except (ValueError, TypeError):
        return None


def list_refusals(actor: Actor, country_code: str, *, who: Holder | None = None, page: int = 1, per_page: int = 50):
    actor.require(actor.is_system or actor.in_country(country_code, *OFFICIAL_ROLES)
                  or (who is not None and can_write(actor, who)))
    query = sa.select(Refusal).where(Refusal.country_code == country_code)
    if who is not None:
        logbook = logbook_for(who)
        query = query.where(Refusal.logbook_id == (logbook.id if logbook else -1))
    return db.paginate(query.order_by(Refusal.id.desc()), page=page, per_page=per_page, error_out=False)


# --- the buyer of a sale -----------------------------------------------------------------


def check_purchase(certificate_text: str, substance_code: str, on_date: date):
    """The certificates feature's verdict: may this certificate's holder buy this substance on this date?"""
    from certreg.certificates.services import check_purchase as certificates_check_purchase

    return certificates_check_purchase(certificate_text, substance_code, on_date)


@dataclass(frozen=True)
class Buyer:
    holder: Holder
    certificate_number: str


def _buyer(seller: Holder, draft: rules.Draft, note: RefusalNote | None) -> Buyer:
    verdict = check_purchase(draft.buyer_certificate or "", draft.substance.code, draft.operation_date)
    buyer = None
    if verdict.holder_kind and verdict.holder_id:
        buyer = holder(verdict.holder_kind, verdict.holder_id)
        if note is not None:
            note.buyer = buyer
    if not verdict.allowed:
        raise rules.refuse("buyer_certificate", verdict.message, verdict.code)
    if buyer is None:  # an allowed verdict always names the holder
        raise rules.refuse("buyer_certificate", _("The certificate's holder is not registered."), "unknown_certificate")
    if (buyer.kind, buyer.id) == (seller.kind, seller.id):
        raise rules.refuse("buyer_certificate", _("A holder cannot sell to itself."), "sale_to_self")
    number = getattr(verdict.certificate, "number", None) or draft.buyer_certificate
    return Buyer(buyer, number)


def _export_receiver(seller: Holder, data: EntryData, draft: rules.Draft) -> Holder | None:
    registration = _blank(data.counterparty_registration)
    if draft.kind is not EntryKind.EXPORT or not registration or not draft.destination_country:
        return None
    company = db.session.scalar(sa.select(Company).where(Company.country_code == draft.destination_country,
                                                         Company.registration_number == registration))
    if company is None:
        raise ValidationFailed.for_field("counterparty_registration", _(
            "No company with this registration number is registered in the country of destination."),
            "unknown_counterparty")
    return holder(HolderKind.COMPANY, company.id)


# --- recording entries -------------------------------------------------------------------


def _values(draft: rules.Draft, logbook: Logbook, actor: Actor, channel: Channel, now: datetime,
            **extra: Any) -> dict[str, Any]:
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
        draft = draft_from(data)
        if intervention_id is not None:
            draft = replace(draft, intervention_id=intervention_id)
        ctx = rule_context(who.country_code)
        buyer = _buyer(who, rules.prepare(draft, ctx, book_quantity=lambda: Decimal(0)), note) \
            if draft.kind is EntryKind.SALE else None
        receiver = _export_receiver(who, data, draft)
        logbook = logbook_for(who, create=True)
        head = ledger.lock_head(who.country_code)
        stock = ledger.Stock(logbook.id)
        draft = rules.prepare(draft, ctx, book_quantity=lambda: stock.get(draft.substance.code, draft.condition))
        moves = rules.effects(draft.kind, draft.substance.code, draft.quantity, draft.condition,
                              draft.from_condition, draft.direction)
        rules.check_stock(draft.kind, moves, stock.get)
    except ValidationFailed as exc:
        note.attach(exc)
        raise
    extra: dict[str, Any] = {}
    counterparty = buyer.holder if buyer else receiver
    if buyer is not None:
        extra.update(counterparty_name=buyer.holder.name, counterparty_country=buyer.holder.country_code,
                     buyer_certificate=buyer.certificate_number)
    if counterparty is not None:
        extra["counterparty_logbook_id"] = logbook_for(counterparty, create=True).id
        if receiver is not None and not draft.counterparty_name:
            extra["counterparty_name"] = receiver.name
    now = utcnow()
    stored = _append(head, stock, moves, _values(draft, logbook, actor, channel, now, **extra), draft.cylinders, now)
    if counterparty is not None:
        db.session.add(Transfer(
            kind=TransferKind.SALE if buyer else TransferKind.EXPORT, origin_entry_id=stored["id"],
            from_logbook_id=logbook.id, to_logbook_id=extra["counterparty_logbook_id"],
            status=TransferStatus.PENDING,
        ))
    db.session.flush()
    logger.info("entry %s (%s) in %s by %s", stored["id"], draft.kind.value, who.ref, actor.label)
    return ledger.as_entry(stored)


def _append(head: ledger.Head, stock: ledger.Stock, moves: list[rules.Effect], values: dict[str, Any],
            cylinders: tuple[str, ...] | list[str], now: datetime) -> dict[str, Any]:
    stored = ledger.append(head, values, cylinders)
    stock.apply(moves, stored["id"])
    stock.save(now)
    from certreg.logbook import checkpointing

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
        for action in exc.after_rollback:  # this request commits: keep the refused attempt now
            action()
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


# --- reading ------------------------------------------------------------------------------


def get_entry(actor: Actor, entry_id: int) -> Entry:
    """:raise NotFound: no such entry, or not visible to the actor."""
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        raise NotFound()
    require_read(actor, holder_of(entry.logbook))
    return entry


def reversal_of(entry: Entry) -> Entry | None:
    return db.session.scalar(sa.select(Entry).where(Entry.reverses_id == entry.id))


def transfer_of(entry: Entry) -> Transfer | None:
    return db.session.scalar(sa.select(Transfer).where(
        sa.or_(Transfer.origin_entry_id == entry.id, Transfer.counterpart_entry_id == entry.id)))


@dataclass
class EntryFilter:
    kind: str | None = None
    substance: str | None = None
    condition: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    cylinder: str | None = None
    text: str | None = None  # counterparty, documents, licences, certificate number


def entries_query(actor: Actor, who: Holder | None, filters: EntryFilter | None = None,
                  *, country_code: str | None = None) -> sa.Select:
    """Entries of one holder, or (officials) of their whole country, newest first."""
    filters = filters or EntryFilter()
    query = sa.select(Entry)
    if who is not None:
        require_read(actor, who)
        logbook = logbook_for(who)
        query = query.where(Entry.logbook_id == (logbook.id if logbook else -1))
    else:
        country_code = country_code or actor.country_code
        actor.require(actor.is_system or actor.in_country(country_code, *OFFICIAL_ROLES))
        query = query.where(Entry.country_code == country_code)
    if filters.kind:
        query = query.where(Entry.kind == _enum(EntryKind, filters.kind, "kind"))
    if filters.substance:
        query = query.where(Entry.substance_code == substances.resolve(filters.substance).code)
    if filters.condition:
        query = query.where(Entry.condition == _enum(Condition, filters.condition, "condition"))
    if filters.date_from:
        query = query.where(Entry.operation_date >= filters.date_from)
    if filters.date_to:
        query = query.where(Entry.operation_date <= filters.date_to)
    if filters.cylinder:
        query = query.where(Entry.id.in_(sa.select(EntryCylinder.entry_id)
                                         .where(EntryCylinder.serial == filters.cylinder.strip())))
    if filters.text:
        needle = f"%{filters.text.strip()}%"
        query = query.where(sa.or_(*(column.ilike(needle) for column in (
            Entry.counterparty_name, Entry.document_numbers, Entry.buyer_certificate, Entry.import_licence,
            Entry.customs_declaration, Entry.export_licence, Entry.exporter_name, Entry.note))))
    return query.order_by(Entry.operation_date.desc(), Entry.id.desc())


def list_entries(actor: Actor, who: Holder | None, filters: EntryFilter | None = None, *, page: int = 1,
                 per_page: int = 50, country_code: str | None = None):
    return db.paginate(entries_query(actor, who, filters, country_code=country_code), page=page,
                       per_page=per_page, error_out=False)


def balances(actor: Actor, who: Holder, *, include_zero: bool = False) -> list[Balance]:
    """The holder's current stock per substance and condition (read from the balances, never summed)."""
    require_read(actor, who)
    logbook = logbook_for(who)
    if logbook is None:
        return []
    query = sa.select(Balance).where(Balance.logbook_id == logbook.id)
    if not include_zero:
        query = query.where(Balance.quantity > 0)
    return list(db.session.scalars(query.order_by(Balance.substance_code, Balance.condition)))


def stock_of(who: Holder, substance_code: str, condition: Condition) -> Decimal:
    logbook = logbook_for(who)
    if logbook is None:
        return Decimal("0.000")
    value = db.session.scalar(sa.select(Balance.quantity).where(
        Balance.logbook_id == logbook.id, Balance.substance_code == substance_code, Balance.condition == condition))
    return Decimal(value) if value is not None else Decimal("0.000")


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
    reason = _blank(reason)
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
    stored = _append(head, stock, moves, values, cylinders, now)
    if transfer is not None and transfer.status in (TransferStatus.PENDING, TransferStatus.DISPUTED):
        transfer.status = TransferStatus.CANCELLED
        db.session.flush()
    logger.info("entry %s reversed by %s (%s)", original.id, stored["id"], actor.label)
    return ledger.as_entry(stored)


# --- counterparts ------------------------------------------------------------------------


def get_transfer(actor: Actor, transfer_id: int) -> Transfer:
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound()
    sender, receiver = holder_of(transfer.from_logbook), holder_of(transfer.to_logbook)
    if not (can_read(actor, sender) or can_read(actor, receiver)):
        raise NotFound()
    return transfer


def transfers(actor: Actor, who: Holder, *, incoming: bool = True,
              statuses: tuple[TransferStatus, ...] = (TransferStatus.PENDING, TransferStatus.DISPUTED),
              ) -> list[Transfer]:
    """Sales and exports to ``who`` (incoming) or from ``who`` (outgoing) in the given states."""
    require_read(actor, who)
    logbook = logbook_for(who)
    if logbook is None:
        return []
    column = Transfer.to_logbook_id if incoming else Transfer.from_logbook_id
    query = sa.select(Transfer).where(column == logbook.id)
    if statuses:
        query = query.where(Transfer.status.in_(statuses))
    return list(db.session.scalars(query.order_by(Transfer.id.desc())))


def pending_count(who: Holder) -> int:
    logbook = logbook_for(who)
    if logbook is None:
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(Transfer).where(
        Transfer.to_logbook_id == logbook.id, Transfer.status == TransferStatus.PENDING))


def _respondable(actor: Actor, transfer: Transfer) -> Holder:
    receiver = holder_of(transfer.to_logbook)
    actor.require(can_write(actor, receiver))  # get_transfer checked that the actor may see it
    if transfer.status not in (TransferStatus.PENDING, TransferStatus.DISPUTED):
        raise InvalidState(_("This has already been answered or was cancelled."), code="transfer_closed")
    return receiver


def confirm_transfer(actor: Actor, transfer_id: int, *, import_licence: str | None = None,
                     customs_declaration: str | None = None, channel: Channel = Channel.WEB) -> Entry:
    """The receiver confirms: a purchase (or, for an export, an import) enters their logbook and stock.

    An import needs the receiver's own import licence and customs declaration (proof of origin).
    """
    transfer = get_transfer(actor, transfer_id)
    receiver = _respondable(actor, transfer)
    origin = transfer.origin_entry
    sender = holder_of(transfer.from_logbook)
    data = EntryData(
        kind=(EntryKind.PURCHASE if transfer.kind is TransferKind.SALE else EntryKind.IMPORT).value,
        operation_date=origin.operation_date, substance=origin.substance_code, quantity=origin.quantity,
        condition=origin.condition.value, cylinders=origin.cylinders,
        counterparty_name=sender.name, counterparty_country=sender.country_code,
        document_numbers=origin.document_numbers,
        exempted_use=origin.exempted_use.value if origin.exempted_use else None,
        exemption_reference=origin.exemption_reference,
    )
    if transfer.kind is TransferKind.EXPORT:
        data.import_licence, data.customs_declaration = import_licence, customs_declaration
        data.origin_country, data.exporter_name = sender.country_code, sender.name
    note = RefusalNote(actor, receiver, channel, {**data.jsonable(), "transfer": transfer.id})
    try:
        draft = draft_from(data)
        ctx = rule_context(receiver.country_code)
        logbook = logbook_for(receiver, create=True)
        head = ledger.lock_head(receiver.country_code)
        stock = ledger.Stock(logbook.id)
        draft = rules.prepare(draft, ctx)
        moves = rules.effects(draft.kind, draft.substance.code, draft.quantity, draft.condition)
    except ValidationFailed as exc:
        note.attach(exc)
        raise
    now = utcnow()
    values = _values(draft, logbook, actor, channel, now, counterparty_logbook_id=transfer.from_logbook_id,
                     counterpart_of_id=origin.id)
    stored = _append(head, stock, moves, values, draft.cylinders, now)
    before = transfer.status.value
    transfer.status = TransferStatus.CONFIRMED
    transfer.counterpart_entry_id = stored["id"]
    _responded(actor, transfer, now)
    audit.record(actor, "transfer.confirm", transfer, country_code=receiver.country_code,
                 summary=audit.msg("Confirmed %(kind)s %(origin_id)s as entry %(entry_id)s",
                                   kind=transfer.kind.value, origin_id=origin.id, entry_id=stored["id"]),
                 before={"status": before}, after={"status": "confirmed", "entry": stored["id"]})
    return ledger.as_entry(stored)


def dispute_transfer(actor: Actor, transfer_id: int, reason: str) -> Transfer:
    """The receiver says this sale or export did not happen as recorded; nothing enters their stock."""
    transfer = get_transfer(actor, transfer_id)
    receiver = _respondable(actor, transfer)
    reason = _blank(reason)
    if not reason:
        raise ValidationFailed.for_field("reason", _("Say what is wrong with it."), "reason_required")
    if transfer.status is TransferStatus.DISPUTED:
        raise InvalidState(_("This is already disputed."), code="transfer_closed")
    transfer.status = TransferStatus.DISPUTED
    transfer.response_note = reason
    _responded(actor, transfer, utcnow())
    audit.record(actor, "transfer.dispute", transfer, country_code=receiver.country_code,
                 summary=audit.msg("Disputed %(kind)s %(origin_id)s",
                                   kind=transfer.kind.value, origin_id=transfer.origin_entry_id),
                 before={"status": "pending"}, after={"status": "disputed"}, reason=reason)
    return transfer


def _responded(actor: Actor, transfer: Transfer, now: datetime) -> None:
    transfer.responded_at = now
    transfer.responded_by_user_id = actor.user_id
    transfer.responded_by_label = actor.label
    db.session.flush()



# --- refusals the API and pages share (their messages live in this feature's catalogue) -------


def not_a_holder() -> Forbidden:
    return Forbidden(_("Only companies and technicians keep logbooks."), code="not_a_holder")


def invalid_holder_ref() -> ValidationFailed:
    return ValidationFailed.for_field("holder", _("Write the holder as company:ID or technician:ID."),
                                      "invalid_holder")


def holder_required() -> Forbidden:
    return Forbidden(_("Give holder=company:ID or holder=technician:ID."), code="holder_required")


def csv_required() -> CertregError:
    error = CertregError(_("Send the file as text/csv."), code="unsupported_media_type")
    error.status = 415
    return error


def file_too_large() -> ValidationFailed:
    return ValidationFailed(_("The file is too large."), code="too_large")


def invalid_choice(field_name: str) -> ValidationFailed:
    return ValidationFailed.for_field(field_name, _("Not a valid choice."), "invalid_choice")
