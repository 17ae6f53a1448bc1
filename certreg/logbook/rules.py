"""The logbook's rules, as pure functions (no database): every channel obeys them.

The web form, the API and the CSV import all build a :class:`Draft` and pass it through
:func:`prepare` (shape and law) and :func:`check_stock` (balances) with a
:class:`Context` describing the holder's country; the caller supplies the stock. Each
refusal is a :class:`certreg.errors.ValidationFailed` with a stable code (listed in
``REFUSAL_CODES`` and ``docs/logbook.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from certreg.errors import FieldError, ValidationFailed
from certreg.logbook.models import (
    EXEMPTED_USE_GROUPS,
    USED_CONDITIONS,
    Condition,
    Direction,
    EntryKind,
    ExemptedUse,
    UsedOdsSales,
)
from certreg.logbook.use_rules import COMPANY_KINDS, PRODUCTION_KINDS, USE_KINDS, check_use

GRAMS = Decimal("0.001")
MAX_KG = Decimal("99999999999.999")
ANNEX_AB = frozenset({"A", "B"})

IN_KINDS = frozenset({EntryKind.IMPORT, EntryKind.PURCHASE, EntryKind.RECOVERY}) | PRODUCTION_KINDS
OUT_KINDS = frozenset({EntryKind.EXPORT, EntryKind.SALE, EntryKind.CHARGE, EntryKind.SENT_FOR_DESTRUCTION,
                       EntryKind.DESTROYED}) | USE_KINDS  # feedstock, QPS and exempted uses: see use_rules
PROCESSING_KINDS = frozenset({EntryKind.RECYCLING, EntryKind.RECLAMATION})
#: Kinds a holder records directly (reversals and counterpart purchases come from other actions).
RECORDABLE_KINDS = IN_KINDS | OUT_KINDS | PROCESSING_KINDS | {EntryKind.STOCK_COUNT}
EQUIPMENT_KINDS = frozenset({EntryKind.CHARGE, EntryKind.RECOVERY})
#: Placing on the market: the bans on virgin phased-out substances apply to these.
MARKET_KINDS = frozenset({EntryKind.SALE, EntryKind.IMPORT})
#: Kinds that may state an exempted use (feedstock, process agent ...): trade in the substance.
EXEMPTION_KINDS = frozenset({EntryKind.SALE, EntryKind.IMPORT, EntryKind.PURCHASE, EntryKind.EXPORT})

#: Codes of refusals that are kept as refused attempts for the ministry (not mere typing errors).
REFUSAL_CODES = frozenset({
    "proof_of_origin_missing", "origin_is_own_country", "export_licence_missing", "destination_is_own_country",
    "virgin_ods_banned", "exemption_not_applicable", "used_ods_sale_not_allowed", "insufficient_stock",
    "condition_not_in_stock",
    "equipment_refrigerant_mismatch", "equipment_decommissioned", "equipment_other_country", "sale_to_self",
    "sale_cross_border",
    "buyer_certificate_required", "late_entry_reason_required", "late_entry_needs_approval",
    "handler_activity_missing", "handler_certificate_invalid", "technician_not_certified",
    "company_required", "qps_only_methyl_bromide", "decision_reference_required",  # certreg.logbook.use_rules
    # from certreg.licences.services.check
    "licence_unknown", "licence_wrong_direction", "licence_not_active", "licence_not_valid_on_date",
    "licence_substance_not_covered", "licence_partner_not_covered", "licence_cap_exceeded",
    "licence_cap_odp_exceeded", "licence_cap_co2e_exceeded",
    # from certreg.quotas.usage (an import beyond the importer's remaining quota)
    "quota_exceeded",
    # from certreg.certificates.purchase.check_purchase
    "malformed_number", "unknown_certificate", "certificate_suspended", "certificate_revoked",
    "certificate_expired", "certificate_superseded", "certificate_not_yet_valid", "category_not_allowed",
    "activity_not_certified",
})


@dataclass(frozen=True)
class SubstanceInfo:
    code: str
    annexes: frozenset[str]
    groups: frozenset[str] = frozenset()  # control groups ("A/I", "C/III" ...) of the controlled components

    @property
    def is_annex_ab(self) -> bool:
        return bool(self.annexes & ANNEX_AB)


@dataclass(frozen=True)
class EquipmentInfo:
    id: int
    code: str
    country_code: str
    substance_code: str
    decommissioned_on: date | None


@dataclass(frozen=True)
class Context:
    country_code: str
    today: date
    #: control group ("A/I") -> virgin substance of the group may not be placed on the market from this date
    bans: Mapping[str, date]
    used_ods_sales: UsedOdsSales
    #: an entry dated more than this many days before ``today`` needs a reason (None: no limit)
    late_entry_days: int | None = None
    #: ... and more than this many days, a certifying officer's approval (None: no limit)
    approval_days: int | None = None
    #: importing, exporting and selling need a valid company certificate on the entry's date
    company_certificate_required: bool = False
    #: an import must name a licence of the register (a registered number is always checked against it)
    licences_required: bool = False

    def ban_in_force(self, substance: SubstanceInfo, on: date) -> tuple[date, str] | None:
        """The earliest ban in force on ``on`` among the substance's control groups: ``(date, group)``."""
        in_force = [(d, g) for g in substance.groups if (d := self.bans.get(g)) is not None and d <= on]
        return min(in_force) if in_force else None


