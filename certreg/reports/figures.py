"""Article 7 figures, aggregated in the database.

Two grouped queries, never a loop over entries:

1. the country's counted entries of the period, grouped by substance, Article 7 column
   (and the breakdown key: month, year or holder kind), summing kilograms;
2. those sums joined with ``substance_components`` and ``substances``: each substance's
   kilograms are split into its components by mass fraction (a pure substance is its own
   single component, fraction 1) and only controlled components (an annex) are kept.

Python then only turns the few resulting rows (one per component, column and key) into
tonnes: metric tonnes = kg / 1000, ODP tonnes = metric tonnes × the component's ODP,
CO2-equivalent tonnes = metric tonnes × the component's Annex F GWP (0 for every
non-Annex F substance). All arithmetic is exact (:mod:`certreg.reports.exact`, Decimal).

What counts (``docs/reports.md`` says it in full, for people): each recorded column is the
entries of one kind (:data:`RECORDED`; "new" is condition ``virgin``, "recovered" is recovered,
recycled or reclaimed), reversed entries and reversals left out; new imports stating an exempted
use are also reported apart (``imports_exempted``). Calculated production = production −
destruction − feedstock use (Article 1(5)); consumption = calculated production + new imports −
new exports − QPS uses (Articles 1(6), 2H(6); recovered gas does not count, decision IV/24),
imports for exempted uses left out except feedstock and QPS ones, whose use entries take out
what was used (:data:`USES_TAKEN_OUT_BY_ENTRIES`); exempted uses (essential, critical,
laboratory) stay in consumption. Both may be negative. Partners (data forms 2 and 3): imports by
exporting country (``coalesce(counterparty_country, origin_country)``), exports by country of
destination (``coalesce(destination_country, counterparty_country)``).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from certreg.extensions import db
from certreg.logbook.models import Condition, Entry, EntryKind, ExemptedUse, Logbook
from certreg.logbook.queries import counted  # the entries that count: the logbook says which
from certreg.reports.exact import kg_sum, share_sum
from certreg.substances.models import Substance, SubstanceComponent
from certreg.vocabulary import HolderKind

ENTRIES = Entry.__table__
LOGBOOKS = Logbook.__table__
COMPONENTS = SubstanceComponent.__table__
SUBSTANCES = Substance.__table__

ZERO = Decimal(0)
KG_PER_TONNE = Decimal(1000)
ANNEX_ORDER = ("A", "B", "C", "E", "F")
GROUP_ORDER = ("I", "II", "III")
ODP_ANNEXES = frozenset({"A", "B", "C", "E"})
CO2E_ANNEXES = frozenset({"F"})


class Column(enum.StrEnum):
    """A column of the Article 7 data: what the Ozone Secretariat asks for."""

    IMPORTS_NEW = "imports_new"  # for all uses
    IMPORTS_EXEMPTED = "imports_exempted"  # of which for exempted uses (feedstock, process agent, ...)
    IMPORTS_RECOVERED = "imports_recovered"
    EXPORTS_NEW = "exports_new"
    EXPORTS_RECOVERED = "exports_recovered"
    PRODUCTION = "production"  # data form 3
    FEEDSTOCK = "feedstock"  # used as feedstock (forms 1 and 3: "for feedstock uses")
    QPS = "qps"  # methyl bromide for quarantine and pre-shipment (forms 1 and 3: "for QPS")
    EXEMPTED_USES = "exempted_uses"  # essential, critical, laboratory (forms 1 and 3: "for exempted uses")
    DESTRUCTION = "destruction"  # data form 4
    CALCULATED_PRODUCTION = "calculated_production"  # production − destruction − feedstock (Article 1(5))
    CONSUMPTION = "consumption"


COLUMNS = tuple(Column)
#: Columns read from entries: (entry kind, new?) — ``None``: any condition.
RECORDED: dict[Column, tuple[EntryKind, bool | None]] = {
    Column.IMPORTS_NEW: (EntryKind.IMPORT, True),
    Column.IMPORTS_EXEMPTED: (EntryKind.IMPORT, True),
    Column.IMPORTS_RECOVERED: (EntryKind.IMPORT, False),
    Column.EXPORTS_NEW: (EntryKind.EXPORT, True),
    Column.EXPORTS_RECOVERED: (EntryKind.EXPORT, False),
    Column.DESTRUCTION: (EntryKind.DESTROYED, None),
    Column.PRODUCTION: (EntryKind.PRODUCTION, None),
    Column.FEEDSTOCK: (EntryKind.FEEDSTOCK_USE, None),
    Column.QPS: (EntryKind.QPS_USE, None),
    Column.EXEMPTED_USES: (EntryKind.EXEMPTED_USE, None),
}
#: The kinds behind each column computed from others.
DERIVED: dict[Column, frozenset[EntryKind]] = {
    Column.CALCULATED_PRODUCTION: frozenset({EntryKind.PRODUCTION, EntryKind.DESTROYED, EntryKind.FEEDSTOCK_USE}),
    Column.CONSUMPTION: frozenset({EntryKind.PRODUCTION, EntryKind.DESTROYED, EntryKind.FEEDSTOCK_USE,
                                   EntryKind.QPS_USE, EntryKind.IMPORT, EntryKind.EXPORT}),
}
#: Imports stated for these uses count in consumption until the use entry (feedstock_use, qps_use) takes out
#: what was used; they are reported in ``imports_exempted`` all the same.
USES_TAKEN_OUT_BY_ENTRIES = (ExemptedUse.FEEDSTOCK.value, ExemptedUse.QUARANTINE.value)
#: The sum (not a column) of new imports stated for :data:`USES_TAKEN_OUT_BY_ENTRIES`.
IMPORTS_FOR_USES = "imports_for_uses"
ARTICLE7_KINDS = frozenset(kind for kind, _new in RECORDED.values())
#: The kinds with a partner country (destruction has none).
PARTNER_KINDS = frozenset({EntryKind.IMPORT, EntryKind.EXPORT})


class Breakdown(enum.StrEnum):
    MONTH = "month"
    YEAR = "year"
    HOLDER_KIND = "holder_kind"
    PARTNER_COUNTRY = "partner_country"  # imports by exporting country, exports by country of destination


#: The key of an import or export whose partner country was not stated (old data).
NO_PARTNER = ""


@dataclass(frozen=True)
class Period:
    """A reporting period: both days included."""

    date_from: date
    date_to: date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def years(cls, first: int, last: int) -> Period:
        return cls(date(first, 1, 1), date(last, 12, 31))

    @property
    def is_calendar_year(self) -> bool:
        return (self.date_from.month, self.date_from.day, self.date_to.month, self.date_to.day) == (1, 1, 12, 31) \
            and self.date_from.year == self.date_to.year

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def __str__(self) -> str:
        if self.is_calendar_year:
            return str(self.date_from.year)
        return f"{self.date_from.isoformat()}/{self.date_to.isoformat()}"


# --- SQL building blocks (shared with the entries and anomalies modules) ---------------------


def is_new(e: sa.Table | sa.Alias) -> sa.ColumnElement[bool]:
    return e.c.condition == Condition.VIRGIN.value


def is_exempted(e: sa.Table | sa.Alias) -> sa.ColumnElement[bool]:
    return e.c.exempted_use.is_not(None)


def is_left_out(e: sa.Table | sa.Alias) -> sa.ColumnElement[bool]:
    """Stated for an exempted use whose import stays out of consumption (not feedstock or QPS)."""
    return sa.and_(is_exempted(e), e.c.exempted_use.not_in(USES_TAKEN_OUT_BY_ENTRIES))


def _sum_key(e: sa.Table | sa.Alias) -> sa.Case:
    """:func:`column_of`, with new imports for feedstock or QPS summed apart (:data:`IMPORTS_FOR_USES`)."""
    return sa.case((sa.and_(e.c.kind == EntryKind.IMPORT.value, is_new(e), is_exempted(e), ~is_left_out(e)),
                    IMPORTS_FOR_USES), else_=column_of(e))


def column_of(e: sa.Table | sa.Alias) -> sa.Case:
    """The Article 7 column of an entry of :data:`ARTICLE7_KINDS` (a new import for an exempted use:
    ``imports_exempted``, which :meth:`SubstanceRow.kg` also counts in ``imports_new``)."""
    return sa.case(
        *((e.c.kind == kind.value, column.value) for column, (kind, _new) in RECORDED.items()
          if kind not in PARTNER_KINDS and kind is not EntryKind.DESTROYED),
        (sa.and_(e.c.kind == EntryKind.IMPORT.value, is_new(e), is_exempted(e)), Column.IMPORTS_EXEMPTED.value),
        (sa.and_(e.c.kind == EntryKind.IMPORT.value, is_new(e)), Column.IMPORTS_NEW.value),
        (e.c.kind == EntryKind.IMPORT.value, Column.IMPORTS_RECOVERED.value),
        (sa.and_(e.c.kind == EntryKind.EXPORT.value, is_new(e)), Column.EXPORTS_NEW.value),
        (e.c.kind == EntryKind.EXPORT.value, Column.EXPORTS_RECOVERED.value),
        else_=Column.DESTRUCTION.value,
    )


def partner_country(e: sa.Table | sa.Alias) -> sa.ColumnElement[Any]:
    """The partner country of an import (the exporting country) or export (the country of destination);
    :data:`NO_PARTNER` when not stated, NULL for other kinds (destruction has no partner)."""
    return sa.case(
        (e.c.kind == EntryKind.IMPORT.value,
         sa.func.coalesce(e.c.counterparty_country, e.c.origin_country, NO_PARTNER)),
        (e.c.kind == EntryKind.EXPORT.value,
         sa.func.coalesce(e.c.destination_country, e.c.counterparty_country, NO_PARTNER)),
        else_=sa.null(),
    )


def column_filter(e: sa.Table | sa.Alias, column: Column) -> sa.ColumnElement[bool]:
    """Entries behind one column (:data:`RECORDED`, :data:`DERIVED`; new trade only, imports not left out)."""
    if column in DERIVED:
        trade = [k.value for k in DERIVED[column] & PARTNER_KINDS]
        return sa.or_(
            sa.and_(e.c.kind.in_(trade), is_new(e), sa.or_(e.c.kind != EntryKind.IMPORT.value, ~is_left_out(e))),
            e.c.kind.in_(sorted(k.value for k in DERIVED[column] - PARTNER_KINDS)))
    kind, new = RECORDED[column]
    clause = e.c.kind == kind.value
    if column is Column.IMPORTS_EXEMPTED:
        clause = sa.and_(clause, is_exempted(e))
    if new is True:
        clause = sa.and_(clause, is_new(e))
    elif new is False:
        clause = sa.and_(clause, ~is_new(e))
    return clause


def in_period(e: sa.Table | sa.Alias, period: Period) -> sa.ColumnElement[bool]:
    return e.c.operation_date.between(period.date_from, period.date_to)


def _breakdown_key(e: sa.Alias, by: Breakdown | None) -> sa.ColumnElement[Any] | None:
    if by is Breakdown.MONTH:
        return sa.extract("month", e.c.operation_date)
    if by is Breakdown.YEAR:
        return sa.extract("year", e.c.operation_date)
    if by is Breakdown.HOLDER_KIND:
        return LOGBOOKS.c.holder_kind
    if by is Breakdown.PARTNER_COUNTRY:
        return partner_country(e)
    return None


def component_sums(country_code: str, period: Period, by: Breakdown | None = None
                   ) -> list[tuple[Any, str, Column | str, Decimal]]:
    """``[(key, component code, column, kg), ...]`` of controlled components: the two grouped queries (column:
    a :class:`Column`, or :data:`IMPORTS_FOR_USES`)."""
    e = ENTRIES.alias("e")
    key = _breakdown_key(e, by)
    fig_column = _sum_key(e).label("fig_column")
    columns = [e.c.substance_code.label("substance"), fig_column]
    if key is not None:
        columns.append(key.label("fig_key"))
    kinds = ARTICLE7_KINDS if by is not Breakdown.PARTNER_COUNTRY else PARTNER_KINDS
    per_substance = (
        sa.select(*columns, kg_sum(e.c.quantity).label("kg"))
        .select_from(e.join(LOGBOOKS, LOGBOOKS.c.id == e.c.logbook_id) if by is Breakdown.HOLDER_KIND else e)
        .where(e.c.country_code == country_code, in_period(e, period),
               e.c.kind.in_(sorted(k.value for k in kinds)), counted(e))
        .group_by(*(c for c in columns))
        .subquery("per_substance")
    )
    c, s = COMPONENTS, SUBSTANCES
    keys = [per_substance.c.fig_key] if key is not None else []
    split = (
        sa.select(*keys, c.c.component_code, per_substance.c.fig_column,
                  share_sum(per_substance.c.kg, c.c.mass_fraction).label("kg"))
        .select_from(per_substance.join(c, c.c.substance_code == per_substance.c.substance)
                     .join(s, s.c.code == c.c.component_code))
        .where(s.c.annex.is_not(None))
        .group_by(*keys, c.c.component_code, per_substance.c.fig_column)
    )
    rows = []
    for row in db.session.execute(split):
        row_key = _normal_key(row[0], by) if key is not None else None
        code, column, kg = row[-3], row[-2], row[-1]
        rows.append((row_key, code, column if column == IMPORTS_FOR_USES else Column(column), kg))
    return rows


def _normal_key(value: Any, by: Breakdown | None) -> Any:
    if by in (Breakdown.MONTH, Breakdown.YEAR):
        return int(value)
    if by is Breakdown.HOLDER_KIND:
        return HolderKind(value)
    if by is Breakdown.PARTNER_COUNTRY:
        return value or NO_PARTNER
    return value


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Amount:
    """A quantity in the three units of Article 7 reporting."""

    metric_tonnes: Decimal = ZERO
    odp_tonnes: Decimal = ZERO
    co2e_tonnes: Decimal = ZERO

    def __add__(self, other: Amount) -> Amount:
        return Amount(self.metric_tonnes + other.metric_tonnes, self.odp_tonnes + other.odp_tonnes,
                      self.co2e_tonnes + other.co2e_tonnes)

    def __sub__(self, other: Amount) -> Amount:
        return Amount(self.metric_tonnes - other.metric_tonnes, self.odp_tonnes - other.odp_tonnes,
                      self.co2e_tonnes - other.co2e_tonnes)

    @property
    def is_zero(self) -> bool:
        return not (self.metric_tonnes or self.odp_tonnes or self.co2e_tonnes)


@dataclass(frozen=True)
class SubstanceInfo:
    code: str
    name: str
    annex: str
    group: str | None
    odp: Decimal
    annex_f_gwp: Decimal
    position: int

    @property
    def sort_key(self) -> tuple:
        return (ANNEX_ORDER.index(self.annex), GROUP_ORDER.index(self.group) if self.group in GROUP_ORDER else 9,
                self.position)


@dataclass
class SubstanceRow:
    """One controlled substance's figures (blends already split into it)."""

    substance: SubstanceInfo
    #: by :class:`Column`, and :data:`IMPORTS_FOR_USES` (new imports for feedstock or QPS)
    kilograms: dict[Column | str, Decimal] = field(default_factory=dict)

    def kg(self, column: Column) -> Decimal:
        for_uses = self.kilograms.get(IMPORTS_FOR_USES, ZERO)
        if column is Column.CONSUMPTION:  # exempted-use imports (but feedstock, QPS) and QPS uses are outside
            return self.calculated_production_kg() + self.kilograms.get(Column.IMPORTS_NEW, ZERO) + for_uses \
                - self.kg(Column.EXPORTS_NEW) - self.kg(Column.QPS)
        if column is Column.CALCULATED_PRODUCTION:
            return self.calculated_production_kg()
        if column is Column.IMPORTS_NEW:  # for all uses
            return self.kilograms.get(Column.IMPORTS_NEW, ZERO) + self.kilograms.get(Column.IMPORTS_EXEMPTED, ZERO) \
                + for_uses
        if column is Column.IMPORTS_EXEMPTED:
            return self.kilograms.get(Column.IMPORTS_EXEMPTED, ZERO) + for_uses
        return self.kilograms.get(column, ZERO)

    def calculated_production_kg(self) -> Decimal:
        """Article 1(5): production − destruction − feedstock use (may be negative)."""
        return self.kg(Column.PRODUCTION) - self.kg(Column.DESTRUCTION) - self.kg(Column.FEEDSTOCK)

    def amount(self, column: Column) -> Amount:
        return self.amount_of(self.kg(column))

    def amount_of(self, kg: Decimal) -> Amount:
        """``kg`` of this substance in the three units."""
        tonnes = kg / KG_PER_TONNE
        odp = tonnes * self.substance.odp if self.substance.annex in ODP_ANNEXES else ZERO
        co2e = tonnes * self.substance.annex_f_gwp if self.substance.annex in CO2E_ANNEXES else ZERO
        return Amount(tonnes, odp, co2e)

    @property
    def is_empty(self) -> bool:
        return not any(self.kilograms.values())


