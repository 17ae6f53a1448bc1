"""Anomalies of the cylinder register, ranked in the ministry's list with the logbook ones.

* ``closed_cylinder_scanned``: a genuine label scanned (``/c/``, by an inspector or anyone) after
  the register last said its cylinder was empty or destroyed: the label is on a cylinder in
  circulation that should be empty or gone (a disposable cylinder refilled with smuggled gas, a
  label moved to another cylinder).
* ``non_refillable_refill``: refused attempts to refill a non-refillable cylinder (code
  ``non_refillable_refill``, :mod:`certreg.cylinders.refusals`).
* ``cylinder_idle``: cylinders sold or handed over (custody moved) and, for at least
  ``REPORTS_CYLINDER_IDLE_MONTHS`` months since, never charged from, returned, recovered into,
  reclaimed, destroyed, moved on or scanned, while the register says they still hold gas.
* ``custody_gap``: a holder's stock count misses cylinders it holds. The count is the holder's
  latest (not reversed) logbook ``stock_count`` entry of a substance in the period. Stock counts
  may name the cylinders counted (``logbook_entry_cylinders``, as every entry may), so:

  - a count that names cylinders: the register's cylinders of that substance in the holder's
    custody with gas in them (in stock or with the technician, net kg > 0) that the count does not
    name (by national serial, GRAI or stamp number) are missing from it;
  - a count that names none: every such cylinder is missing when their kilograms together
    exceed the kilograms counted (the count cannot hold what the cylinders hold).

  Only cylinders registered before the count and not handed over since are compared (the
  register's custody now is then its custody at the count).

Each is grouped by the cylinder's custodian (the holder whose logbook the anomaly is filed
under; none when the holder has no logbook yet), one aggregate query each. The evidence is in
the facts (the serials, at most :data:`MAX_SERIALS`).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from certreg.cylinders import numbers
from certreg.cylinders.models import (
    Cylinder,
    CylinderEvent,
    CylinderRefusal,
    CylinderScan,
    CylinderStatus,
    EventKind,
)
from certreg.extensions import db
from certreg.logbook.models import Entry, EntryCylinder, EntryKind, Logbook
from certreg.reports import anomalies, scores
from certreg.reports.anomaly_types import Anomaly, Settings, annex_level, day_start
from certreg.reports.figures import SUBSTANCES, Period
from certreg.reports.models import AnomalyKind

MAX_SERIALS = 10
DAYS_PER_MONTH = 30
#: Events that show a sold cylinder is in use (or gone): anything after the sale but another sale.
ACTIVITY = (EventKind.CHARGE, EventKind.RETURN, EventKind.RECOVERY, EventKind.RECLAIM, EventKind.DESTROY,
            EventKind.FILL, EventKind.TRANSFER)


def _period_bounds(period: Period, settings: Settings):
    return day_start(period.date_from), min(day_start(period.date_to + timedelta(days=1)), settings.now)


def _logbooks(custodians: set[tuple[int | None, int | None]]) -> dict[tuple[int | None, int | None], int]:
    """(company id, technician id) of a custodian -> its logbook's id, where it has one."""
    companies = {c for c, _t in custodians if c}
    technicians = {t for _c, t in custodians if t}
    lb = Logbook.__table__
    rows = db.session.execute(sa.select(lb.c.id, lb.c.company_id, lb.c.technician_id).where(
        sa.or_(lb.c.company_id.in_(companies), lb.c.technician_id.in_(technicians))))
    return {(company, technician): logbook for logbook, company, technician in rows}


def _group(rows, kind: AnomalyKind, country: str, period: Period, logbook_id: int | None,
           facts_of, terms_of) -> list[Anomaly]:
    """One anomaly per custodian from ``rows`` (each with custodian_company_id, custodian_technician_id)."""
    by_holder: dict[tuple[int | None, int | None], list] = defaultdict(list)
    for row in rows:
        by_holder[(row.custodian_company_id, row.custodian_technician_id)].append(row)
    logbooks = _logbooks(set(by_holder))
    found = []
    for holder, items in by_holder.items():
        logbook = logbooks.get(holder)
        if logbook_id is not None and (logbook or 0) != logbook_id:
            continue
        facts = facts_of(items)
        digest = ":".join([str(len(items)), str(max(r.digest_id for r in items)), *facts["serials"][:1]])
        found.append(Anomaly(kind, country, period, logbook, facts, terms_of(items), digest))
    return found