@dataclass(frozen=True)
class Draft:
    """An entry as asked for, before the rules. Quantities are ``Decimal`` kilograms."""

    kind: EntryKind
    operation_date: date
    substance: SubstanceInfo
    quantity: Decimal | None
    condition: Condition = Condition.VIRGIN
    from_condition: Condition | None = None
    direction: Direction | None = None
    counted_quantity: Decimal | None = None
    book_quantity: Decimal | None = None
    cylinders: tuple[str, ...] = ()
    equipment: EquipmentInfo | None = None
    intervention_id: int | None = None
    counterparty_name: str | None = None
    counterparty_country: str | None = None
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
    exempted_use: ExemptedUse | None = None
    exemption_reference: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, **values: Any) -> Draft:
        """``Draft(**values)``, built in one step instead of the frozen dataclass's field by field
        ``__init__`` (a tenth of the time; the CSV import builds one per line)."""
        if not values.keys() <= _DRAFT_FIELDS:
            raise TypeError(f"Draft has no field {sorted(values.keys() - _DRAFT_FIELDS)[0]!r}")
        if not values.keys() >= _DRAFT_REQUIRED:
            raise TypeError(f"Draft needs {sorted(_DRAFT_REQUIRED - values.keys())[0]!r}")
        return _new_draft({**_DRAFT_DEFAULTS, "extra": {}, **values})

    def replaced(self, **changes: Any) -> Draft:
        """``dataclasses.replace(self, **changes)``, in one step (see :meth:`of`)."""
        if not changes.keys() <= _DRAFT_FIELDS:
            raise TypeError(f"Draft has no field {sorted(changes.keys() - _DRAFT_FIELDS)[0]!r}")
        return _new_draft({**self.__dict__, **changes})


_DRAFT_FIELDS = frozenset(f.name for f in fields(Draft))
_DRAFT_DEFAULTS = {f.name: f.default for f in fields(Draft) if f.default is not MISSING}
_DRAFT_REQUIRED = frozenset(f.name for f in fields(Draft) if f.default is MISSING and f.default_factory is MISSING)


def _new_draft(values: dict[str, Any]) -> Draft:
    draft = object.__new__(Draft)
    object.__setattr__(draft, "__dict__", values)  # what __init__ would leave, all fields set at once
    return draft


Effect = tuple[str, Condition, Decimal]  # (substance code, condition, signed kg)


def refuse(field_name: str | None, message: str, code: str) -> ValidationFailed:
    if field_name is None:
        return ValidationFailed(message, code=code)
    return ValidationFailed.for_field(field_name, message, code)


