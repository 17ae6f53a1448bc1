"""What an import uses of its importer's quota, and the check that refuses one beyond it.

Called by the logbook's one rule path (``certreg.logbook.recording.check_entry``) under the
country's log lock, so every surface (page, API, CSV import, transfers, the border check) gets
the same refusal, and concurrent imports are serialised: accepted imports never exceed the quota.

An import counts when it is of a new (virgin) substance for no exempted use, recorded by a
company, dated in a year for which the ozone unit allocated quotas of the substance's group.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.quotas import schedules
from certreg.quotas.models import QuotaLine, QuotaLineKind
from certreg.substances.catalogue import default_catalogue

LINES = QuotaLine.__table__
EXACT = Decimal("1e-12")  # tonnes to 12 decimals: kg (3) x ODP (6) / 1000, exactly
KG_PER_TONNE = Decimal(1000)


@dataclass(frozen=True)
class Use:
    company_id: int
    year: int
    group: str
    unit: str
    kg: Decimal
    amount: Decimal  # positive, in unit


def counts(condition: str, exempted_use: str | None) -> bool:
    """Whether an import of this condition and use counts against quotas (new substance, no exempted use)."""
    return condition == "virgin" and not exempted_use


def amounts(substance_code: str, kg: Decimal) -> dict[str, tuple[Decimal, Decimal]]:
    """``group -> (kg, amount in the group's unit)`` of ``kg`` of a substance or blend (its controlled parts)."""
    catalogue = default_catalogue()
    if substance_code not in catalogue:
        return {}
    found: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for code, part_kg in catalogue.components_by_mass(substance_code, kg):
        part = catalogue.get(code)
        if getattr(part, "is_blend", False) or not part.annex or not part.group:
            continue
        group = schedules.quota_group(part.annex, part.group)
        factor = (part.gwp or Decimal(0)) if group == schedules.HFC_GROUP else part.odp
        found[group][0] += part_kg
        found[group][1] += part_kg / KG_PER_TONNE * factor
    return {group: (kg_.quantize(Decimal("0.001")), amount.quantize(EXACT))
            for group, (kg_, amount) in found.items() if amount > 0}


def uses_of(company_id: int, on: date, substance_code: str, kg: Decimal) -> list[Use]:
    return [Use(company_id, on.year, group, schedules.unit_of(group), part_kg, amount)
            for group, (part_kg, amount) in sorted(amounts(substance_code, kg).items())]


#: Built once (every import asks, and the border check): bound per country and year.
ALLOCATED_GROUPS = sa.select(LINES.c.control_group).distinct().where(
    LINES.c.country_code == sa.bindparam("country"), LINES.c.year == sa.bindparam("year"),
    LINES.c.kind == QuotaLineKind.ALLOCATION.value)


def allocated_groups(country_code: str, year: int) -> set[str]:
    """The groups the ozone unit allocated quotas of for the year (where imports are checked)."""
    return set(db.session.scalars(ALLOCATED_GROUPS, {"country": country_code, "year": year}))


def remaining(country_code: str, company_id: int, year: int, group: str) -> Decimal:
    """The importer's remaining quota: the sum of its lines (allocations, transfers, uses)."""
    return Decimal(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LINES.c.amount), 0)).where(
        LINES.c.country_code == country_code, LINES.c.year == year, LINES.c.control_group == group,
        LINES.c.company_id == company_id)) or 0).quantize(EXACT)


