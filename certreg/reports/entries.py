"""The raw entries behind a figure: selected in SQL, paged for the page, streamed for exports.

A :class:`Selection` is either

* a *figure* — it names an Article 7 ``column`` and/or a controlled ``substance``, ``annex``
  or ``group``: the counted entries of the import/export/destruction kinds, one row per
  entry and controlled component, with the component's share in kilograms (the signed
  shares add up exactly to the figure); or
* a plain selection of the country's entries in the period (optionally by kind, month,
  holder kind or logbook), reversals and reversed entries included and marked, one row
  per entry.

Rows are read with ``yield_per`` (a server-side cursor on PostgreSQL), so an export of
millions of entries keeps a constant, small memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from certreg.extensions import db
from certreg.logbook.models import EntryKind, Equipment, Logbook
from certreg.registry.models import Company, Technician
from certreg.reports.figures import (
    ARTICLE7_KINDS,
    COMPONENTS,
    ENTRIES,
    SUBSTANCES,
    Column,
    Period,
    column_filter,
    column_of,
    counted,
    in_period,
    partner_country,
)
from certreg.vocabulary import HolderKind

BATCH = 2000


@dataclass(frozen=True)
class Selection:
    country_code: str
    period: Period
    column: Column | None = None
    substance: str | None = None  # a controlled substance: its entries and those of blends containing it
    annex: str | None = None
    group: str | None = None
    month: int | None = None
    holder_kind: HolderKind | None = None
    logbook_id: int | None = None
    kind: EntryKind | None = None
    partner_country: str | None = None  # imports from / exports to this country (figures only)
    among: sa.Select | None = field(default=None, compare=False)  # only these entry ids (an anomaly's evidence)

    @property
    def is_figure(self) -> bool:
        return any(v is not None for v in (self.column, self.substance, self.annex, self.group,
                                                 self.partner_country))

    def query_args(self) -> dict[str, str]:
        """The selection as URL query arguments (what the page links and export links carry)."""
        args = {"country": self.country_code, "date_from": self.period.date_from.isoformat(),
                "date_to": self.period.date_to.isoformat()}
        for name in ("column", "substance", "annex", "group", "month", "holder_kind", "logbook_id", "kind",
                     "partner_country"):
            value = getattr(self, name)
            if value is not None:
                args[name] = str(value.value if hasattr(value, "value") else value)
        return args


#: Export columns, in order (``docs/reports.md`` describes each).
ENTRY_FIELDS = [
    "entry_id", "seq", "operation_date", "kind", "reverses", "reversed_by", "holder_kind", "holder_id", "holder",
    "holder_registration", "substance", "condition", "quantity_kg", "direction", "counted_kg", "book_kg",
    "counterparty", "counterparty_country",
    "buyer_certificate", "documents", "import_licence", "customs_declaration", "origin_country", "exporter",
    "export_licence", "destination_country", "equipment", "reason", "note", "exempted_use", "exemption_reference",
    "channel", "recorded_at", "recorded_by",
]
FIGURE_FIELDS = ["article7_column", "component", "mass_fraction", "component_kg"]


def fields(selection: Selection) -> list[str]:
    return ENTRY_FIELDS + (FIGURE_FIELDS if selection.is_figure else [])


def _query(selection: Selection) -> tuple[sa.Select, sa.Alias]:
    e = ENTRIES.alias("e")
    rv = ENTRIES.alias("rv")
    logbooks, companies, technicians = Logbook.__table__, Company.__table__, Technician.__table__
    equipment = Equipment.__table__
    columns: list[sa.ColumnElement[Any]] = [
        e.c.id.label("entry_id"), e.c.seq, e.c.operation_date, e.c.kind, e.c.reverses_id.label("reverses"),
        rv.c.id.label("reversed_by"), logbooks.c.holder_kind,
        sa.func.coalesce(logbooks.c.company_id, logbooks.c.technician_id).label("holder_id"),
        sa.func.coalesce(companies.c.legal_name, technicians.c.full_name).label("holder"),
        companies.c.registration_number.label("holder_registration"),
        e.c.substance_code.label("substance"), e.c.condition, e.c.quantity.label("quantity_kg"), e.c.direction,
        e.c.counted_quantity.label("counted_kg"), e.c.book_quantity.label("book_kg"),
        e.c.counterparty_name.label("counterparty"), e.c.counterparty_country, e.c.buyer_certificate,
        e.c.document_numbers.label("documents"), e.c.import_licence, e.c.customs_declaration, e.c.origin_country,
        e.c.exporter_name.label("exporter"), e.c.export_licence, e.c.destination_country,
        equipment.c.code.label("equipment"), e.c.reason, e.c.note, e.c.exempted_use, e.c.exemption_reference,
        e.c.channel, e.c.recorded_at,
        e.c.recorded_by_label.label("recorded_by"),
    ]
    source = (e.join(logbooks, logbooks.c.id == e.c.logbook_id)
              .outerjoin(companies, companies.c.id == logbooks.c.company_id)
              .outerjoin(technicians, technicians.c.id == logbooks.c.technician_id)
              .outerjoin(rv, rv.c.reverses_id == e.c.id)
              .outerjoin(equipment, equipment.c.id == e.c.equipment_id))
    where = [e.c.country_code == selection.country_code, in_period(e, selection.period)]
    if selection.is_figure:
        c, s = COMPONENTS, SUBSTANCES
        source = source.join(c, c.c.substance_code == e.c.substance_code).join(s, s.c.code == c.c.component_code)
        columns += [column_of(e).label("article7_column"), c.c.component_code.label("component"),
                    c.c.mass_fraction]
        where += [e.c.kind.in_([k.value for k in ARTICLE7_KINDS]), counted(e), s.c.annex.is_not(None)]
        if selection.column is not None:
            where.append(column_filter(e, selection.column))
        if selection.substance:
            where.append(c.c.component_code == selection.substance)
        if selection.annex:
            where.append(s.c.annex == selection.annex)
        if selection.group:
            where.append(s.c.group == selection.group)
        if selection.partner_country:
            where.append(partner_country(e) == selection.partner_country)
    if selection.kind is not None:
        where.append(e.c.kind == selection.kind.value)
    if selection.month is not None:
        where.append(sa.extract("month", e.c.operation_date) == selection.month)
    if selection.holder_kind is not None:
        where.append(logbooks.c.holder_kind == selection.holder_kind.value)
    if selection.logbook_id is not None:
        where.append(e.c.logbook_id == selection.logbook_id)
    if selection.among is not None:
        where.append(e.c.id.in_(selection.among.scalar_subquery()))
    return sa.select(*columns).select_from(source).where(*where), e


def _row(mapping: Any, figure: bool) -> dict[str, Any]:
    row = dict(mapping)
    if figure:
        fraction = Decimal(row["mass_fraction"]).quantize(Decimal("0.000001"))
        row["mass_fraction"] = fraction
        row["component_kg"] = row["quantity_kg"] * fraction
    return row


@dataclass
class Page:
    items: list[dict[str, Any]]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def page(selection: Selection, *, page: int = 1, per_page: int = 50) -> Page:
    """One page of the selection, newest first (log order)."""
    query, e = _query(selection)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(e.c.seq.desc(), *_component_order(selection))
                              .limit(per_page).offset((page - 1) * per_page)).mappings()
    return Page([_row(r, selection.is_figure) for r in rows], page, per_page, total)


def _component_order(selection: Selection) -> list[sa.ColumnElement[Any]]:
    return [sa.literal_column("component")] if selection.is_figure else []


def stream(selection: Selection) -> Iterator[dict[str, Any]]:
    """Every row of the selection in log order, read in batches (never all in memory)."""
    query, e = _query(selection)
    query = query.order_by(e.c.seq, *_component_order(selection)).execution_options(yield_per=BATCH)
    figure = selection.is_figure
    for mapping in db.session.execute(query).mappings():
        yield _row(mapping, figure)