def parse_kilograms(text: str | Decimal | int | None, *, field_name: str = "quantity") -> Decimal:
    """A quantity in kg: at most three decimals, positive, below 10^11. ``,`` is taken as a decimal point."""
    if isinstance(text, Decimal):
        value = text
    else:
        raw = str(text if text is not None else "").strip().replace(",", ".")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise refuse(field_name, _("Enter the quantity in kilograms, e.g. 12.5."), "invalid_number") from None
    if not value.is_finite():
        raise refuse(field_name, _("Enter the quantity in kilograms, e.g. 12.5."), "invalid_number")
    if value <= 0:
        raise refuse(field_name, _("The quantity must be more than 0 kg."), "quantity_not_positive")
    try:
        grams = value.quantize(GRAMS)
    except InvalidOperation:  # more digits than a Decimal holds (10^25 kg and more)
        raise refuse(field_name, _("This quantity is too large."), "quantity_too_large") from None
    if value != grams:
        raise refuse(field_name, _("At most three decimals (grams)."), "quantity_precision")
    if value > MAX_KG:
        raise refuse(field_name, _("This quantity is too large."), "quantity_too_large")
    return grams


def _whole_grams(value: Decimal) -> bool:
    try:
        return value == value.quantize(GRAMS)
    except InvalidOperation:  # too many digits to hold in grams
        return False


def _missing(draft: Draft, names: Iterable[str]) -> list[str]:
    return [n for n in names if not getattr(draft, n)]


def _missing_fields(names: list[str], message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={n: [FieldError(message, code)] for n in names})


def prepare(draft: Draft, ctx: Context, *, book_quantity: Callable[[], Decimal] | None = None) -> Draft:
    """Check the draft's shape and the law; return it completed (condition of a recovery, stock count delta).

    ``book_quantity`` gives the current stock of the draft's substance and condition (only
    stock counts need it). :raise ValidationFailed: with the rule's code.
    """
    kind = draft.kind
    if kind not in RECORDABLE_KINDS:
        raise refuse("kind", _("This kind of entry cannot be recorded directly."), "kind_not_recordable")
    if draft.operation_date > ctx.today:
        raise refuse("operation_date", _("The date of the operation cannot be in the future."), "date_in_future")

    draft = _settle_conditions(draft)
    draft = _settle_quantities(draft, book_quantity)
    _check_what_the_kind_needs(draft, ctx)
    check_use(draft)
    check_exemption(draft)
    check_market(draft, ctx)
    return draft


def _settle_conditions(draft: Draft) -> Draft:
    """The condition a recovery, recycling or reclamation gives its gas (the others keep theirs)."""
    kind = draft.kind
    if kind is EntryKind.RECOVERY:
        if draft.condition not in (Condition.RECOVERED, Condition.VIRGIN):
            raise refuse("condition", _("Gas recovered from equipment is recorded as recovered."), "invalid_condition")
        draft = draft.replaced(condition=Condition.RECOVERED)
    elif kind is EntryKind.RECYCLING:
        if draft.from_condition not in (None, Condition.RECOVERED):
            raise refuse("from_condition", _("Recycling starts from recovered gas."), "invalid_condition")
        draft = draft.replaced(from_condition=Condition.RECOVERED, condition=Condition.RECYCLED)
    elif kind is EntryKind.RECLAMATION:
        source = draft.from_condition or Condition.RECOVERED
        if source not in (Condition.RECOVERED, Condition.RECYCLED):
            raise refuse("from_condition", _("Reclamation starts from recovered or recycled gas."), "invalid_condition")
        draft = draft.replaced(from_condition=source, condition=Condition.RECLAIMED)
    elif draft.from_condition is not None:
        raise refuse("from_condition", _("Only recycling and reclamation change the condition."), "invalid_condition")
    return draft


