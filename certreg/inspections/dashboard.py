"""The inspections dashboard: a country's inspections and seizures in a period, counted by border
post, by substance and by month (issue 14, "the dashboard shows inspections and seizures by border
post, substance and month"). The page and ``GET /api/v1/countries/{code}/inspection-figures`` show
the same figures; the readers of inspections (the country's inspectors, administrators, auditors)
may see them.

* An inspection counts in the period by the day it began (``started_at``, UTC); its seizure counts
  with it (a seizure is one inspection's decision).
* By border post: the inspection's border post; the others (markets, shops, warehouses, vehicles)
  under one row with no post. The rows add up to the totals.
* By substance: an inspection counts under every substance it checked (a cylinder's label) or
  seized; a seizure under every substance it seized, with the kilograms of that substance. An
  inspection of two substances counts under both, so these rows may add up to more than the totals.
* By month: ``YYYY-MM`` of the day the inspection began.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.focalpoints.models import FocalPoint
from certreg.inspections import access
from certreg.inspections.models import CylinderCheck, Inspection, SeizedGoods, Seizure

ZERO = Decimal("0.000")


@dataclass
class Row:
    key: str  # border post code ("" for none), substance code or YYYY-MM
    label: str
    inspections: int = 0
    seizures: int = 0
    seized_kg: Decimal = ZERO

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "inspections": self.inspections, "seizures": self.seizures,
                "seized_kg": f"{self.seized_kg:f}"}


@dataclass
class Figures:
    country_code: str
    date_from: date
    date_to: date
    total: Row
    by_border_post: list[Row] = field(default_factory=list)
    by_substance: list[Row] = field(default_factory=list)
    by_month: list[Row] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"country": self.country_code, "date_from": self.date_from.isoformat(),
                "date_to": self.date_to.isoformat(), "total": self.total.as_dict(),
                "by_border_post": [r.as_dict() for r in self.by_border_post],
                "by_substance": [r.as_dict() for r in self.by_substance],
                "by_month": [r.as_dict() for r in self.by_month]}


def period(date_from: str | None, date_to: str | None, *, default_year: int) -> tuple[date, date]:
    """The period asked for (ISO dates; the whole of ``default_year`` when not given).

    :raise ValidationFailed: ``invalid_date`` (not a date), ``invalid_period`` (ends before it starts).
    """
    days = []
    for name, text, default in (("date_from", date_from, date(default_year, 1, 1)),
                                ("date_to", date_to, date(default_year, 12, 31))):
        if not (text or "").strip():
            days.append(default)
            continue
        try:
            days.append(date.fromisoformat(text.strip()))
        except ValueError:
            raise ValidationFailed.for_field(name, _("Enter a date as YYYY-MM-DD."), "invalid_date") from None
    if days[1] < days[0]:
        raise ValidationFailed.for_field("date_to", _("The period ends before it starts."), "invalid_period")
    return days[0], days[1]


def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    return (datetime.combine(date_from, time.min, tzinfo=UTC),
            datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC))


def figures(actor: Actor, country_code: str, date_from: date, date_to: date) -> Figures:
    """The country's inspections and seizures from ``date_from`` to ``date_to`` (inclusive), counted three ways."""
    actor.require(access.can_read(actor, country_code))
    start, end = _bounds(date_from, date_to)
    i, fp = Inspection.__table__, FocalPoint.__table__
    rows = db.session.execute(
        sa.select(i.c.id, i.c.started_at, fp.c.code, fp.c.name, Seizure.__table__.c.id.label("seizure_id"))
        .select_from(i.outerjoin(fp, fp.c.id == i.c.border_post_id)
                     .outerjoin(Seizure.__table__, Seizure.__table__.c.inspection_id == i.c.id))
        .where(i.c.country_code == country_code, i.c.started_at >= start, i.c.started_at < end)
        .order_by(i.c.started_at, i.c.id)).all()
    ids = [r.id for r in rows]
    goods: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    checked: dict[int, set[str]] = defaultdict(set)
    if ids:
        s, g, c = Seizure.__table__, SeizedGoods.__table__, CylinderCheck.__table__
        for inspection_id, substance, kg in db.session.execute(
                sa.select(s.c.inspection_id, g.c.substance_code, g.c.kg)
                .select_from(g.join(s, s.c.id == g.c.seizure_id)).where(s.c.inspection_id.in_(ids))):
            goods[inspection_id][substance] += Decimal(kg)
        for inspection_id, substance in db.session.execute(
                sa.select(c.c.inspection_id, c.c.label_substance).where(c.c.inspection_id.in_(ids))):
            checked[inspection_id].add(substance)
    no_post = _("Not at a border post")
    total = Row("", _("All inspections"))
    posts: dict[str, Row] = {}
    substances: dict[str, Row] = {}
    months: dict[str, Row] = {}
    for r in rows:
        seized = r.seizure_id is not None
        kg = sum(goods[r.id].values(), ZERO) if seized else ZERO
        month = r.started_at.strftime("%Y-%m")
        for row in (total, posts.setdefault(r.code or "", Row(r.code or "", r.name or no_post)),
                    months.setdefault(month, Row(month, month))):
            row.inspections += 1
            row.seizures += int(seized)
            row.seized_kg += kg
        for substance in sorted(checked[r.id] | set(goods[r.id])):
            row = substances.setdefault(substance, Row(substance, substance))
            row.inspections += 1
            if substance in goods[r.id]:
                row.seizures += 1
                row.seized_kg += goods[r.id][substance]
    return Figures(country_code, date_from, date_to, total,
                   sorted(posts.values(), key=lambda row: (row.key == "", row.label)),
                   sorted(substances.values(), key=lambda row: row.key),
                   sorted(months.values(), key=lambda row: row.key))
