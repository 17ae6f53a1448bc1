"""Anomalies: who to inspect, found by grouped queries over a country's logbooks for a period.

This module ranks what the detectors find (:func:`detect`, :func:`find`) and reads an anomaly's
evidence again, by the same conditions, when someone opens it. What an anomaly is:
:mod:`certreg.reports.anomaly_types`; the detectors, one or two aggregate queries each (never a loop
over entries): :mod:`certreg.reports.detectors`.

Reversed entries and reversals never count (:func:`certreg.logbook.queries.counted`).
The thresholds are settings (``REPORTS_*``, see ``config`` and ``docs/reports.md``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from certreg.extensions import db
from certreg.logbook.models import (
    EntryKind,
    Logbook,
    Refusal,
    Transfer,
)
from certreg.registry.models import Company, Technician
from certreg.reports.anomaly_types import (  # noqa: F401 - the names callers use, from where they always were
    KIND_ORDER,
    REFUSED_KINDS,
    ZERO,
    Anomaly,
    HolderRef,
    Settings,
    day_start,
)
from certreg.reports.detectors import (  # noqa: F401 - latest_check: callers use it from here too
    DETECTORS,
    SOLD,
    late_where,
    latest_check,
    leak_window,
    mass_balance_where,
    no_proof_where,
    top_up_where,
    unconfirmed_where,
    used_sales_where,
)
from certreg.reports.figures import ENTRIES, Period, counted, in_period
from certreg.reports.models import AnomalyKind, AnomalyReview, LogCheck, ReviewState
from certreg.vocabulary import HolderKind

logger = logging.getLogger(__name__)

#: Detectors kept in rooms of their own, which add themselves here (certreg.reports.cylinder_anomalies,
#: imported by the reports' services): they build on this module, so this module does not import them.
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
        return sa.select(e.c.id).where(*mass_balance_where(e, country, period, settings), e.c.logbook_id == logbook)
    if kind is AnomalyKind.IMPORT_WITHOUT_PROOF:
        return sa.select(e.c.id).where(*no_proof_where(e, country, period), e.c.logbook_id == logbook)
    if kind is AnomalyKind.LATE_ENTRY:
        return sa.select(e.c.id).where(*late_where(e, country, period), e.c.logbook_id == logbook)
    if kind is AnomalyKind.IMPORT_SURGE:
        return sa.select(e.c.id).where(e.c.country_code == country, e.c.logbook_id == logbook, in_period(e, period),
                                       e.c.kind == EntryKind.IMPORT.value, counted(e))
    if kind is AnomalyKind.USED_WITHOUT_SOURCE:
        codes = list(anomaly.facts.get("substances", {}))
        sold_in_period = sa.and_(e.c.kind.in_(SOLD), e.c.operation_date >= period.date_from)
        unsourced_purchase = sa.and_(e.c.kind == EntryKind.PURCHASE.value, e.c.counterpart_of_id.is_(None))
        return sa.select(e.c.id).where(*used_sales_where(e, country, period), e.c.logbook_id == logbook,
                                       e.c.substance_code.in_(codes), sa.or_(sold_in_period, unsourced_purchase))
    if kind is AnomalyKind.UNCONFIRMED_TRANSFER:
        t = Transfer.__table__
        return (sa.select(e.c.id).select_from(t.join(e, e.c.id == t.c.origin_entry_id))
                .where(*unconfirmed_where(t, e, country, period, settings), t.c.from_logbook_id == logbook))
    if kind is AnomalyKind.CHRONIC_LEAKER:
        return sa.select(e.c.id).where(*top_up_where(e, country, leak_window(period)),
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