def _settle_quantities(draft: Draft, book_quantity: Callable[[], Decimal] | None) -> Draft:
    """A stock count's delta against the books; any other entry's quantity in whole grams."""
    kind = draft.kind
    if kind is EntryKind.STOCK_COUNT:
        if draft.counted_quantity is None:
            raise refuse("counted_quantity", _("Enter the quantity counted."), "required")
        if draft.counted_quantity < 0 or not _whole_grams(draft.counted_quantity):
            raise refuse("counted_quantity", _("Enter the kilograms counted, at most three decimals."),
                         "invalid_number")
        if draft.counted_quantity > MAX_KG:  # what the kilogram columns hold
            raise refuse("counted_quantity", _("This quantity is too large."), "quantity_too_large")
        if not draft.reason:
            raise refuse("reason", _("Say why the stock differs (a stock count needs a reason)."), "reason_required")
        book = book_quantity() if book_quantity is not None else Decimal(0)
        delta = draft.counted_quantity - book
        if delta == 0:
            raise refuse("counted_quantity", _("The count matches the books: nothing to adjust."),
                         "stock_count_matches")
        draft = draft.replaced(quantity=abs(delta), book_quantity=book,
                        direction=Direction.IN if delta > 0 else Direction.OUT)
    else:
        if draft.quantity is None:
            raise refuse("quantity", _("Enter the quantity in kilograms."), "required")
        parse_kilograms(draft.quantity)
        if draft.counted_quantity is not None or draft.direction is not None:
            raise refuse("counted_quantity", _("Only stock counts have a counted quantity."), "not_applicable")
    return draft


def _check_what_the_kind_needs(draft: Draft, ctx: Context) -> None:
    """The equipment of a charge or recovery, the proof of origin of an import, an export's licence and
    destination, a sale's buyer, a purchase's seller."""
    kind = draft.kind
    if kind in EQUIPMENT_KINDS:
        equipment = draft.equipment
        if equipment is None:
            raise refuse("equipment", _("Choose the equipment (scan its QR label or search for it)."),
                         "equipment_required")
        if equipment.country_code != ctx.country_code:
            raise refuse("equipment", _("This equipment is registered in another country."),
                         "equipment_other_country")
        if equipment.decommissioned_on is not None and kind is EntryKind.CHARGE:
            raise refuse("equipment", _("This equipment was decommissioned."), "equipment_decommissioned")
        if equipment.substance_code != draft.substance.code:
            raise refuse("substance", _("This equipment is registered for %(code)s.", code=equipment.substance_code),
                         "equipment_refrigerant_mismatch")
    elif draft.equipment is not None:
        raise refuse("equipment", _("Only charges and recoveries name equipment."), "not_applicable")

    if kind is EntryKind.IMPORT:
        missing = _missing(draft, ("import_licence", "customs_declaration", "origin_country", "exporter_name"))
        if missing:
            raise _missing_fields(missing, _("An import needs its proof of origin: import licence, customs "
                                             "declaration, country of origin and exporter."), "proof_of_origin_missing")
        if draft.origin_country == ctx.country_code:
            raise refuse("origin_country", _("The country of origin of an import cannot be this country."),
                         "origin_is_own_country")
    if kind is EntryKind.EXPORT:
        missing = _missing(draft, ("export_licence", "destination_country"))
        if missing:
            raise _missing_fields(missing, _("An export needs its export licence and country of destination."),
                                  "export_licence_missing")
        if draft.destination_country == ctx.country_code:
            raise refuse("destination_country", _("An export goes to another country."),
                         "destination_is_own_country")
    if kind is EntryKind.SALE and not draft.buyer_certificate:
        raise refuse("buyer_certificate", _("Type or scan the buyer's certificate number."),
                     "buyer_certificate_required")
    if kind is EntryKind.PURCHASE and not draft.counterparty_name:
        raise refuse("counterparty_name", _("Name the seller."), "counterparty_required")