@dataclass
class Total:
    """Totals of a set of rows (an annex group, an annex, or everything)."""

    label: str
    annex: str | None
    group: str | None
    amounts: dict[Column, Amount] = field(default_factory=dict)

    def amount(self, column: Column) -> Amount:
        return self.amounts.get(column, Amount())

    def add(self, row: SubstanceRow) -> None:
        for column in COLUMNS:
            self.amounts[column] = self.amount(column) + row.amount(column)


@dataclass
class Article7Report:
    country_code: str
    period: Period
    rows: list[SubstanceRow]

    def totals_by_group(self) -> list[Total]:
        return self._totals(lambda r: (r.substance.annex, r.substance.group))

    def totals_by_annex(self) -> list[Total]:
        return self._totals(lambda r: (r.substance.annex, None))

    def grand_total(self) -> Total:
        total = Total("total", None, None)
        for row in self.rows:
            total.add(row)
        return total

    def _totals(self, key) -> list[Total]:
        totals: dict[tuple[str, str | None], Total] = {}
        for row in self.rows:
            annex, group = key(row)
            label = f"{annex}/{group}" if group else annex
            totals.setdefault((annex, group), Total(label, annex, group)).add(row)
        return list(totals.values())

    def row(self, code: str) -> SubstanceRow | None:
        return next((r for r in self.rows if r.substance.code == code), None)


