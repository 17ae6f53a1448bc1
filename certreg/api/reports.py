"""``/api/v1/reports``: Article 7 data, anomalies and the entries behind any figure, as JSON, CSV or XLSX.

For administrators and auditors of the token's country. The format is chosen by the
``format`` parameter (``json``, ``csv``, ``xlsx``) or else by the ``Accept`` header.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _

from certreg.api import bp
from certreg.api.common import api_actor, done, json_body, output_format, page_args
from certreg.errors import NotFound, ValidationFailed
from certreg.notify.outbox import send_soon
from certreg.reports import assignments, exports, queries, services, texts
from certreg.reports import entries as raw
from certreg.reports.anomalies import Anomaly
from certreg.reports.figures import Breakdown, Period
from certreg.reports.forms import AnomalyFilterForm, AnomalyForm, BreakdownForm, EntriesForm, YearForm
from certreg.reports.models import AnomalyAssignment, AnomalyKind


def _form(form_cls):
    return queries.valid(form_cls(request.args, meta={"csrf": False}))


@bp.get("/reports/article7")
def report_article7():
    actor = api_actor()
    form = _form(YearForm)
    fmt = output_format()
    country = queries.country(form, actor.country_code)
    year = form.year.data or queries.last_year()
    report = services.article7(actor, country, Period.year(year))
    name = queries.filename("article7", country, year)
    if fmt == "csv":
        return exports.csv_response(name, exports.article7_header(), exports.article7_rows(report))
    partners = services.by_partner_country(actor, country, report.period)
    if fmt == "xlsx":
        return exports.xlsx_response(name, exports.article7_sheets(report, texts.notes(), partners))
    return done({"year": year, **exports.article7_json(report, texts.notes(), partners)})


@bp.get("/reports/breakdown")
def report_breakdown():
    """The Article 7 figures per month, per holder kind, per partner country (imports by exporting country,
    exports by country of destination) of a year, or per year over the ten years up to it."""
    actor = api_actor()
    form = _form(BreakdownForm)
    fmt = output_format()
    country = queries.country(form, actor.country_code)
    year = form.year.data or queries.last_year()
    by = Breakdown(form.by.data or Breakdown.MONTH.value)
    if by is Breakdown.YEAR:
        first, last = services.trend_years(year)
        period, reports = Period.years(first, last), services.trends(actor, country, first, last)
    else:
        period = Period.year(year)
        reports = services.breakdown(actor, country, period, by)
    name = queries.filename("article7", country, str(period), by.value)
    if fmt == "csv":
        return exports.csv_response(name, exports.breakdown_header(by.value), exports.breakdown_rows(reports))
    if fmt == "xlsx":
        return exports.xlsx_response(name, [(by.value, exports.breakdown_header(by.value),
                                             exports.breakdown_rows(reports))])
    items = []
    for key in sorted(reports):
        document = exports.article7_json(reports[key], ())
        items.append({"key": key if isinstance(key, int) else exports.json_value(key),
                      "rows": document["rows"], "total": document["total"]})
    return done({"country": country, "by": by.value,
                 "period": {"from": period.date_from.isoformat(), "to": period.date_to.isoformat()},
                 "items": items})


def assignment_json(row: AnomalyAssignment | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"assignee_id": row.assignee_user_id, "assignee": row.assignee.display_name,
            "assigned_at": row.assigned_at.isoformat(), "assigned_by": row.assigned_by_label, "note": row.note}


def anomaly_json(rank: int, a: Anomaly, assigned: dict | None = None) -> dict[str, Any]:
    review = a.review
    return {
        "rank": rank,
        "score": str(a.score),
        "kind": a.kind.value,
        "holder": None if a.holder is None else {"kind": a.holder.kind.value, "id": a.holder.id, "name": a.holder.name,
                                                 "registration": a.holder.registration},
        "logbook_id": a.logbook_id,
        "equipment_id": a.equipment_id,
        "summary": texts.describe(a),
        "score_terms": [{**t.as_dict(), "text": texts.explain(t, a.kind)} for t in a.terms],
        "facts": a.facts,
        "fingerprint": a.fingerprint,
        "review": None if review is None else {"reviewed_at": review.reviewed_at.isoformat(),
                                               "reviewed_by": review.reviewed_by_label, "note": review.note},
        "assignment": assignment_json((assigned or {}).get(assignments.subject(a))),
        "evidence_url": exports.anomaly_link(a, external=True),
    }


@bp.get("/reports/anomalies")
def report_anomalies():
    actor = api_actor()
    form = _form(AnomalyFilterForm)
    fmt = output_format()
    country, period, kinds, state = queries.anomaly_filters(form, actor.country_code)
    found = services.anomalies(actor, country, period, kinds=kinds, state=state)
    assigned = assignments.current_in(country)
    if fmt in ("csv", "xlsx"):
        name = queries.filename("anomalies", country, str(period))
        if fmt == "csv":
            return exports.csv_response(name, exports.ANOMALY_FIELDS, exports.anomaly_rows(found))
        return exports.xlsx_response(name, [("anomalies", exports.ANOMALY_FIELDS, exports.anomaly_rows(found))])
    return done({"country": country, "period": {"from": period.date_from.isoformat(), "to": period.date_to.isoformat()},
                 "state": state.value,
                 "items": [anomaly_json(i, a, assigned) for i, a in enumerate(found, 1)]})


@bp.post("/reports/anomalies/<kind>/<int:logbook_id>/assign")
def assign_anomaly(kind: str, logbook_id: int):
    actor = api_actor()
    form = _form(AnomalyForm)
    try:
        anomaly_kind = AnomalyKind(kind)
    except ValueError:
        raise NotFound(code="no_such_anomaly") from None
    found = services.anomaly(actor, queries.country(form, actor.country_code),
                             queries.period(form, default=queries.this_year()), anomaly_kind, logbook_id,
                             form.equipment.data)
    body = json_body()
    assignee, note = body.get("assignee_id"), body.get("note", "")
    if not isinstance(assignee, int) or isinstance(assignee, bool):
        raise ValidationFailed.for_field("assignee_id", _("Give the user's id, a whole number."), "invalid_type")
    if not isinstance(note, str):
        raise ValidationFailed.for_field("note", _("Enter text."), "invalid_type")
    row, notice = assignments.assign(actor, found, assignee, note)
    response = done(assignment_json(row), 201)
    send_soon([notice], response)
    return response


def entry_json(names: list[str], row: dict[str, Any]) -> dict[str, Any]:
    return {name: exports.json_value(row.get(name)) for name in names}


@bp.get("/reports/entries")
def report_entries():
    actor = api_actor()
    form = _form(EntriesForm)
    fmt = output_format()
    selection = queries.selection(form, actor.country_code)
    names = raw.fields(selection)
    if fmt in ("csv", "xlsx"):
        rows = exports.dict_rows(names, services.entry_rows(actor, selection))
        name = queries.filename("entries", selection.country_code, str(selection.period))
        if fmt == "csv":
            return exports.csv_response(name, names, rows)
        return exports.xlsx_response(name, [("entries", names, rows)])
    page, per_page = page_args()
    result = services.entries_page(actor, selection, page=page, per_page=per_page)
    return done({"selection": selection.query_args(), "fields": names,
                 "items": [entry_json(names, r) for r in result.items],
                 "page": result.page, "per_page": result.per_page, "total": result.total, "pages": result.pages})