def _serials(items) -> list[str]:
    return sorted({r.serial for r in items})[:MAX_SERIALS]


def closed_cylinders_scanned(country: str, period: Period, settings: Settings,
                             logbook_id: int | None = None) -> list[Anomaly]:
    c, s, e = Cylinder.__table__, CylinderScan.__table__, CylinderEvent.__table__
    start, end = _period_bounds(period, settings)
    last_event = sa.select(sa.func.max(e.c.at)).where(e.c.cylinder_id == c.c.id).scalar_subquery()
    rows = db.session.execute(
        sa.select(c.c.serial, c.c.status, c.c.custodian_company_id, c.c.custodian_technician_id,
                  s.c.id.label("digest_id"), s.c.inspector_user_id)
        .select_from(s.join(c, c.c.id == s.c.cylinder_id))
        .where(c.c.country_code == country, s.c.verdict == "genuine", s.c.at >= start, s.c.at < end,
               c.c.status.in_([CylinderStatus.EMPTY.value, CylinderStatus.DESTROYED.value]),
               s.c.at > last_event)).all()
    kind = AnomalyKind.CLOSED_CYLINDER_SCANNED

    def facts(items) -> dict[str, Any]:
        return {"scans": len(items), "cylinders": len({r.serial for r in items}), "serials": _serials(items),
                "destroyed": len({r.serial for r in items if r.status == CylinderStatus.DESTROYED.value}),
                "by_inspectors": sum(1 for r in items if r.inspector_user_id)}

    def terms(items) -> list[scores.Term]:
        return scores.terms(scores.base(kind), scores.count(len(items)))

    return _group(rows, kind, country, period, logbook_id, facts, terms)


def non_refillable_refills(country: str, period: Period, settings: Settings,
                           logbook_id: int | None = None) -> list[Anomaly]:
    c, r = Cylinder.__table__, CylinderRefusal.__table__
    start, end = _period_bounds(period, settings)
    sub = SUBSTANCES
    rows = db.session.execute(
        sa.select(c.c.serial, c.c.custodian_company_id, c.c.custodian_technician_id, r.c.id.label("digest_id"),
                  r.c.details, annex_level(sub).label("annex"))
        .select_from(r.join(c, c.c.id == r.c.cylinder_id).outerjoin(sub, sub.c.code == c.c.substance_code))
        .where(r.c.country_code == country, r.c.code == "non_refillable_refill", r.c.at >= start, r.c.at < end)
    ).all()
    kind = AnomalyKind.NON_REFILLABLE_REFILL

    def kg(items) -> Decimal:
        return sum((Decimal(str((i.details or {}).get("net_kg") or 0)) for i in items), Decimal("0"))

    def facts(items) -> dict[str, Any]:
        return {"attempts": len(items), "cylinders": len({i.serial for i in items}), "serials": _serials(items),
                "kg": str(kg(items))}

    def terms(items) -> list[scores.Term]:
        return scores.terms(scores.base(kind), scores.count(len(items)), scores.quantity(kg(items)),
                            scores.annex(max((i.annex or 0) for i in items)))

    return _group(rows, kind, country, period, logbook_id, facts, terms)


