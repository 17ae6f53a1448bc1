"""Anomalies: who to inspect, found by grouped queries over a country's logbooks for a period.

Each detector is one or two aggregate queries (never a loop over entries) and yields at
most one anomaly per holder (per equipment for chronic leakers), with its facts, its
explained score (:mod:`certreg.reports.scores`) and a digest of its evidence. The evidence
itself (the entries, refused attempts or tamper-check problems) is read again, by the
same conditions, when someone opens the anomaly.

Reversed entries and reversals never count (:func:`certreg.reports.figures.counted`).
The thresholds are settings (``REPORTS_*``, see ``config`` and ``docs/reports.md``).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app

from certreg.db import utcnow
from certreg.extensions import db
from certreg.logbook.models import (
    USED_CONDITIONS,
    Direction,
    EntryKind,
    Equipment,
    Intervention,
    InterventionKind,
    Logbook,
    Refusal,
    Transfer,
    TransferStatus,
)
from certreg.registry.models import Company, Technician
from certreg.reports import scores
from certreg.reports.exact import kg_sum
from certreg.reports.figures import ENTRIES, SUBSTANCES, Period, counted, in_period
from certreg.reports.models import AnomalyKind, AnomalyReview, LogCheck, ReviewState
from certreg.vocabulary import HolderKind

logger = logging.getLogger(__name__)

ZERO = Decimal("0.000")
#: Refused attempts that count: placing on the market and crossing the border.
REFUSED_KINDS = (EntryKind.SALE, EntryKind.IMPORT, EntryKind.EXPORT)
#: Kinds ranked first when scores tie (most serious first).
KIND_ORDER = list(scores.BASE)


@dataclass(frozen=True)
class Settings:
    stock_gap_kg: Decimal
    stock_gap_percent: Decimal
    unsourced_kg: Decimal
    pending_days: int
    surge_factor: Decimal
    history_years: int
    surge_min_kg: Decimal
    now: datetime

    @classmethod
    def from_config(cls, now: datetime | None = None) -> Settings:
        config = current_app.config
        return cls(
            stock_gap_kg=Decimal(config["REPORTS_STOCK_GAP_KG"]),
            stock_gap_percent=Decimal(config["REPORTS_STOCK_GAP_PERCENT"]),
            unsourced_kg=Decimal(config["REPORTS_UNSOURCED_USED_KG"]),
            pending_days=int(config["REPORTS_PENDING_DAYS"]),
            surge_factor=Decimal(config["REPORTS_IMPORT_SURGE_FACTOR"]),
            history_years=int(config["REPORTS_IMPORT_HISTORY_YEARS"]),
            surge_min_kg=Decimal(config["REPORTS_IMPORT_SURGE_MIN_KG"]),
            now=now or utcnow(),
        )


@dataclass(frozen=True)
class HolderRef:
    kind: HolderKind
    id: int
    name: str
    registration: str | None = None


@dataclass
class Anomaly:
    kind: AnomalyKind
    country_code: str
    period: Period
    logbook_id: int | None
    facts: dict[str, Any]
    terms: list[scores.Term]
    digest: str
    equipment_id: int | None = None
    holder: HolderRef | None = None
    review: AnomalyReview | None = None
    earlier_reviews: list[AnomalyReview] = field(default_factory=list)

    @property
    def score(self) -> Decimal:
        return scores.total(self.terms)

    @property
    def fingerprint(self) -> str:
        text = "|".join([self.kind.value, self.country_code, str(self.logbook_id or 0), str(self.equipment_id or 0),
                         self.digest])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def is_reviewed(self) -> bool:
        return self.review is not None

    @property
    def subject(self) -> int:
        """The logbook id in URLs (0: the country's log as a whole)."""
        return self.logbook_id or 0


# --- SQL helpers ----------------------------------------------------------------------------


def annex_level(s: sa.Table) -> sa.Case:
    """2: an Annex A/B substance (or a blend containing one); 1: Annex C/E; 0: otherwise."""
    return sa.case(
        (sa.or_(s.c.annexes.like("%A%"), s.c.annexes.like("%B%")), 2),
        (sa.or_(s.c.annexes.like("%C%"), s.c.annexes.like("%E%")), 1),
        else_=0,
    )


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _kg(value: Any) -> Decimal:
    return Decimal(value).quantize(Decimal("0.001")) if value is not None else ZERO


def _digest(*parts: Any) -> str:
    return ":".join(str(p) for p in parts)


def _logbook_filter(column: sa.ColumnElement[Any], logbook_id: int | None) -> list[sa.ColumnElement[bool]]:
    return [column == logbook_id] if logbook_id is not None else []


# --- detectors ---------------------------------------------------------------------------------


def _far_from_books(e: sa.Alias, settings: Settings) -> sa.ColumnElement[bool]:
    return sa.and_(e.c.quantity > settings.stock_gap_kg,
                   e.c.quantity * 100 > settings.stock_gap_percent * sa.func.coalesce(e.c.book_quantity, 0))


def _mass_balance_where(e: sa.Alias, country: str, period: Period, settings: Settings) -> list:
    return [e.c.country_code == country, in_period(e, period), e.c.kind == EntryKind.STOCK_COUNT.value,
            counted(e), _far_from_books(e, settings)]


def mass_balance(country: str, period: Period, settings: Settings, logbook_id: int | None = None) -> list[Anomaly]:
    """Stock counts far from the books: gas that appeared or vanished without a recorded movement.

    Recorded in − recorded out − change in stock is, by construction of the balances, zero
    except for stock-count adjustments; a count is "far" beyond both REPORTS_STOCK_GAP_KG
    and REPORTS_STOCK_GAP_PERCENT of the stock the books showed.
    """
    e, s = ENTRIES.alias("e"), SUBSTANCES
    signed = sa.case((e.c.direction == Direction.IN.value, e.c.quantity), else_=-e.c.quantity)
    rows = db.session.execute(
        sa.select(e.c.logbook_id, sa.func.count().label("n"), sa.func.max(e.c.id).label("last"),
                  kg_sum(e.c.quantity).label("gross"), kg_sum(signed).label("net"),
                  sa.func.max(annex_level(s)).label("annex"))
        .select_from(e.join(s, s.c.code == e.c.substance_code))
        .where(*_mass_balance_where(e, country, period, settings), *_logbook_filter(e.c.logbook_id, logbook_id))
        .group_by(e.c.logbook_id)
    )
    found = []
    for row in rows:
        gross, net = _kg(row.gross), _kg(row.net)
        found.append(Anomaly(
            AnomalyKind.MASS_BALANCE, country, period, row.logbook_id,
            {"counts": row.n, "gross_kg": str(gross), "net_kg": str(net)},
            scores.terms(scores.base(AnomalyKind.MASS_BALANCE), scores.quantity(gross), scores.count(row.n),
                         scores.annex(row.annex)),
            _digest(row.n, row.last, gross)))
    return found


def refused_attempts(country: str, period: Period, settings: Settings,
                     logbook_id: int | None = None) -> list[Anomaly]:
    """Refused sales, imports and exports (uncertified buyers, banned virgin CFCs, missing proof ...)."""
    r, s = Refusal.__table__, SUBSTANCES
    where = [r.c.country_code == country, r.c.at >= day_start(period.date_from),
             r.c.at < day_start(period.date_to + timedelta(days=1)),
             r.c.kind.in_([k.value for k in REFUSED_KINDS]), r.c.logbook_id.is_not(None),
             *_logbook_filter(r.c.logbook_id, logbook_id)]
    codes: dict[int, dict[str, int]] = defaultdict(dict)
    for logbook, code, n in db.session.execute(
            sa.select(r.c.logbook_id, r.c.code, sa.func.count()).where(*where).group_by(r.c.logbook_id, r.c.code)):
        codes[logbook][code] = n
    rows = db.session.execute(
        sa.select(r.c.logbook_id, sa.func.count().label("n"), sa.func.max(r.c.id).label("last"),
                  kg_sum(sa.func.coalesce(r.c.quantity, 0)).label("kg"), sa.func.max(annex_level(s)).label("annex"))
        .select_from(r.outerjoin(s, s.c.code == r.c.substance_code)).where(*where).group_by(r.c.logbook_id)
    )
    found = []
    for row in rows:
        kg = _kg(row.kg)
        found.append(Anomaly(
            AnomalyKind.REFUSED_ATTEMPTS, country, period, row.logbook_id,
            {"attempts": row.n, "kg": str(kg), "codes": dict(sorted(codes[row.logbook_id].items()))},
            scores.terms(scores.base(AnomalyKind.REFUSED_ATTEMPTS), scores.count(row.n), scores.quantity(kg),
                         scores.annex(row.annex)),
            _digest(row.n, row.last)))
    return found


def _used_sales_where(e: sa.Alias, country: str, period: Period) -> list:
    return [e.c.country_code == country, e.c.operation_date <= period.date_to, counted(e),
            e.c.condition.in_([c.value for c in USED_CONDITIONS])]


SOLD = (EntryKind.SALE.value, EntryKind.EXPORT.value)


def used_without_source(country: str, period: Period, settings: Settings,
                        logbook_id: int | None = None) -> list[Anomaly]:
    """Gas sold or exported as recovered, recycled or reclaimed beyond its recorded origin.

    Per holder and substance, from the first entry up to the end of the period: used gas
    sold or exported, minus used gas the holder recovered from equipment, imported, or bought
    as a confirmed purchase from a registered seller (whose books carry the sale). Purchases
    of "used" gas from unregistered sellers have no origin anyone recorded. Flagged above
    REPORTS_UNSOURCED_USED_KG when some such sale falls in the period.
    """
    e, s = ENTRIES.alias("e"), SUBSTANCES
    sold = e.c.kind.in_(SOLD)
    sourced = sa.or_(e.c.kind.in_([EntryKind.RECOVERY.value, EntryKind.IMPORT.value]),
                     sa.and_(e.c.kind == EntryKind.PURCHASE.value, e.c.counterpart_of_id.is_not(None)))
    rows = db.session.execute(
        sa.select(e.c.logbook_id, e.c.substance_code,
                  kg_sum(sa.case((sold, e.c.quantity), else_=0)).label("sold"),
                  kg_sum(sa.case((sourced, e.c.quantity), else_=0)).label("sourced"),
                  sa.func.sum(sa.case((sa.and_(sold, e.c.operation_date >= period.date_from), 1), else_=0))
                  .label("sales_in_period"),
                  sa.func.count().label("n"), sa.func.max(e.c.id).label("last"),
                  sa.func.max(annex_level(s)).label("annex"))
        .select_from(e.join(s, s.c.code == e.c.substance_code))
        .where(*_used_sales_where(e, country, period), *_logbook_filter(e.c.logbook_id, logbook_id),
               e.c.kind.in_([*SOLD, EntryKind.RECOVERY.value, EntryKind.IMPORT.value, EntryKind.PURCHASE.value]))
        .group_by(e.c.logbook_id, e.c.substance_code)
    )
    per_holder: dict[int, dict[str, Any]] = {}
    for row in rows:
        gap = _kg(row.sold) - _kg(row.sourced)
        if gap <= settings.unsourced_kg or not row.sales_in_period:
            continue
        holder = per_holder.setdefault(row.logbook_id, {"substances": {}, "gap": ZERO, "n": 0, "last": 0,
                                                        "annex": 0})
        holder["substances"][row.substance_code] = {"sold_kg": str(_kg(row.sold)),
                                                    "sourced_kg": str(_kg(row.sourced)), "gap_kg": str(gap)}
        holder["gap"] += gap
        holder["n"] += row.n
        holder["last"] = max(holder["last"], row.last)
        holder["annex"] = max(holder["annex"], row.annex or 0)
    return [Anomaly(
        AnomalyKind.USED_WITHOUT_SOURCE, country, period, logbook,
        {"gap_kg": str(h["gap"]), "substances": dict(sorted(h["substances"].items()))},
        scores.terms(scores.base(AnomalyKind.USED_WITHOUT_SOURCE), scores.quantity(h["gap"]), scores.annex(h["annex"])),
        _digest(h["n"], h["last"], h["gap"])) for logbook, h in per_holder.items()]


def _unconfirmed_where(t: sa.Table, e: sa.Alias, country: str, period: Period, settings: Settings) -> list:
    cutoff = settings.now - timedelta(days=settings.pending_days)
    return [e.c.country_code == country, in_period(e, period),
            sa.or_(t.c.status == TransferStatus.DISPUTED.value,
                   sa.and_(t.c.status == TransferStatus.PENDING.value, t.c.created_at < cutoff))]


def unconfirmed_transfers(country: str, period: Period, settings: Settings,
                          logbook_id: int | None = None) -> list[Anomaly]:
    """Sales and exports to registered holders that the buyer disputed, or never confirmed (REPORTS_PENDING_DAYS)."""
    t, e, s = Transfer.__table__, ENTRIES.alias("e"), SUBSTANCES
    disputed = sa.case((t.c.status == TransferStatus.DISPUTED.value, 1), else_=0)
    rows = db.session.execute(
        sa.select(t.c.from_logbook_id, sa.func.count().label("n"), sa.func.sum(disputed).label("disputed"),
                  sa.func.max(t.c.id).label("last"), kg_sum(e.c.quantity).label("kg"),
                  sa.func.max(annex_level(s)).label("annex"))
        .select_from(t.join(e, e.c.id == t.c.origin_entry_id).join(s, s.c.code == e.c.substance_code))
        .where(*_unconfirmed_where(t, e, country, period, settings),
               *_logbook_filter(t.c.from_logbook_id, logbook_id))
        .group_by(t.c.from_logbook_id)
    )
    found = []
    for row in rows:
        kg, n_disputed = _kg(row.kg), int(row.disputed or 0)
        found.append(Anomaly(
            AnomalyKind.UNCONFIRMED_TRANSFER, country, period, row.from_logbook_id,
            {"transfers": row.n, "disputed": n_disputed, "pending": row.n - n_disputed, "kg": str(kg),
             "pending_days": settings.pending_days},
            scores.terms(scores.base(AnomalyKind.UNCONFIRMED_TRANSFER), scores.quantity(kg), scores.count(row.n),
                         scores.disputed(n_disputed), scores.annex(row.annex)),
            _digest(row.n, n_disputed, row.last, kg)))
    return found


def _blank(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return sa.or_(column.is_(None), sa.func.trim(column) == "")


def _no_proof_where(e: sa.Alias, country: str, period: Period) -> list:
    return [e.c.country_code == country, in_period(e, period), e.c.kind == EntryKind.IMPORT.value, counted(e),
            sa.or_(_blank(e.c.import_licence), _blank(e.c.customs_declaration), _blank(e.c.origin_country),
                   _blank(e.c.exporter_name), e.c.origin_country == e.c.country_code)]


def imports_without_proof(country: str, period: Period, settings: Settings,
                          logbook_id: int | None = None) -> list[Anomaly]:
    """Imports lacking licence, customs declaration, country of origin or exporter (blank counts as missing),
    or "imported" from the country itself: the logbook refuses these now, older or bulk-loaded data may hold them."""
    e, s = ENTRIES.alias("e"), SUBSTANCES
    rows = db.session.execute(
        sa.select(e.c.logbook_id, sa.func.count().label("n"), sa.func.max(e.c.id).label("last"),
                  kg_sum(e.c.quantity).label("kg"), sa.func.max(annex_level(s)).label("annex"))
        .select_from(e.join(s, s.c.code == e.c.substance_code))
        .where(*_no_proof_where(e, country, period), *_logbook_filter(e.c.logbook_id, logbook_id))
        .group_by(e.c.logbook_id)
    )
    found = []
    for row in rows:
        kg = _kg(row.kg)
        found.append(Anomaly(
            AnomalyKind.IMPORT_WITHOUT_PROOF, country, period, row.logbook_id, {"imports": row.n, "kg": str(kg)},
            scores.terms(scores.base(AnomalyKind.IMPORT_WITHOUT_PROOF), scores.quantity(kg), scores.count(row.n),
                         scores.annex(row.annex)),
            _digest(row.n, row.last, kg)))
    return found


def _days_late(e: sa.Alias) -> sa.ColumnElement[Any]:
    """Whole days between an entry's date and the day it was recorded (UTC), on SQLite and PostgreSQL."""
    if db.engine.dialect.name == "sqlite":
        return sa.func.julianday(sa.func.date(e.c.recorded_at)) - sa.func.julianday(e.c.operation_date)
    return sa.cast(sa.func.timezone("UTC", e.c.recorded_at), sa.Date) - e.c.operation_date


def _late_where(e: sa.Alias, country: str, period: Period) -> list:
    from certreg.logbook.settings import late_entry_limits

    days = late_entry_limits(country)[0]
    return [e.c.country_code == country, in_period(e, period), counted(e), e.c.counterpart_of_id.is_(None),
            _days_late(e) > days]


def late_entries(country: str, period: Period, settings: Settings, logbook_id: int | None = None) -> list[Anomaly]:
    """Entries dated more than the country's late-entry days before they were recorded (they carry a reason;
    the logbook refuses them without one, and past the approval limit altogether)."""
    e, s = ENTRIES.alias("e"), SUBSTANCES
    rows = db.session.execute(
        sa.select(e.c.logbook_id, sa.func.count().label("n"), sa.func.max(e.c.id).label("last"),
                  kg_sum(e.c.quantity).label("kg"), sa.func.max(_days_late(e)).label("most"),
                  sa.func.max(annex_level(s)).label("annex"))
        .select_from(e.join(s, s.c.code == e.c.substance_code))
        .where(*_late_where(e, country, period), *_logbook_filter(e.c.logbook_id, logbook_id))
        .group_by(e.c.logbook_id)
    )
    found = []
    for row in rows:
        kg = _kg(row.kg)
        found.append(Anomaly(
            AnomalyKind.LATE_ENTRY, country, period, row.logbook_id,
            {"entries": row.n, "kg": str(kg), "most_days": int(row.most)},
            scores.terms(scores.base(AnomalyKind.LATE_ENTRY), scores.quantity(kg), scores.count(row.n),
                         scores.annex(row.annex)),
            _digest(row.n, row.last, kg)))
    return found


def history_windows(period: Period, years: int) -> list[Period]:
    """The same period 1, 2, ... ``years`` earlier (shifted by whole years, at least the period's length)."""
    step = max(1, math.ceil(period.days / 366))

    def back(day: date, n: int) -> date:
        try:
            return day.replace(year=day.year - n)
        except ValueError:  # 29 February
            return day.replace(year=day.year - n, day=28)

    return [Period(back(period.date_from, k * step), back(period.date_to, k * step)) for k in range(1, years + 1)]


def import_surges(country: str, period: Period, settings: Settings, logbook_id: int | None = None) -> list[Anomaly]:
    """Imports in the period above REPORTS_IMPORT_SURGE_FACTOR times the holder's average in the same period
    of the previous REPORTS_IMPORT_HISTORY_YEARS years (years with imports only) and REPORTS_IMPORT_SURGE_MIN_KG
    kg above it. A first import has no history and is not compared."""
    e, s = ENTRIES.alias("e"), SUBSTANCES
    windows = history_windows(period, settings.history_years)
    current = in_period(e, period)
    sums = [kg_sum(sa.case((current, e.c.quantity), else_=0)).label("current")]
    sums += [kg_sum(sa.case((in_period(e, w), e.c.quantity), else_=0)).label(f"h{i}") for i, w in enumerate(windows)]
    rows = db.session.execute(
        sa.select(e.c.logbook_id, *sums, sa.func.sum(sa.case((current, 1), else_=0)).label("n"),
                  sa.func.max(sa.case((current, e.c.id), else_=0)).label("last"),
                  sa.func.max(sa.case((current, annex_level(s)), else_=0)).label("annex"))
        .select_from(e.join(s, s.c.code == e.c.substance_code))
        .where(e.c.country_code == country, e.c.kind == EntryKind.IMPORT.value, counted(e),
               e.c.operation_date.between(windows[-1].date_from if windows else period.date_from, period.date_to),
               *_logbook_filter(e.c.logbook_id, logbook_id))
        .group_by(e.c.logbook_id)
    )
    found = []
    for row in rows:
        now = _kg(row.current)
        history = [_kg(getattr(row, f"h{i}")) for i in range(len(windows))]
        years = [h for h in history if h > 0]
        if not now or not years:
            continue
        average = (sum(years, ZERO) / len(years)).quantize(Decimal("0.001"))
        if now <= settings.surge_factor * average or now - average <= settings.surge_min_kg:
            continue
        ratio = now / average
        found.append(Anomaly(
            AnomalyKind.IMPORT_SURGE, country, period, row.logbook_id,
            {"kg": str(now), "average_kg": str(average), "ratio": str(ratio.quantize(Decimal("0.1"))),
             "history": [str(h) for h in history], "factor": str(settings.surge_factor)},
            scores.terms(scores.base(AnomalyKind.IMPORT_SURGE), scores.quantity(now - average), scores.ratio(ratio),
                         scores.annex(row.annex)),
            _digest(row.n, row.last, now, average)))
    return found


def _leak_window(period: Period) -> Period:
    """12 months ending on the last day of the period (as the logbook's leak rate counts them)."""
    return Period(period.date_to - timedelta(days=364), period.date_to)


def _top_up_where(e: sa.Alias, country: str, window: Period) -> list:
    i = Intervention.__table__
    installation = sa.exists().where(i.c.id == e.c.intervention_id, i.c.kind == InterventionKind.INSTALLATION.value)
    return [e.c.country_code == country, in_period(e, window), e.c.kind == EntryKind.CHARGE.value, counted(e),
            e.c.equipment_id.is_not(None), ~installation]


def chronic_leakers(country: str, period: Period, settings: Settings, logbook_id: int | None = None,
                    equipment_id: int | None = None) -> list[Anomaly]:
    """Equipment whose top-ups in the 12 months to the end of the period exceed the country's leak-rate
    threshold (a share of its nominal charge), topped up at least once in the period."""
    from certreg.logbook.equipment import leak_rates

    e, s = ENTRIES.alias("e"), SUBSTANCES
    window = _leak_window(period)
    eq = Equipment.__table__
    candidates = db.session.execute(
        sa.select(e.c.equipment_id, sa.func.count().label("n"), sa.func.max(e.c.id).label("last"))
        .select_from(e.join(eq, eq.c.id == e.c.equipment_id))
        .where(*_top_up_where(e, country, window), *_logbook_filter(eq.c.logbook_id, logbook_id),
               *([e.c.equipment_id == equipment_id] if equipment_id is not None else []))
        .group_by(e.c.equipment_id)
        .having(sa.func.max(e.c.operation_date) >= period.date_from)
    ).all()
    if not candidates:
        return []
    counts = {row.equipment_id: (row.n, row.last) for row in candidates}
    equipment = list(db.session.scalars(sa.select(Equipment).where(Equipment.id.in_(list(counts)))))
    levels = dict(db.session.execute(sa.select(s.c.code, annex_level(s)).where(
        s.c.code.in_({eq_.substance_code for eq_ in equipment}))).all())
    rates = leak_rates(equipment, until=window.date_to)
    found = []
    for item in equipment:
        rate = rates[item.id]
        if not rate.flagged:
            continue
        n, last = counts[item.id]
        found.append(Anomaly(
            AnomalyKind.CHRONIC_LEAKER, country, period, item.logbook_id,
            {"equipment": item.code, "substance": item.substance_code, "added_kg": str(rate.added_kg),
             "nominal_charge_kg": str(rate.nominal_charge), "percent": str(rate.percent),
             "threshold_percent": str(rate.threshold), "top_ups": n, "since": window.date_from.isoformat()},
            scores.terms(scores.base(AnomalyKind.CHRONIC_LEAKER), scores.quantity(rate.added_kg),
                         scores.ratio(rate.percent / rate.threshold), scores.annex(levels.get(item.substance_code))),
            _digest(n, last, rate.added_kg), equipment_id=item.id))
    return found


def latest_check(country: str) -> LogCheck | None:
    return db.session.scalar(sa.select(LogCheck).where(LogCheck.country_code == country)
                             .order_by(LogCheck.id.desc()).limit(1))


def tampered_logbooks(country: str, period: Period, settings: Settings,
                      logbook_id: int | None = None) -> list[Anomaly]:
    """Logbooks named by the latest tamper check of the country's log (any period: tampering is never old news).
    Problems that name no entry (a forged checkpoint, a rewritten log head) belong to the country's log."""
    check = latest_check(country)
    if check is None or check.ok:
        return []
    grouped: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for problem in check.report.get("problems", []):
        grouped[problem.get("logbook_id")].append(problem)
    found = []
    for logbook, problems in grouped.items():
        if logbook_id is not None and (logbook or 0) != logbook_id:
            continue
        codes: dict[str, int] = defaultdict(int)
        for p in problems:
            codes[p["code"]] += 1
        seqs = [p["seq"] for p in problems if p.get("seq") is not None]
        signature = sorted(f"{p['code']}@{p.get('seq')}#{p.get('entry_id')}" for p in problems)
        found.append(Anomaly(
            AnomalyKind.TAMPER, country, period, logbook,
            {"check_id": check.id, "checked_at": check.checked_at.isoformat(), "problems": len(problems),
             "codes": dict(sorted(codes.items())), "first_bad_seq": min(seqs) if seqs else None},
            scores.terms(scores.base(AnomalyKind.TAMPER), scores.problems(len(problems))),
            hashlib.sha256("\n".join(signature).encode()).hexdigest()[:32]))
    return found


DETECTORS = {
    AnomalyKind.TAMPER: tampered_logbooks,
    AnomalyKind.IMPORT_WITHOUT_PROOF: imports_without_proof,
    AnomalyKind.USED_WITHOUT_SOURCE: used_without_source,
    AnomalyKind.MASS_BALANCE: mass_balance,
    AnomalyKind.IMPORT_SURGE: import_surges,
    AnomalyKind.REFUSED_ATTEMPTS: refused_attempts,
    AnomalyKind.UNCONFIRMED_TRANSFER: unconfirmed_transfers,
    AnomalyKind.CHRONIC_LEAKER: chronic_leakers,
    AnomalyKind.LATE_ENTRY: late_entries,
}
#: Detectors kept in rooms of their own, which add themselves here (certreg.reports.cylinder_anomalies,
#: imported by the package): they build on this module, so this module does not import them.
MORE_DETECTORS: dict[AnomalyKind, Any] = {}


# --- assembling the list ------------------------------------------------------------------------


def holders(logbook_ids: set[int]) -> dict[int, HolderRef]:
    if not logbook_ids:
        return {}
    lb, c, t = Logbook.__table__, Company.__table__, Technician.__table__
    rows = db.session.execute(
        sa.select(lb.c.id, lb.c.holder_kind, lb.c.company_id, lb.c.technician_id, c.c.legal_name,
                  c.c.registration_number, t.c.full_name)
        .select_from(lb.outerjoin(c, c.c.id == lb.c.company_id).outerjoin(t, t.c.id == lb.c.technician_id))
        .where(lb.c.id.in_(logbook_ids)))
    result = {}
    for row in rows:
        kind = HolderKind(row.holder_kind)
        if kind is HolderKind.COMPANY:
            result[row.id] = HolderRef(kind, row.company_id, row.legal_name, row.registration_number)
        else:
            result[row.id] = HolderRef(kind, row.technician_id, row.full_name)
    return result


def _attach(anomalies: list[Anomaly]) -> None:
    refs = holders({a.logbook_id for a in anomalies if a.logbook_id})
    for a in anomalies:
        a.holder = refs.get(a.logbook_id) if a.logbook_id else None
    fingerprints = [a.fingerprint for a in anomalies]
    reviews = {r.fingerprint: r for r in db.session.scalars(
        sa.select(AnomalyReview).where(AnomalyReview.fingerprint.in_(fingerprints)))} if fingerprints else {}
    for a in anomalies:
        a.review = reviews.get(a.fingerprint)


def sort_key(a: Anomaly) -> tuple:
    return (-a.score, KIND_ORDER.index(a.kind), a.holder.name if a.holder else "", a.equipment_id or 0)


def detect(country: str, period: Period, *, kinds: list[AnomalyKind] | None = None,
           state: ReviewState = ReviewState.ALL, settings: Settings | None = None, logbook_id: int | None = None,
           equipment_id: int | None = None) -> list[Anomaly]:
    """The ranked anomalies of a country for a period (highest score first)."""
    settings = settings or Settings.from_config()
    found: list[Anomaly] = []
    for kind in kinds or list(AnomalyKind):
        detector = DETECTORS.get(kind) or MORE_DETECTORS[kind]
        if kind is AnomalyKind.CHRONIC_LEAKER:
            found += detector(country, period, settings, logbook_id, equipment_id)
        else:
            found += detector(country, period, settings, logbook_id)
    _attach(found)
    if state is ReviewState.OPEN:
        found = [a for a in found if not a.is_reviewed]
    elif state is ReviewState.REVIEWED:
        found = [a for a in found if a.is_reviewed]
    return sorted(found, key=sort_key)


def find(country: str, period: Period, kind: AnomalyKind, logbook_id: int, equipment_id: int | None = None,
         settings: Settings | None = None) -> Anomaly | None:
    """One anomaly, recomputed (``logbook_id`` 0: the country's log as a whole)."""
    settings = settings or Settings.from_config()
    found = detect(country, period, kinds=[kind], settings=settings, logbook_id=logbook_id,
                   equipment_id=equipment_id)
    for anomaly in found:
        if anomaly.subject == logbook_id and (equipment_id is None or anomaly.equipment_id == equipment_id):
            anomaly.earlier_reviews = list(db.session.scalars(
                sa.select(AnomalyReview).where(
                    AnomalyReview.country_code == country, AnomalyReview.kind == kind,
                    AnomalyReview.logbook_id.is_(None) if not logbook_id else AnomalyReview.logbook_id == logbook_id,
                    AnomalyReview.fingerprint != anomaly.fingerprint)
                .order_by(AnomalyReview.id.desc())))
            return anomaly
    return None


# --- evidence -------------------------------------------------------------------------------------


def evidence_entry_ids(anomaly: Anomaly, settings: Settings | None = None) -> sa.Select | None:
    """A query of the ids of the entries behind the anomaly (None for refused attempts: no entry was written)."""
    settings = settings or Settings.from_config()
    e = ENTRIES.alias("e")
    country, period, logbook = anomaly.country_code, anomaly.period, anomaly.logbook_id
    kind = anomaly.kind
    if kind is AnomalyKind.MASS_BALANCE:
        return sa.select(e.c.id).where(*_mass_balance_where(e, country, period, settings), e.c.logbook_id == logbook)
    if kind is AnomalyKind.IMPORT_WITHOUT_PROOF:
        return sa.select(e.c.id).where(*_no_proof_where(e, country, period), e.c.logbook_id == logbook)
    if kind is AnomalyKind.LATE_ENTRY:
        return sa.select(e.c.id).where(*_late_where(e, country, period), e.c.logbook_id == logbook)
    if kind is AnomalyKind.IMPORT_SURGE:
        return sa.select(e.c.id).where(e.c.country_code == country, e.c.logbook_id == logbook, in_period(e, period),
                                       e.c.kind == EntryKind.IMPORT.value, counted(e))
    if kind is AnomalyKind.USED_WITHOUT_SOURCE:
        codes = list(anomaly.facts.get("substances", {}))
        sold_in_period = sa.and_(e.c.kind.in_(SOLD), e.c.operation_date >= period.date_from)
        unsourced_purchase = sa.and_(e.c.kind == EntryKind.PURCHASE.value, e.c.counterpart_of_id.is_(None))
        return sa.select(e.c.id).where(*_used_sales_where(e, country, period), e.c.logbook_id == logbook,
                                       e.c.substance_code.in_(codes), sa.or_(sold_in_period, unsourced_purchase))
    if kind is AnomalyKind.UNCONFIRMED_TRANSFER:
        t = Transfer.__table__
        return (sa.select(e.c.id).select_from(t.join(e, e.c.id == t.c.origin_entry_id))
                .where(*_unconfirmed_where(t, e, country, period, settings), t.c.from_logbook_id == logbook))
    if kind is AnomalyKind.CHRONIC_LEAKER:
        return sa.select(e.c.id).where(*_top_up_where(e, country, _leak_window(period)),
                                       e.c.equipment_id == anomaly.equipment_id)
    if kind is AnomalyKind.TAMPER:
        ids = [p["entry_id"] for p in tamper_problems(anomaly) if p.get("entry_id")]
        return sa.select(e.c.id).where(e.c.id.in_(ids))
    return None


def evidence_refusals(anomaly: Anomaly) -> list[Refusal]:
    if anomaly.kind is not AnomalyKind.REFUSED_ATTEMPTS:
        return []
    period = anomaly.period
    return list(db.session.scalars(
        sa.select(Refusal).where(Refusal.country_code == anomaly.country_code, Refusal.logbook_id == anomaly.logbook_id,
                                 Refusal.at >= day_start(period.date_from),
                                 Refusal.at < day_start(period.date_to + timedelta(days=1)),
                                 Refusal.kind.in_(REFUSED_KINDS))
        .order_by(Refusal.id.desc())))


def tamper_problems(anomaly: Anomaly) -> list[dict[str, Any]]:
    if anomaly.kind is not AnomalyKind.TAMPER:
        return []
    check = db.session.get(LogCheck, anomaly.facts["check_id"])
    return [p for p in check.report.get("problems", []) if (p.get("logbook_id") or None) == anomaly.logbook_id]
