"""The anomaly detectors: each one or two aggregate queries over a country's logbooks for a period (never a
loop over entries), yielding at most one :class:`~certreg.reports.anomaly_types.Anomaly` per holder (per
equipment for chronic leakers), with its facts, its explained score (:mod:`certreg.reports.scores`) and a
digest of its evidence. The ``*_where`` conditions are public: the evidence of an anomaly is read again by
the same conditions (:func:`certreg.reports.anomalies.evidence_entry_ids`)."""

from __future__ import annotations

import hashlib
import logging
import math
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from certreg.extensions import db
from certreg.logbook.equipment import leak_rates
from certreg.logbook.models import (
    USED_CONDITIONS,
    Direction,
    EntryKind,
    Equipment,
    Intervention,
    InterventionKind,
    Refusal,
    Transfer,
    TransferStatus,
)
from certreg.logbook.settings import late_entry_limits
from certreg.reports import inspection_findings as findings
from certreg.reports import scores
from certreg.reports.anomaly_types import (
    REFUSED_KINDS,
    ZERO,
    Anomaly,
    Settings,
    annex_level,
    as_kg,
    day_start,
    digest_of,
    logbook_filter,
)
from certreg.reports.exact import kg_sum
from certreg.reports.figures import ENTRIES, SUBSTANCES, Period, counted, in_period
from certreg.reports.models import AnomalyKind, LogCheck

logger = logging.getLogger(__name__)


# --- detectors ---------------------------------------------------------------------------------


def far_from_books(e: sa.Alias, settings: Settings) -> sa.ColumnElement[bool]:
    return sa.and_(e.c.quantity > settings.stock_gap_kg,
                   e.c.quantity * 100 > settings.stock_gap_percent * sa.func.coalesce(e.c.book_quantity, 0))


def mass_balance_where(e: sa.Alias, country: str, period: Period, settings: Settings) -> list:
    return [e.c.country_code == country, in_period(e, period), e.c.kind == EntryKind.STOCK_COUNT.value,
            counted(e), far_from_books(e, settings)]


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
        .where(*mass_balance_where(e, country, period, settings), *logbook_filter(e.c.logbook_id, logbook_id))
        .group_by(e.c.logbook_id)
    )
    found = []
    for row in rows:
        gross, net = as_kg(row.gross), as_kg(row.net)
        found.append(Anomaly(
            AnomalyKind.MASS_BALANCE, country, period, row.logbook_id,
            {"counts": row.n, "gross_kg": str(gross), "net_kg": str(net)},
            scores.terms(scores.base(AnomalyKind.MASS_BALANCE), scores.quantity(gross), scores.count(row.n),
                         scores.annex(row.annex)),
            digest_of(row.n, row.last, gross)))
    return found


def refused_attempts(country: str, period: Period, settings: Settings,
                     logbook_id: int | None = None) -> list[Anomaly]:
    """Refused sales, imports and exports (uncertified buyers, banned virgin CFCs, missing proof ...)."""
    r, s = Refusal.__table__, SUBSTANCES
    where = [r.c.country_code == country, r.c.at >= day_start(period.date_from),
             r.c.at < day_start(period.date_to + timedelta(days=1)),
             r.c.kind.in_([k.value for k in REFUSED_KINDS]), r.c.logbook_id.is_not(None),
             *logbook_filter(r.c.logbook_id, logbook_id)]
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
        kg = as_kg(row.kg)
        found.append(Anomaly(
            AnomalyKind.REFUSED_ATTEMPTS, country, period, row.logbook_id,
            {"attempts": row.n, "kg": str(kg), "codes": dict(sorted(codes[row.logbook_id].items()))},
            scores.terms(scores.base(AnomalyKind.REFUSED_ATTEMPTS), scores.count(row.n), scores.quantity(kg),
                         scores.annex(row.annex)),
            digest_of(row.n, row.last)))
    return found