def idle_cylinders(country: str, period: Period, settings: Settings, logbook_id: int | None = None) -> list[Anomaly]:
    months = int(current_app.config["REPORTS_CYLINDER_IDLE_MONTHS"])
    c, e, s = Cylinder.__table__, CylinderEvent.__table__, CylinderScan.__table__
    _start, end = _period_bounds(period, settings)
    cutoff = end - timedelta(days=months * DAYS_PER_MONTH)
    sale = e.alias("sale")
    later = e.alias("later")
    last_sale = (sa.select(sa.func.max(sale.c.id)).where(sale.c.cylinder_id == c.c.id,
                                                        sale.c.kind == EventKind.TRANSFER.value)
                 .scalar_subquery())
    active_since = sa.exists().where(later.c.cylinder_id == c.c.id, later.c.id > e.c.id,
                                     later.c.kind.in_([k.value for k in ACTIVITY]))
    scanned_since = sa.exists().where(s.c.cylinder_id == c.c.id, s.c.at > e.c.at)
    sub = SUBSTANCES
    rows = db.session.execute(
        sa.select(c.c.serial, c.c.net_kg, c.c.custodian_company_id, c.c.custodian_technician_id,
                  e.c.id.label("digest_id"), e.c.at, annex_level(sub).label("annex"))
        .select_from(c.join(e, e.c.id == last_sale).outerjoin(sub, sub.c.code == c.c.substance_code))
        .where(c.c.country_code == country, c.c.net_kg > 0, e.c.at < cutoff,
               c.c.status.in_([CylinderStatus.IN_STOCK.value, CylinderStatus.WITH_TECHNICIAN.value]),
               ~active_since, ~scanned_since)).all()
    kind = AnomalyKind.CYLINDER_IDLE

    def kg(items) -> Decimal:
        return sum((Decimal(i.net_kg) for i in items), Decimal("0"))

    def facts(items) -> dict[str, Any]:
        return {"cylinders": len(items), "serials": _serials(items), "kg": str(kg(items)), "months": months,
                "oldest": min(i.at for i in items).date().isoformat()}

    def terms(items) -> list[scores.Term]:
        return scores.terms(scores.base(kind), scores.count(len(items)), scores.quantity(kg(items)),
                            scores.annex(max((i.annex or 0) for i in items)))

    return _group(rows, kind, country, period, logbook_id, facts, terms)


def _latest_counts(country: str, period: Period, end) -> list:
    """The latest stock count (not reversed) of each holder and substance in the period."""
    en, lb = Entry.__table__, Logbook.__table__
    reversal = en.alias("reversal")
    rows = db.session.execute(
        sa.select(en.c.id, en.c.logbook_id, en.c.substance_code, en.c.counted_quantity, en.c.recorded_at,
                  lb.c.company_id, lb.c.technician_id)
        .select_from(en.join(lb, lb.c.id == en.c.logbook_id))
        .where(en.c.country_code == country, en.c.kind == EntryKind.STOCK_COUNT.value,
               en.c.operation_date >= period.date_from, en.c.operation_date <= period.date_to,
               en.c.recorded_at < end, ~sa.exists().where(reversal.c.reverses_id == en.c.id))
        .order_by(en.c.id)).all()
    latest = {(r.logbook_id, r.substance_code): r for r in rows}
    return list(latest.values())


def _keys(text: str) -> set[str]:
    keys = {text.strip()}
    with contextlib.suppress(ValueError):
        keys.add(numbers.parse_serial(text))
    return keys


