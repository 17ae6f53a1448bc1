"""Entry input: :class:`EntryData` as a page, the API or a CSV line gives it, and
:func:`draft_from`, which turns it into a :class:`rules.Draft` (syntax, lengths, catalogue
look-ups). Every surface parses entries here; the rules come after (:mod:`.recording`)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.audit import services as audit
from certreg.countries import codes as countries
from certreg.errors import FieldError, ValidationFailed
from certreg.extensions import db
from certreg.logbook import rules
from certreg.logbook.equipment_ids import normalize_code
from certreg.logbook.models import Condition, Entry, EntryCylinder, EntryKind, Equipment, ExemptedUse
from certreg.registry.models import Company
from certreg.substances import services as substances
from certreg.substances.models import Substance

logger = logging.getLogger(__name__)

MAX_CYLINDERS = 50


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

    @classmethod
    def from_form(cls, form: Any, **fixed: Any) -> EntryData:
        """The entry a submitted form (page or API, :class:`~certreg.logbook.forms.EntryForm` or a
        narrower one) holds; ``fixed`` sets fields the form does not have (e.g. the kind)."""
        values = {name: form[name].data for name in ENTRY_DATA_FIELDS if name in form._fields}
        values.update(fixed)
        values["cylinders"] = values.get("cylinders") or []
        return cls(**values)

    def jsonable(self) -> dict[str, Any]:
        return audit.jsonable(asdict(self))


ENTRY_DATA_FIELDS = [f for f in EntryData.__dataclass_fields__]

TEXT_MAX = 2000  # reason and note (text columns): what the forms allow
SCANNED_MAX = 1500  # a typed number or a scanned QR URL (the buyer's certificate, an equipment label)


def _length(column: sa.Column) -> int:
    return column.type.length or TEXT_MAX


_ENTRY = Entry.__table__.c
#: The longest text each field of :class:`EntryData` may hold, from the columns that keep it
#: (country codes are checked by :mod:`certreg.countries.codes`, choices and numbers when parsed).
FIELD_LIMITS: dict[str, int] = {
    **{name: _length(_ENTRY[name]) for name in (
        "counterparty_name", "document_numbers", "import_licence", "customs_declaration", "exporter_name",
        "export_licence", "reason", "note", "exemption_reference")},
    # a substance is typed as its code, refrigerant number or name
    "substance": max(_length(Substance.__table__.c[name]) for name in ("code", "ashrae", "name")),
    "counterparty_registration": _length(Company.__table__.c.registration_number),
    "buyer_certificate": SCANNED_MAX,
    "equipment": SCANNED_MAX,
}
CYLINDER_MAX = _length(EntryCylinder.__table__.c.serial)


def check_lengths(data: EntryData) -> None:
    """Refuse any field longer than the column that keeps it, before the database sees it.

    :raise ValidationFailed: ``too_long``, naming every such field.
    """
    fields: dict[str, list[FieldError]] = {}
    for name, limit in FIELD_LIMITS.items():
        value = getattr(data, name)
        if isinstance(value, str) and len(value) > limit:
            fields[name] = [FieldError(_("At most %(n)s characters.", n=limit), "too_long")]
    if any(isinstance(c, str) and len(c) > CYLINDER_MAX for c in data.cylinders or ()):
        fields["cylinders"] = [FieldError(_("A cylinder serial number has at most %(n)s characters.",
                                            n=CYLINDER_MAX), "too_long")]
    if fields:
        first = next(iter(fields.values()))[0]
        raise ValidationFailed(str(first), code="too_long", fields=fields)


def blank(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def choice(enum_cls, value, field_name: str, default=None):
    if value in (None, ""):
        return default
    member = enum_cls._value2member_map_.get(value) if type(value) is str else None  # what enum_cls(value) finds
    if member is not None:
        return member
    try:
        return enum_cls(value)
    except ValueError:
        raise invalid_choice(field_name) from None


def _cylinders(values: list[str]) -> tuple[str, ...]:
    if not values:
        return ()
    cleaned = tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    if len(cleaned) > MAX_CYLINDERS:
        raise ValidationFailed.for_field("cylinders", _("At most %(n)s cylinders per entry.", n=MAX_CYLINDERS),
                                         "too_many")
    return cleaned


def equipment_info(equipment: Equipment) -> rules.EquipmentInfo:
    return rules.EquipmentInfo(equipment.id, equipment.code, equipment.country_code, equipment.substance_code,
                               equipment.decommissioned_on)


def find_equipment(code: str | None) -> Equipment | None:
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
    check_lengths(data)
    kind = choice(EntryKind, data.kind, "kind")
    if kind is None:
        raise ValidationFailed.for_field("kind", _("Choose the kind of entry."), "required")
    if kind not in allowed_kinds:
        raise ValidationFailed.for_field("kind", _("This kind of entry cannot be recorded directly."),
                                         "kind_not_recordable")
    substance = substance_info(data.substance, cache)
    equipment = None
    if blank(data.equipment):
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
        condition=choice(Condition, data.condition, "condition", Condition.VIRGIN),
        from_condition=choice(Condition, data.from_condition, "from_condition"),
        counted_quantity=counted,
        cylinders=_cylinders(data.cylinders or []),
        equipment=equipment,
        counterparty_name=blank(data.counterparty_name),
        counterparty_country=countries.country_code(data.counterparty_country, "counterparty_country"),
        buyer_certificate=blank(data.buyer_certificate),
        document_numbers=blank(data.document_numbers),
        import_licence=blank(data.import_licence),
        customs_declaration=blank(data.customs_declaration),
        origin_country=countries.country_code(data.origin_country, "origin_country"),
        exporter_name=blank(data.exporter_name),
        export_licence=blank(data.export_licence),
        destination_country=countries.country_code(data.destination_country, "destination_country"),
        reason=blank(data.reason),
        note=blank(data.note),
        exempted_use=choice(ExemptedUse, data.exempted_use, "exempted_use"),
        exemption_reference=blank(data.exemption_reference),
    )


def invalid_choice(field_name: str) -> ValidationFailed:
    return ValidationFailed.for_field(field_name, _("Not a valid choice."), "invalid_choice")