def used_sales_where(e: sa.Alias, country: str, period: Period) -> list:
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
        .where(*used_sales_where(e, country, period), *logbook_filter(e.c.logbook_id, logbook_id),
               e.c.kind.in_([*SOLD, EntryKind.RECOVERY.value, EntryKind.IMPORT.value, EntryKind.PURCHASE.value]))
        .group_by(e.c.logbook_id, e.c.substance_code)
    )
    per_holder: dict[int, dict[str, Any]] = {}
    for row in rows:
        gap = as_kg(row.sold) - as_kg(row.sourced)
        if gap <= settings.unsourced_kg or not row.sales_in_period:
            continue
        holder = per_holder.setdefault(row.logbook_id, {"substances": {}, "gap": ZERO, "n": 0, "last": 0,
                                                        "annex": 0})
        holder["substances"][row.substance_code] = {"sold_kg": str(as_kg(row.sold)),
                                                    "sourced_kg": str(as_kg(row.sourced)), "gap_kg": str(gap)}
        holder["gap"] += gap
        holder["n"] += row.n
        holder["last"] = max(holder["last"], row.last)
        holder["annex"] = max(holder["annex"], row.annex or 0)
    return [Anomaly(
        AnomalyKind.USED_WITHOUT_SOURCE, country, period, logbook,
        {"gap_kg": str(h["gap"]), "substances": dict(sorted(h["substances"].items()))},
        scores.terms(scores.base(AnomalyKind.USED_WITHOUT_SOURCE), scores.quantity(h["gap"]), scores.annex(h["annex"])),
        digest_of(h["n"], h["last"], h["gap"])) for logbook, h in per_holder.items()]


def unconfirmed_where(t: sa.Table, e: sa.Alias, country: str, period: Period, settings: Settings) -> list:
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
        .where(*unconfirmed_where(t, e, country, period, settings),
               *logbook_filter(t.c.from_logbook_id, logbook_id))
        .group_by(t.c.from_logbook_id)
    )
    found = []
    for row in rows:
        kg, n_disputed = as_kg(row.kg), int(row.disputed or 0)
        found.append(Anomaly(
            AnomalyKind.UNCONFIRMED_TRANSFER, country, period, row.from_logbook_id,
            {"transfers": row.n, "disputed": n_disputed, "pending": row.n - n_disputed, "kg": str(kg),
             "pending_days": settings.pending_days},
            scores.terms(scores.base(AnomalyKind.UNCONFIRMED_TRANSFER), scores.quantity(kg), scores.count(row.n),
                         scores.disputed(n_disputed), scores.annex(row.annex)),
            digest_of(row.n, n_disputed, row.last, kg)))
    return found


def blank_text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return sa.or_(column.is_(None), sa.func.trim(column) == "")


def no_proof_where(e: sa.Alias, country: str, period: Period) -> list:
    return [e.c.country_code == country, in_period(e, period), e.c.kind == EntryKind.IMPORT.value, counted(e),
            sa.or_(blank_text(e.c.import_licence), blank_text(e.c.customs_declaration), blank_text(e.c.origin_country),
                   blank_text(e.c.exporter_name), e.c.origin_country == e.c.country_code)]


def imports_without_proof(country: str, period: Period, settings: Settings,
                          logbook_id: int | None = None) -> list[Anomaly]:
    """Imports lacking licence, customs declaration, country of origin or exporter (blank counts as missing),
    or "imported" from the country itself: the logbook refuses these now, older or bulk-loaded data may hold them."""
    e, s = ENTRIES.alias("e"), SUBSTANCES
    rows = db.session.execute(
        sa.select(e.c.logbook_id, sa.func.count().label("n"), sa.func.max(e.c.id).label("last"),
                  kg_sum(e.c.quantity).label("kg"), sa.func.max(annex_level(s)).label("annex"))
        .select_from(e.join(s, s.c.code == e.c.substance_code))
        .where(*no_proof_where(e, country, period), *logbook_filter(e.c.logbook_id, logbook_id))
        .group_by(e.c.logbook_id)
    )
    found = []
    for row in rows:
        kg = as_kg(row.kg)
        found.append(Anomaly(
            AnomalyKind.IMPORT_WITHOUT_PROOF, country, period, row.logbook_id, {"imports": row.n, "kg": str(kg)},
            scores.terms(scores.base(AnomalyKind.IMPORT_WITHOUT_PROOF), scores.quantity(kg), scores.count(row.n),
                         scores.annex(row.annex)),
            digest_of(row.n, row.last, kg)))
    return found


def days_late(e: sa.Alias) -> sa.ColumnElement[Any]:
    """Whole days between an entry's date and the day it was recorded (UTC), on SQLite and PostgreSQL."""
    if db.engine.dialect.name == "sqlite":
        return sa.func.julianday(sa.func.date(e.c.recorded_at)) - sa.func.julianday(e.c.operation_date)
    return sa.cast(sa.func.timezone("UTC", e.c.recorded_at), sa.Date) - e.c.operation_date


def late_where(e: sa.Alias, country: str, period: Period) -> list:
    days = late_entry_limits(country)[0]
    return [e.c.country_code == country, in_period(e, period), counted(e), e.c.counterpart_of_id.is_(None),
            days_late(e) > days]