def custody_gaps(country: str, period: Period, settings: Settings, logbook_id: int | None = None) -> list[Anomaly]:
    c, e, ec = Cylinder.__table__, CylinderEvent.__table__, EntryCylinder.__table__
    _start, end = _period_bounds(period, settings)
    kind = AnomalyKind.CUSTODY_GAP
    found = []
    for count in _latest_counts(country, period, end):
        if logbook_id is not None and count.logbook_id != logbook_id:
            continue
        custodian = (c.c.custodian_company_id == count.company_id if count.company_id
                     else c.c.custodian_technician_id == count.technician_id)
        handed_over_since = sa.exists().where(e.c.cylinder_id == c.c.id, e.c.kind == EventKind.TRANSFER.value,
                                              e.c.at > count.recorded_at)
        held = db.session.execute(
            sa.select(c.c.serial, c.c.grai, c.c.stamp_number, c.c.net_kg)
            .where(c.c.country_code == country, custodian, c.c.substance_code == count.substance_code,
                   c.c.net_kg > 0, c.c.needs_registration.is_(False), c.c.created_at <= count.recorded_at,
                   c.c.status.in_([CylinderStatus.IN_STOCK.value, CylinderStatus.WITH_TECHNICIAN.value]),
                   ~handed_over_since).order_by(c.c.id)).all()
        named: set[str] = set()
        for (text,) in db.session.execute(sa.select(ec.c.serial).where(ec.c.entry_id == count.id)):
            named |= _keys(text)
        held_kg = sum((Decimal(h.net_kg) for h in held), Decimal("0"))
        counted = Decimal(count.counted_quantity or 0)
        if named:
            missing = [h for h in held if not ({h.serial, h.grai, h.stamp_number} & named)]
        else:
            missing = list(held) if held_kg > counted else []
        if not missing:
            continue
        kg = sum((Decimal(h.net_kg) for h in missing), Decimal("0"))
        serials = sorted(h.serial or h.grai or h.stamp_number or "?" for h in missing)[:MAX_SERIALS]
        facts = {"cylinders": len(missing), "serials": serials, "kg": str(kg), "substance": count.substance_code,
                 "counted_kg": str(counted), "held_kg": str(held_kg), "named": bool(named),
                 "count_entry_id": count.id}
        terms = scores.terms(scores.base(kind), scores.count(len(missing)), scores.quantity(kg))
        digest = ":".join([str(count.id), str(len(missing)), *serials[:1]])
        found.append(Anomaly(kind, country, period, count.logbook_id, facts, terms, digest))
    return found


DETECTORS = {
    AnomalyKind.CLOSED_CYLINDER_SCANNED: closed_cylinders_scanned,
    AnomalyKind.NON_REFILLABLE_REFILL: non_refillable_refills,
    AnomalyKind.CYLINDER_IDLE: idle_cylinders,
    AnomalyKind.CUSTODY_GAP: custody_gaps,
}
anomalies.MORE_DETECTORS.update(DETECTORS)


def describe(anomaly: Anomaly) -> str:
    """One sentence saying what was found (certreg.reports.texts.describe)."""
    f = anomaly.facts
    serials = ", ".join(f["serials"])
    if anomaly.kind is AnomalyKind.CLOSED_CYLINDER_SCANNED:
        return _("%(scans)s scan(s) of the labels of %(n)s cylinder(s) the register says are empty or destroyed, "
                 "after that was recorded: %(serials)s.", scans=f["scans"], n=f["cylinders"], serials=serials)
    if anomaly.kind is AnomalyKind.NON_REFILLABLE_REFILL:
        return _("%(n)s refused attempt(s) to refill %(cylinders)s non-refillable cylinder(s), %(kg)s kg: "
                 "%(serials)s.", n=f["attempts"], cylinders=f["cylinders"], kg=_plain(f["kg"]), serials=serials)
    if anomaly.kind is AnomalyKind.CUSTODY_GAP:
        if f["named"]:
            return _("The stock count of %(substance)s does not list %(n)s cylinder(s) holding %(kg)s kg that the "
                     "register says the holder has: %(serials)s.", substance=f["substance"], n=f["cylinders"],
                     kg=_plain(f["kg"]), serials=serials)
        return _("The stock count of %(substance)s found %(counted)s kg, but the holder's %(n)s registered "
                 "cylinder(s) hold %(kg)s kg: %(serials)s.", substance=f["substance"], counted=_plain(f["counted_kg"]),
                 n=f["cylinders"], kg=_plain(f["kg"]), serials=serials)
    return _("%(n)s cylinder(s) holding %(kg)s kg sold or handed over more than %(months)s months ago (the first "
             "on %(date)s) and never charged from, returned or scanned since: %(serials)s.", n=f["cylinders"],
             kg=_plain(f["kg"]), months=f["months"], date=f["oldest"], serials=serials)


def _plain(text: str) -> str:
    value = Decimal(text)
    return format(value.normalize(), "f") if value else "0"
