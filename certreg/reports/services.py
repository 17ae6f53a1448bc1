"""Reports for the national ozone unit: who may read what, and the few things reports change.

Administrators and auditors read everything of their own country (figures, entries,
anomalies, the tamper-check results); nobody reads another country's. Auditors change
nothing. Administrators mark anomalies as reviewed (with a note, audited) and run the
tamper check. The command line (:meth:`Actor.system`) may do everything for any country.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.certificates import queries as certificate_queries
from certreg.errors import Conflict, Forbidden, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.logbook import verify
from certreg.logbook.models import EntryKind, Refusal
from certreg.reports import anomalies as detection
from certreg.reports import (
    cylinder_anomalies,  # noqa: F401 - adds the cylinder kinds to the detectors
    figures,
)
from certreg.reports import entries as raw
from certreg.reports.figures import ENTRIES, Article7Report, Breakdown, Period
from certreg.reports.models import AnomalyKind, AnomalyReview, LogCheck, ReviewState
from certreg.vocabulary import Role

logger = logging.getLogger(__name__)

_BALANCE_LOGBOOK = re.compile(r"logbook (\d+):")
READERS = (Role.ADMIN, Role.AUDITOR)
REVIEWERS = (Role.ADMIN,)
MAX_NOTE = 2000
TREND_YEARS = 10


# --- permissions ------------------------------------------------------------------------------


def can_read(actor: Actor, country_code: str | None) -> bool:
    return actor.is_system or actor.in_country(country_code, *READERS)


def can_review(actor: Actor, country_code: str | None) -> bool:
    return actor.is_system or actor.in_country(country_code, *REVIEWERS)


def require_read(actor: Actor, country_code: str) -> None:
    """:raise Forbidden: not an administrator or auditor of ``country_code``."""
    if not can_read(actor, country_code):
        raise Forbidden()


# --- figures -------------------------------------------------------------------------------------


def article7(actor: Actor, country_code: str, period: Period) -> Article7Report:
    require_read(actor, country_code)
    return figures.article7(country_code, period)


def breakdown(actor: Actor, country_code: str, period: Period, by: Breakdown) -> dict[Any, Article7Report]:
    require_read(actor, country_code)
    return figures.breakdown(country_code, period, by)


def by_partner_country(actor: Actor, country_code: str, period: Period) -> list[figures.PartnerRow]:
    """Imports by exporting country and exports by country of destination (Article 7 data forms 2 and 3)."""
    require_read(actor, country_code)
    return figures.by_partner_country(country_code, period)


def trend_years(year: int) -> tuple[int, int]:
    return year - TREND_YEARS + 1, year


def trends(actor: Actor, country_code: str, first_year: int, last_year: int) -> dict[int, Article7Report]:
    """Per year from ``first_year`` to ``last_year`` (every year present, empty ones too)."""
    require_read(actor, country_code)
    found = figures.breakdown(country_code, Period.years(first_year, last_year), Breakdown.YEAR)
    return {year: found.get(year) or Article7Report(country_code, Period.year(year), [])
            for year in range(first_year, last_year + 1)}


def entries_page(actor: Actor, selection: raw.Selection, *, page: int = 1, per_page: int = 50) -> raw.Page:
    require_read(actor, selection.country_code)
    return raw.page(selection, page=page, per_page=per_page)


def entry_rows(actor: Actor, selection: raw.Selection) -> Iterator[dict[str, Any]]:
    """The selection's rows, streamed. Permission is checked now, not when the first row is read."""
    require_read(actor, selection.country_code)
    return raw.stream(selection)


# --- anomalies ---------------------------------------------------------------------------------


def anomalies(actor: Actor, country_code: str, period: Period, *, kinds: list[AnomalyKind] | None = None,
              state: ReviewState = ReviewState.OPEN) -> list[detection.Anomaly]:
    """The country's anomalies for the period, ranked by score (open ones unless ``state`` says otherwise)."""
    require_read(actor, country_code)
    return detection.detect(country_code, period, kinds=kinds, state=state)


def anomaly(actor: Actor, country_code: str, period: Period, kind: AnomalyKind, logbook_id: int,
            equipment_id: int | None = None) -> detection.Anomaly:
    """:raise NotFound: no such anomaly in the period (any more)."""
    require_read(actor, country_code)
    found = detection.find(country_code, period, kind, logbook_id, equipment_id)
    if found is None:
        raise NotFound(code="no_such_anomaly")
    return found


def evidence_rows(actor: Actor, found: detection.Anomaly) -> Iterator[dict[str, Any]]:
    """The entries behind an anomaly, streamed in log order."""
    require_read(actor, found.country_code)
    ids = detection.evidence_entry_ids(found)
    if ids is None:
        return iter(())
    return raw.stream(raw.Selection(found.country_code, Period(date.min, date.max), among=ids))


def evidence_page(actor: Actor, found: detection.Anomaly, *, page: int = 1, per_page: int = 100) -> raw.Page | None:
    require_read(actor, found.country_code)
    ids = detection.evidence_entry_ids(found)
    if ids is None:
        return None
    return raw.page(raw.Selection(found.country_code, Period(date.min, date.max), among=ids), page=page,
                    per_page=per_page)