def substance_info(codes: Iterable[str]) -> dict[str, SubstanceInfo]:
    codes = list(set(codes))
    if not codes:
        return {}
    s = SUBSTANCES
    rows = db.session.execute(sa.select(s.c.code, s.c.name, s.c.annex, s.c.group, s.c.odp, s.c.annex_f_gwp,
                                        s.c.position).where(s.c.code.in_(codes)))
    return {r.code: SubstanceInfo(r.code, r.name, r.annex, r.group, Decimal(r.odp), Decimal(r.annex_f_gwp),
                                  r.position) for r in rows}


def _reports(country_code: str, period: Period, by: Breakdown | None) -> dict[Any, Article7Report]:
    sums = component_sums(country_code, period, by)
    info = substance_info(code for _key, code, _column, _kg in sums)
    rows: dict[Any, dict[str, SubstanceRow]] = defaultdict(dict)
    for key, code, column, kg in sums:
        row = rows[key].setdefault(code, SubstanceRow(info[code]))
        row.kilograms[column] = row.kilograms.get(column, ZERO) + kg
    return {key: Article7Report(country_code, period, sorted((r for r in by_code.values() if not r.is_empty),
                                                              key=lambda r: r.substance.sort_key))
            for key, by_code in rows.items()}


def article7(country_code: str, period: Period) -> Article7Report:
    """The Article 7 figures of a country for a period (normally a calendar year)."""
    return _reports(country_code, period, None).get(None) or Article7Report(country_code, period, [])