def late_entries(country: str, period: Period, settings: Settings, logbook_id: int | None = None) -> list[Anomaly]:
    """Entries dated more than the country's late-entry days before they were recorded (they carry a reason;
    the logbook refuses them without one, and past the approval limit altogether)."""
    e, s = ENTRIES.alias("e"), SUBSTANCES
    rows = db.session.execute(
        sa.select(e.c.logbook_id, sa.func.count().label("n"), sa.func.max(e.c.id).label("last"),
                  kg_sum(e.c.quantity).label("kg"), sa.func.max(days_late(e)).label("most"),
                  sa.func.max(annex_level(s)).label("annex"))
        .select_from(e.join(s, s.c.code == e.c.substance_code))
        .where(*late_where(e, country, period), *logbook_filter(e.c.logbook_id, logbook_id))
        .group_by(e.c.logbook_id)
    )
    found = []
    for row in rows:
        kg = as_kg(row.kg)
        found.append(Anomaly(
            AnomalyKind.LATE_ENTRY, country, period, row.logbook_id,
            {"entries": row.n, "kg": str(kg), "most_days": int(row.most)},
            scores.terms(scores.base(AnomalyKind.LATE_ENTRY), scores.quantity(kg), scores.count(row.n),
                         scores.annex(row.annex)),
            digest_of(row.n, row.last, kg)))
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
               *logbook_filter(e.c.logbook_id, logbook_id))
        .group_by(e.c.logbook_id)
    )
    found = []
    for row in rows:
        now = as_kg(row.current)
        history = [as_kg(getattr(row, f"h{i}")) for i in range(len(windows))]
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
            digest_of(row.n, row.last, now, average)))
    return found


def leak_window(period: Period) -> Period:
    """12 months ending on the last day of the period (as the logbook's leak rate counts them)."""
    return Period(period.date_to - timedelta(days=364), period.date_to)


def top_up_where(e: sa.Alias, country: str, window: Period) -> list:
    i = Intervention.__table__
    installation = sa.exists().where(i.c.id == e.c.intervention_id, i.c.kind == InterventionKind.INSTALLATION.value)
    return [e.c.country_code == country, in_period(e, window), e.c.kind == EntryKind.CHARGE.value, counted(e),
            e.c.equipment_id.is_not(None), ~installation]


def chronic_leakers(country: str, period: Period, settings: Settings, logbook_id: int | None = None,
                    equipment_id: int | None = None) -> list[Anomaly]:
    """Equipment whose top-ups in the 12 months to the end of the period exceed the country's leak-rate
    threshold (a share of its nominal charge), topped up at least once in the period."""
    e, s = ENTRIES.alias("e"), SUBSTANCES
    window = leak_window(period)
    eq = Equipment.__table__
    candidates = db.session.execute(
        sa.select(e.c.equipment_id, sa.func.count().label("n"), sa.func.max(e.c.id).label("last"))
        .select_from(e.join(eq, eq.c.id == e.c.equipment_id))
        .where(*top_up_where(e, country, window), *logbook_filter(eq.c.logbook_id, logbook_id),
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
            digest_of(n, last, rate.added_kg), equipment_id=item.id))
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


def inspection_findings(country: str, period: Period, settings: Settings,
                        logbook_id: int | None = None) -> list[Anomaly]:
    """Mismatches and seizures found by inspections (certreg.reports.inspection_findings)."""
    return [Anomaly(**fields) for fields in findings.anomaly_fields(country, period, logbook_id)]


def seizures_abroad(country: str, period: Period, settings: Settings, logbook_id: int | None = None) -> list[Anomaly]:
    """Seizure alerts from peer installations (certreg.reports.inspection_findings)."""
    return [Anomaly(**fields) for fields in findings.alert_fields(country, period, logbook_id)]


DETECTORS = {
    AnomalyKind.TAMPER: tampered_logbooks,
    AnomalyKind.SEIZURE_ABROAD: seizures_abroad,
    AnomalyKind.INSPECTION_FINDING: inspection_findings,
    AnomalyKind.IMPORT_WITHOUT_PROOF: imports_without_proof,
    AnomalyKind.USED_WITHOUT_SOURCE: used_without_source,
    AnomalyKind.MASS_BALANCE: mass_balance,
    AnomalyKind.IMPORT_SURGE: import_surges,
    AnomalyKind.REFUSED_ATTEMPTS: refused_attempts,
    AnomalyKind.UNCONFIRMED_TRANSFER: unconfirmed_transfers,
    AnomalyKind.CHRONIC_LEAKER: chronic_leakers,
    AnomalyKind.LATE_ENTRY: late_entries,
}