def check_late_entry(draft: Draft, ctx: Context) -> None:
    """An entry dated long before it is recorded: a reason past ``late_entry_days``, refused past
    ``approval_days`` (a certifying officer's approval is needed; certreg does not hold it pending)."""
    late = (ctx.today - draft.operation_date).days
    if ctx.approval_days is not None and late > ctx.approval_days:
        raise refuse("operation_date", _("This entry is dated %(days)s days ago, more than %(limit)s: it needs a "
                                         "certifying officer's approval.", days=late, limit=ctx.approval_days),
                     "late_entry_needs_approval")
    if ctx.late_entry_days is not None and late > ctx.late_entry_days and not draft.reason:
        raise refuse("reason", _("This entry is dated %(days)s days ago, more than %(limit)s: say why it is "
                                 "recorded late.", days=late, limit=ctx.late_entry_days),
                     "late_entry_reason_required")


#: The registered activity a company needs for each kind of entry (importing, exporting, selling).
HANDLER_ACTIVITIES = {EntryKind.IMPORT: "importer", EntryKind.EXPORT: "exporter", EntryKind.SALE: "dealer",
                      EntryKind.PRODUCTION: "producer"}
#: The kinds a country's ``company_certificate_required`` covers.
CERTIFICATE_KINDS = frozenset({EntryKind.IMPORT, EntryKind.EXPORT, EntryKind.SALE})
#: The certified work a technician needs for each kind of entry, and the activity a company needs.
CERTIFIED_WORK = {EntryKind.CHARGE: frozenset({"install", "repair", "maintain"}),
                  EntryKind.RECOVERY: frozenset({"recover"})}
SERVICE_ACTIVITY = "service"


@dataclass(frozen=True)
class Handler:
    """Who records an entry, as far as the rules need: a company's activities and certificate, or whether a
    technician's certificate covers the substance for the work (both on the entry's date)."""

    is_company: bool
    activities: frozenset[str] = frozenset()
    #: None: the company holds a certificate valid that day; else the refusal's code (e.g. certificate_revoked)
    company_certificate_problem: str | None = None
    #: None: the technician is certified for this work on this substance that day; else why not
    technician_problem: str | None = None


def check_handler(draft: Draft, handler: Handler, ctx: Context) -> None:
    """Importing, exporting, selling: a company with that activity (and a valid company certificate where the
    country requires one). Charging, recovery: a technician certified for the substance (a company: service)."""
    kind = draft.kind
    activity = HANDLER_ACTIVITIES.get(kind)
    if kind is EntryKind.SALE and draft.condition is not Condition.VIRGIN:
        activity = None  # recovered gas handed on to a reclaimer, reclaimed gas resold: the used-gas policy rules
    if activity is not None:
        if not handler.is_company or activity not in handler.activities:
            raise refuse("kind", _("Only a company registered with the activity “%(activity)s” may record this "
                                   "entry.", activity=activity), "handler_activity_missing")
        if ctx.company_certificate_required and kind in CERTIFICATE_KINDS \
                and handler.company_certificate_problem is not None:
            raise refuse("kind", _("This country requires a valid company certificate for importing, exporting "
                                   "and selling (%(problem)s).", problem=handler.company_certificate_problem),
                         "handler_certificate_invalid")
    if kind in COMPANY_KINDS and not handler.is_company:
        raise refuse("kind", _("Only a company may record this entry."), "company_required")
    if kind in CERTIFIED_WORK:
        if handler.is_company:
            if SERVICE_ACTIVITY not in handler.activities:
                raise refuse("kind", _("Only a company registered with the activity “%(activity)s” may record "
                                       "this entry.", activity=SERVICE_ACTIVITY), "handler_activity_missing")
        elif handler.technician_problem is not None:
            raise refuse("kind", _("Your certificate does not cover this work on %(substance)s on this date "
                                   "(%(problem)s).", substance=draft.substance.code,
                                   problem=handler.technician_problem), "technician_not_certified")


def check_exemption(draft: Draft) -> None:
    """An exempted use is stated only on trade in the substance, and only for the groups it exists for."""
    if draft.exempted_use is None:
        if draft.exemption_reference:
            raise refuse("exempted_use", _("Choose the exempted use the reference is for."), "required")
        return
    if draft.kind not in EXEMPTION_KINDS and draft.kind is not EntryKind.EXEMPTED_USE:
        raise refuse("exempted_use", _("Only imports, exports, sales and purchases state an exempted use."),
                     "not_applicable")
    groups = EXEMPTED_USE_GROUPS.get(draft.exempted_use)
    if groups is not None and not (draft.substance.groups & groups):
        raise refuse("exempted_use", _("This exemption exists only for methyl bromide (Annex E)."),
                     "exemption_not_applicable")