class QuotaBook:
    """The country's quotas as one transaction sees them under the log lock, with the uses it checked
    but has not written yet (a CSV import writes its entries at the end)."""

    def __init__(self, country_code: str) -> None:
        self.country_code = country_code
        self._groups: dict[int, set[str]] = {}
        self._remaining: dict[tuple[int, int, str], Decimal] = {}

    def enforced(self, year: int, group: str | None) -> bool:
        """Whether quotas of ``group`` (None: of any group) were allocated for the year."""
        if year not in self._groups:
            self._groups[year] = allocated_groups(self.country_code, year)
        return bool(self._groups[year]) if group is None else group in self._groups[year]

    def knowing(self, year: int, groups: set[str], company_id: int,
                remaining_by_group: dict[str, Decimal]) -> QuotaBook:
        """This book, told what a caller read already in the same transaction: the groups allocated for the
        year and the company's remaining quota in each (a group it has no line in: nothing remains). The
        border check reads them with the rest of its facts (:mod:`certreg.shipments.facts`)."""
        self._groups[year] = set(groups)
        for group in groups:
            self._remaining[(company_id, year, group)] = Decimal(remaining_by_group.get(group, 0)).quantize(EXACT)
        return self

    def check(self, company_id: int, on: date, substance_code: str, kg: Decimal, condition: str,
              exempted_use: str | None) -> list[Use]:
        """The uses of this import, reserved in this book.

        :raise ValidationFailed: ``quota_exceeded`` on ``quantity``: beyond the importer's remaining quota.
        """
        if not counts(condition, exempted_use):
            return []
        if not self.enforced(on.year, None):  # no quotas that year: nothing to compute (most imports)
            return []
        uses = [use for use in uses_of(company_id, on, substance_code, kg) if self.enforced(use.year, use.group)]
        for use in uses:
            key = (company_id, use.year, use.group)
            if key not in self._remaining:
                self._remaining[key] = remaining(self.country_code, *key)
            left = self._remaining[key]
            if use.amount > left:
                unit = unit_label(use.unit)
                raise ValidationFailed.for_field("quantity", _(
                    "This import needs %(amount)s %(unit)s of the importer's %(year)s quota for group %(group)s; "
                    "%(left)s %(unit)s remain.", amount=f"{use.amount.normalize():f}", unit=unit, year=f"{use.year}",
                    group=use.group, left=f"{max(left, Decimal(0)).normalize():f}"), "quota_exceeded")
        for use in uses:
            self._remaining[(company_id, use.year, use.group)] -= use.amount
        return uses


def book(country_code: str) -> QuotaBook:
    """A fresh book of the country's quotas (what :mod:`certreg.logbook.quotas` asks for)."""
    return QuotaBook(country_code)


def unit_label(unit: str) -> str:
    return _("CO2-eq t") if unit == schedules.CO2E_TONNES else _("ODP t")


def use_rows(country_code: str, uses: list[Use], entry_id: int, now: datetime, label: str,
             user_id: int | None, *, kind: QuotaLineKind = QuotaLineKind.USE) -> list[dict]:
    sign = -1 if kind is QuotaLineKind.USE else 1
    return [{"country_code": country_code, "year": use.year, "control_group": use.group,
             "company_id": use.company_id, "kind": kind.value, "amount": sign * use.amount, "unit": use.unit,
             "kg": use.kg, "entry_id": entry_id, "counterpart_company_id": None, "reason": None, "seq": None,
             "leaf_hash": None, "mac": None, "recorded_at": now, "recorded_by_user_id": user_id,
             "recorded_by_label": label} for use in uses]


def write_uses(rows: list[dict]) -> None:
    """Insert use lines (after their entries exist)."""
    if rows:
        db.session.execute(LINES.insert(), rows)


def release(country_code: str, entry_id: int, now: datetime, label: str, user_id: int | None) -> None:
    """A reversed import gives back what it used (a ``use_reversal`` line per group)."""
    rows = db.session.execute(sa.select(LINES).where(LINES.c.entry_id == entry_id,
                                                     LINES.c.kind == QuotaLineKind.USE.value)).mappings().all()
    uses = [Use(r["company_id"], r["year"], r["control_group"], r["unit"], r["kg"], -Decimal(r["amount"]))
            for r in rows]
    write_uses(use_rows(country_code, uses, entry_id, now, label, user_id, kind=QuotaLineKind.USE_REVERSAL))