def review_anomaly(actor: Actor, country_code: str, period: Period, kind: AnomalyKind, logbook_id: int,
                   equipment_id: int | None, fingerprint: str, note: str) -> AnomalyReview:
    """Mark an anomaly as reviewed, with a note (administrators; audited as ``anomaly.review``).

    :raise Forbidden: not an administrator of the country (auditors change nothing).
    :raise ValidationFailed: ``note_required``, ``too_long``.
    :raise Conflict: ``evidence_changed`` (the anomaly's evidence is not what the reviewer saw),
        ``already_reviewed``.
    """
    if not can_review(actor, country_code):
        require_read(actor, country_code)
        raise Forbidden()
    note = (note or "").strip()
    if not note:
        raise ValidationFailed.for_field("note", _("Write what you found or decided."), "note_required")
    if len(note) > MAX_NOTE:
        raise ValidationFailed.for_field("note", _("At most %(n)s characters.", n=MAX_NOTE), "too_long")
    found = anomaly(actor, country_code, period, kind, logbook_id, equipment_id)
    if found.fingerprint != fingerprint:
        raise Conflict(_("New evidence arrived since the page was loaded: look at it again before marking it "
                          "reviewed."), code="evidence_changed")
    if found.review is not None:
        raise Conflict(_("This anomaly was already reviewed."), code="already_reviewed")
    review = AnomalyReview(
        country_code=country_code, kind=kind, logbook_id=found.logbook_id, equipment_id=found.equipment_id,
        fingerprint=found.fingerprint, period_from=period.date_from, period_to=period.date_to, score=found.score,
        facts={"facts": found.facts, "terms": [t.as_dict() for t in found.terms]}, note=note,
        reviewed_by_user_id=actor.user_id, reviewed_by_label=actor.label,
    )
    db.session.add(review)
    db.session.flush()
    holder = found.holder.name if found.holder else country_code
    audit.record(actor, "anomaly.review", review, country_code=country_code,
                 summary=audit.msg("Reviewed %(kind)s anomaly of %(holder)s (%(period)s)",
                                   kind=kind.value, holder=holder, period=period),
                 after={"kind": kind.value, "logbook_id": found.logbook_id, "equipment_id": found.equipment_id,
                        "score": found.score, "fingerprint": found.fingerprint, "period": str(period)},
                 reason=note)
    logger.info("anomaly %s of logbook %s reviewed by %s", kind.value, found.logbook_id, actor.label)
    return review


# --- tamper checks -------------------------------------------------------------------------------


def run_log_check(actor: Actor, country_code: str) -> LogCheck:
    """Verify the country's log (:func:`certreg.logbook.verify.verify_log`) and keep the result.

    Administrators of the country and the command line; every entry is read and hashed, so
    large logs take a while (run it nightly with ``flask reports check-logs``).
    """
    if not can_review(actor, country_code):
        require_read(actor, country_code)
        raise Forbidden()

    result = verify.verify_log(country_code).as_dict()
    named = {p["entry_id"] for p in result["problems"] if p.get("entry_id")}
    logbooks = dict(db.session.execute(sa.select(ENTRIES.c.id, ENTRIES.c.logbook_id)
                                       .where(ENTRIES.c.id.in_(named))).all()) if named else {}
    for problem in result["problems"]:
        problem["logbook_id"] = logbooks.get(problem.get("entry_id"))
        if problem["logbook_id"] is None and problem["code"] == "balance_mismatch":
            # verify names the logbook of a balance only in its message: "logbook 12: ..."
            match = _BALANCE_LOGBOOK.match(problem["message"])
            problem["logbook_id"] = int(match.group(1)) if match else None
    check = LogCheck(country_code=country_code, entries=result["entries"], ok=result["ok"], report=result,
                     checked_by_label=actor.label)
    db.session.add(check)
    db.session.flush()
    logger.info("tamper check of %s by %s: %s, %s entries", country_code, actor.label,
                "ok" if check.ok else f"{len(result['problems'])} problem(s)", check.entries)
    return check


def latest_check(actor: Actor, country_code: str) -> LogCheck | None:
    require_read(actor, country_code)
    return detection.latest_check(country_code)


# --- dashboard -------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    country_code: str
    year: int
    report: Article7Report
    trends: dict[int, Article7Report]
    certificates: dict[str, int]
    expiring: list[Any]
    refused_sales: int
    open_anomalies: int
    anomalies_by_kind: dict[AnomalyKind, int] = field(default_factory=dict)


def refused_count(country_code: str, period: Period, kind: EntryKind = EntryKind.SALE) -> int:
    start, end = detection.day_start(period.date_from), detection.day_start(period.date_to + timedelta(days=1))
    return db.session.scalar(sa.select(sa.func.count()).select_from(Refusal).where(
        Refusal.country_code == country_code, Refusal.kind == kind, Refusal.at >= start, Refusal.at < end)) or 0


def certificate_counts(actor: Actor, country_code: str) -> tuple[dict[str, int], list[Any]]:
    """Certificates by state (through the certificates feature's own lists) and those expiring soon."""
    days = current_app.config["CERTIFICATE_EXPIRING_DAYS"]
    counts = {}
    for name in ("current", "expiring", "suspended", "revoked", "expired"):
        counts[name] = certificate_queries.list_certificates(actor, country_code, list_filter=name, days=days,
                                                      per_page=1).total
    return counts, certificate_queries.expiring(days, country_code)[:10]


def dashboard(actor: Actor, country_code: str, year: int) -> Dashboard:
    require_read(actor, country_code)
    period = Period.year(year)
    first, last = trend_years(year)
    found = detection.detect(country_code, period, state=ReviewState.OPEN)
    by_kind: dict[AnomalyKind, int] = {}
    for item in found:
        by_kind[item.kind] = by_kind.get(item.kind, 0) + 1
    counts, expiring = certificate_counts(actor, country_code)
    return Dashboard(
        country_code=country_code, year=year, report=figures.article7(country_code, period),
        trends=trends(actor, country_code, first, last), certificates=counts, expiring=expiring,
        refused_sales=refused_count(country_code, period), open_anomalies=len(found), anomalies_by_kind=by_kind,
    )