def check_market(draft: Draft, ctx: Context) -> None:
    """The bans on placing virgin phased-out substances on the market, by sale or import.

    Each control group of the substance (a blend: of its components) is banned from the
    country's date for it (the Protocol's phase-out for its Party group, or a national
    date). An entry that states an exempted use (feedstock, process agent, laboratory and
    analytical, essential, critical, quarantine and pre-shipment) is allowed past the ban.
    """
    if draft.kind not in MARKET_KINDS:
        return
    ban = ctx.ban_in_force(draft.substance, draft.operation_date)
    if ban is None:
        return
    ban_date, group = ban
    if draft.condition is Condition.VIRGIN:
        if draft.exempted_use is not None:
            return
        annex, number = group.split("/")
        raise refuse("condition", _("Virgin %(code)s (Annex %(annex)s group %(group)s) may not be sold or imported "
                                    "since %(date)s, except for an exempted use stated on the entry.",
                                    code=draft.substance.code, annex=annex, group=number,
                                    date=ban_date.isoformat()), "virgin_ods_banned")
    allowed = {
        UsedOdsSales.ALLOWED: USED_CONDITIONS,
        UsedOdsSales.RECLAIMED_ONLY: {Condition.RECLAIMED},
        UsedOdsSales.NONE: set(),
    }[ctx.used_ods_sales]
    if draft.condition not in allowed:
        raise refuse("condition", _("This country does not allow %(condition)s %(code)s (a phased-out substance) to "
                                    "be sold or imported.", condition=draft.condition.value, code=draft.substance.code),
                     "used_ods_sale_not_allowed")


def effects(kind: EntryKind, substance_code: str, quantity: Decimal, condition: Condition,
            from_condition: Condition | None = None, direction: Direction | None = None) -> list[Effect]:
    """How an entry moves stock: ``[(substance, condition, signed kg), ...]``."""
    if kind in IN_KINDS:
        return [(substance_code, condition, quantity)]
    if kind in OUT_KINDS:
        return [(substance_code, condition, -quantity)]
    if kind in PROCESSING_KINDS:
        assert from_condition is not None
        return [(substance_code, from_condition, -quantity), (substance_code, condition, quantity)]
    if kind is EntryKind.STOCK_COUNT:
        return [(substance_code, condition, quantity if direction is Direction.IN else -quantity)]
    raise ValueError(f"no effects for {kind}")


def reversed_effects(original: list[Effect]) -> list[Effect]:
    return [(code, condition, -delta) for code, condition, delta in original]


def check_stock(kind: EntryKind, moves: list[Effect], stock: Callable[[str, Condition], Decimal]) -> None:
    """No stock may go negative. Selling used gas needs that much recorded in that condition.

    :raise ValidationFailed: ``condition_not_in_stock`` (a sale of recovered, recycled or
        reclaimed gas beyond what was recorded so: virgin gas declared "recovered") or
        ``insufficient_stock``.
    """
    for code, condition, delta in moves:
        if delta >= 0:
            continue
        have = stock(code, condition)
        if have + delta >= 0:
            continue
        if kind is EntryKind.SALE and condition in USED_CONDITIONS:
            raise refuse("condition", _("You have recorded only %(have)s kg of %(condition)s %(code)s: a sale as "
                                        "%(condition)s needs that much recorded recovery, recycling or reclamation.",
                                        have=f"{have:f}", condition=condition.value, code=code),
                         "condition_not_in_stock")
        raise refuse("quantity", _("Not enough stock: %(have)s kg of %(condition)s %(code)s recorded.",
                                   have=f"{have:f}", condition=condition.value, code=code), "insufficient_stock")