def breakdown(country_code: str, period: Period, by: Breakdown) -> dict[Any, Article7Report]:
    """The same figures per month, per year, per holder kind or per partner country (only keys with figures
    are present)."""
    return _reports(country_code, period, by)


# --- imports by exporting country, exports by country of destination (data forms 2 and 3) ---------


class Direction(enum.StrEnum):
    IMPORTS = "imports"
    EXPORTS = "exports"


#: The columns of each direction (imports: new for all uses, of which exempted, recovered).
DIRECTION_COLUMNS: dict[Direction, tuple[Column, ...]] = {
    Direction.IMPORTS: (Column.IMPORTS_NEW, Column.IMPORTS_EXEMPTED, Column.IMPORTS_RECOVERED),
    Direction.EXPORTS: (Column.EXPORTS_NEW, Column.EXPORTS_RECOVERED),
}
#: The columns that add up to a direction's total (new for all uses + recovered).
_TOTAL_COLUMNS = {
    Direction.IMPORTS: (Column.IMPORTS_NEW, Column.IMPORTS_RECOVERED),
    Direction.EXPORTS: (Column.EXPORTS_NEW, Column.EXPORTS_RECOVERED),
}


@dataclass(frozen=True)
class PartnerRow:
    """One substance imported from (or exported to) one country: its columns and total."""

    direction: Direction
    country: str  # ISO code; NO_PARTNER when the entries did not state it
    row: SubstanceRow

    @property
    def substance(self) -> SubstanceInfo:
        return self.row.substance

    @property
    def columns(self) -> tuple[Column, ...]:
        return DIRECTION_COLUMNS[self.direction]

    def kg(self) -> Decimal:
        return sum((self.row.kg(c) for c in _TOTAL_COLUMNS[self.direction]), ZERO)

    def amount(self) -> Amount:
        return self.row.amount_of(self.kg())


def partner_rows(reports: dict[Any, Article7Report]) -> list[PartnerRow]:
    """The partner-country breakdown as rows: imports, then exports, each by substance, then country."""
    rows = []
    for country, report in reports.items():
        for row in report.rows:
            for direction in Direction:
                partner = PartnerRow(direction, country, row)
                if any(row.kg(c) for c in _TOTAL_COLUMNS[direction]):
                    rows.append(partner)
    order = list(Direction)
    return sorted(rows, key=lambda p: (order.index(p.direction), p.substance.sort_key, p.country))


def by_partner_country(country_code: str, period: Period) -> list[PartnerRow]:
    """Imports by exporting country and exports by country of destination (one grouped query)."""
    return partner_rows(_reports(country_code, period, Breakdown.PARTNER_COUNTRY))
