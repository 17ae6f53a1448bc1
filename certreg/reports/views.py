"""Report pages: dashboard, Article 7 data, breakdowns and trends, the entries behind any figure,
the ranked anomalies with their evidence; CSV and XLSX of each. Administrators and auditors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certreg.db import today
from certreg.logbook.models import ENTRY_KIND_LABELS
from certreg.notify.outbox import send_soon
from certreg.reports import assignments, charts, exports, queries, services, texts
from certreg.reports import entries as raw
from certreg.reports.anomalies import Anomaly, evidence_refusals, tamper_problems
from certreg.reports.figures import ANNEX_ORDER, COLUMNS, Article7Report, Breakdown, Column, Period
from certreg.reports.forms import (
    AnomalyFilterForm,
    AnomalyForm,
    AssignForm,
    BreakdownForm,
    EntriesForm,
    LogCheckForm,
    ReviewForm,
    YearForm,
)
from certreg.reports.models import ANOMALY_KIND_LABELS, AnomalyKind, ReviewState
from certreg.vocabulary import HolderKind
from certreg.web import actor, form_status, page_arg, submit

bp = Blueprint("reports", __name__)


# --- request parsing -------------------------------------------------------------------------------


def _valid(form) -> Any:
    return queries.valid(form)


def _country(form) -> str:
    return queries.country(form, current_user.country_code)


def _year(form, default: int) -> int:
    return form.year.data or default


def entries_link(country: str, period: Period, **selection: Any) -> str:
    """The page of the entries behind one figure."""
    args = raw.Selection(country, period).query_args()
    args.update({k: (v.value if hasattr(v, "value") else v) for k, v in selection.items() if v is not None})
    return url_for("reports.entries", **args)


# --- number display ------------------------------------------------------------------------------


def fmt_tonnes(value: Decimal) -> str:
    return format_decimal(value, format="#,##0.####")


def fmt_co2e(value: Decimal) -> str:
    return format_decimal(value, format="#,##0.##")


def fmt_kg(value: Decimal) -> str:
    return format_decimal(value, format="#,##0.###")


@bp.app_template_filter("tonnes")
def tonnes_filter(value: Decimal) -> str:
    return fmt_tonnes(value)


@bp.app_template_filter("co2e")
def co2e_filter(value: Decimal) -> str:
    return fmt_co2e(value)


@bp.app_template_filter("kg")
def kg_filter(value: Decimal | None) -> str:
    return "" if value is None else fmt_kg(value)


@bp.app_template_filter("plain")
def plain_filter(value: Decimal) -> str:
    return texts.plain(value)


def _page_context() -> dict[str, Any]:
    return {"column_labels": texts.COLUMN_LABELS, "columns": COLUMNS, "Column": Column,
            "kind_labels": ANOMALY_KIND_LABELS, "entry_kind_labels": ENTRY_KIND_LABELS,
            "holder_kind_labels": texts.HOLDER_KIND_LABELS, "holder_labels": texts.HOLDER_LABELS,
            "entries_link": entries_link,
            "describe": texts.describe, "explain": texts.explain, "can_review": services.can_review}


# --- dashboard -----------------------------------------------------------------------------------


def dashboard_charts(board: services.Dashboard) -> list[charts.Chart]:
    years = [y for y, report in board.trends.items() if report.rows]
    first = min(years) if years else board.year
    shown = [y for y in board.trends if y >= first]
    categories = [str(y) for y in shown]

    def per_annex(column_sets: tuple[Column, ...], unit: str, annexes: tuple[str, ...]):
        """``[(name, values, colour index), ...]``: one series per annex with figures, coloured by annex."""
        series = []
        for annex in annexes:
            values = []
            for year in shown:
                totals = {t.annex: t for t in board.trends[year].totals_by_annex()}
                total = totals.get(annex)
                value = Decimal(0)
                for column in column_sets:
                    if total is not None:
                        value += getattr(total.amount(column), unit)
                values.append(value)
            if any(values):
                series.append((_("Annex %(annex)s", annex=annex), values, ANNEX_ORDER.index(annex)))
        return series

    stacked_columns = charts.stacked_columns
    result = [
        stacked_columns("imports-by-annex", _("Imports by annex (metric tonnes)"), _("t"), categories,
                per_annex((Column.IMPORTS_NEW, Column.IMPORTS_RECOVERED), "metric_tonnes", ANNEX_ORDER), fmt_tonnes),
        stacked_columns("consumption-odp", _("Consumption of ozone-depleting substances (ODP tonnes)"),
                        _("ODP t"), categories,
                        per_annex((Column.CONSUMPTION,), "odp_tonnes", ("A", "B", "C", "E")), fmt_tonnes),
        stacked_columns("consumption-co2e", _("Consumption of HFCs, Annex F (CO2-equivalent tonnes)"),
                        _("CO2-eq t"), categories, per_annex((Column.CONSUMPTION,), "co2e_tonnes", ("F",)), fmt_co2e),
    ]
    top = sorted(board.report.rows, key=lambda r: -(r.amount(Column.IMPORTS_NEW).metric_tonnes
                                                    + r.amount(Column.IMPORTS_RECOVERED).metric_tonnes))[:10]
    items = [(r.substance.code, r.amount(Column.IMPORTS_NEW).metric_tonnes
              + r.amount(Column.IMPORTS_RECOVERED).metric_tonnes, ANNEX_ORDER.index(r.substance.annex))
             for r in top]
    items = [i for i in items if i[1]]
    by_substance = charts.horizontal_bars("imports-by-substance",
                                          _("Imports by substance in %(year)s (metric tonnes)", year=board.year),
                                          _("t"), items, fmt_tonnes)
    by_substance.legend = [(ANNEX_ORDER.index(a), _("Annex %(annex)s", annex=a))
                           for a in ANNEX_ORDER if any(ANNEX_ORDER.index(a) == i[2] for i in items)]
    result.append(by_substance)
    return result


@bp.get("/reports")
@login_required
def dashboard():
    form = _valid(YearForm(request.args))
    board = services.dashboard(actor(), _country(form), _year(form, today().year))
    return render_template("reports/dashboard.html", board=board, charts=dashboard_charts(board), form=form,
                           **_page_context())


# --- Article 7 -------------------------------------------------------------------------------------


@bp.get("/reports/article7")
@login_required
def article7():
    form = _valid(YearForm(request.args))
    year = _year(form, queries.last_year())
    report = services.article7(actor(), _country(form), Period.year(year))
    partners = services.by_partner_country(actor(), report.country_code, report.period)
    return render_template("reports/article7.html", report=report, year=year, form=form, notes=texts.notes(),
                           partners=partners, direction_labels=texts.DIRECTION_LABELS, **_page_context())


@bp.get("/reports/article7.<any(csv, xlsx):fmt>")
@login_required
def article7_export(fmt: str):
    form = _valid(YearForm(request.args))
    year = _year(form, queries.last_year())
    country = _country(form)
    report = services.article7(actor(), country, Period.year(year))
    name = queries.filename("article7", country, year)
    if fmt == "csv":
        return exports.csv_response(name, exports.article7_header(), exports.article7_rows(report))
    partners = services.by_partner_country(actor(), country, report.period)
    return exports.xlsx_response(name, exports.article7_sheets(report, texts.notes(), partners))


# --- breakdowns and trends -------------------------------------------------------------------------


def _breakdown(form: BreakdownForm) -> tuple[str, Breakdown, Period, dict[Any, Article7Report]]:
    country = _country(form)
    year = _year(form, today().year)
    by = Breakdown(form.by.data or Breakdown.MONTH.value)
    if by is Breakdown.YEAR:
        first, last = services.trend_years(year)
        reports = services.trends(actor(), country, first, last)
        return country, by, Period.years(first, last), reports
    period = Period.year(year)
    return country, by, period, services.breakdown(actor(), country, period, by)


@bp.get("/reports/breakdown")
@login_required
def breakdown():
    form = _valid(BreakdownForm(request.args))
    country, by, period, reports = _breakdown(form)
    keys = list(range(1, 13)) if by is Breakdown.MONTH else (list(HolderKind) if by is Breakdown.HOLDER_KIND
                                                              else sorted(reports))
    empty = Article7Report(country, period, [])
    return render_template("reports/breakdown.html", by=by, period=period, country=country, form=form,
                           rows=[(key, reports.get(key) or empty) for key in keys],
                           Breakdown=Breakdown, labels=texts.BREAKDOWN_LABELS, **_page_context())


@bp.get("/reports/breakdown.<any(csv, xlsx):fmt>")
@login_required
def breakdown_export(fmt: str):
    form = _valid(BreakdownForm(request.args))
    country, by, period, reports = _breakdown(form)
    name = queries.filename("article7", country, str(period), by.value)
    if fmt == "csv":
        return exports.csv_response(name, exports.breakdown_header(by.value), exports.breakdown_rows(reports))
    sheet = (by.value, exports.breakdown_header(by.value), exports.breakdown_rows(reports))
    return exports.xlsx_response(name, [sheet])


# --- entries behind a figure ---------------------------------------------------------------------


@bp.get("/reports/entries")
@login_required
def entries():
    form = _valid(EntriesForm(request.args))
    selection = queries.selection(form, current_user.country_code)
    page = services.entries_page(actor(), selection, page=page_arg())
    form.date_from.data, form.date_to.data = selection.period.date_from, selection.period.date_to
    return render_template("reports/entries.html", selection=selection, page=page, form=form,
                           query=selection.query_args(), **_page_context())


@bp.get("/reports/entries.<any(csv, xlsx):fmt>")
@login_required
def entries_export(fmt: str):
    form = _valid(EntriesForm(request.args))
    selection = queries.selection(form, current_user.country_code)
    names = raw.fields(selection)
    rows = exports.dict_rows(names, services.entry_rows(actor(), selection))
    name = queries.filename("entries", selection.country_code, str(selection.period),
                            selection.column and selection.column.value, selection.substance)
    if fmt == "csv":
        return exports.csv_response(name, names, rows)
    return exports.xlsx_response(name, [("entries", names, rows)])


# --- anomalies -------------------------------------------------------------------------------------


def _anomaly_filters(form: AnomalyFilterForm) -> tuple[str, Period, list[AnomalyKind] | None, ReviewState]:
    return queries.anomaly_filters(form, current_user.country_code)


@bp.get("/reports/anomalies")
@login_required
def anomalies():
    form = _valid(AnomalyFilterForm(request.args))
    country, period, kinds, state = _anomaly_filters(form)
    found = services.anomalies(actor(), country, period, kinds=kinds, state=state)
    form.date_from.data, form.date_to.data = period.date_from, period.date_to
    check = services.latest_check(actor(), country)
    query = {"country": country, "date_from": period.date_from.isoformat(), "date_to": period.date_to.isoformat(),
             "kind": form.kind.data or "", "state": state.value}
    return render_template("reports/anomalies.html", found=found, form=form, period=period, country=country,
                           check=check, query=query, check_form=LogCheckForm(), anomaly_link=exports.anomaly_link,
                           may_review=services.can_review(actor(), country),
                           **_page_context())


@bp.get("/reports/anomalies.<any(csv, xlsx):fmt>")
@login_required
def anomalies_export(fmt: str):
    form = _valid(AnomalyFilterForm(request.args))
    country, period, kinds, state = _anomaly_filters(form)
    found = services.anomalies(actor(), country, period, kinds=kinds, state=state)
    name = queries.filename("anomalies", country, str(period))
    if fmt == "csv":
        return exports.csv_response(name, exports.ANOMALY_FIELDS, exports.anomaly_rows(found))
    return exports.xlsx_response(name, [("anomalies", exports.ANOMALY_FIELDS, exports.anomaly_rows(found))])


def _anomaly(kind: str, logbook_id: int, form) -> Anomaly:
    try:
        anomaly_kind = AnomalyKind(kind)
    except ValueError:
        abort(404)
    period = queries.period(form, default=queries.this_year())
    return services.anomaly(actor(), _country(form), period, anomaly_kind, logbook_id, form.equipment.data)


@bp.get("/reports/anomalies/<kind>/<int:logbook_id>")
@login_required
def anomaly(kind: str, logbook_id: int):
    form = _valid(AnomalyForm(request.args))
    found = _anomaly(kind, logbook_id, form)
    return _anomaly_page(found)


def _assign_form(found: Anomaly, form: AssignForm | None = None) -> AssignForm:
    form = form or AssignForm(date_from=found.period.date_from.isoformat(),
                              date_to=found.period.date_to.isoformat(), equipment=found.equipment_id or "")
    form.assignee.choices = [(u.id, f"{u.display_name} ({u.email})")
                             for u in assignments.assignees(actor(), found.country_code)]
    return form


def _anomaly_page(found: Anomaly, review_form: ReviewForm | None = None, assign_form: AssignForm | None = None):
    me = actor()
    may_review = services.can_review(me, found.country_code)
    if review_form is None and may_review and found.review is None:
        review_form = ReviewForm(fingerprint=found.fingerprint, date_from=found.period.date_from.isoformat(),
                                 date_to=found.period.date_to.isoformat(), equipment=found.equipment_id or "")
    if may_review and found.review is None:
        assign_form = _assign_form(found, assign_form)
    forms = [f for f in (review_form, assign_form) if f is not None]
    return render_template(
        "reports/anomaly.html", anomaly=found, evidence=services.evidence_page(me, found, page=page_arg()),
        refusals=evidence_refusals(found), problems=tamper_problems(found), review_form=review_form,
        assign_form=assign_form, assignment=assignments.current(found),
        anomaly_link=exports.anomaly_link, **_page_context(),
    ), form_status(*forms)


@bp.get("/reports/anomalies/<kind>/<int:logbook_id>/evidence.<any(csv, xlsx):fmt>")
@login_required
def evidence_export(kind: str, logbook_id: int, fmt: str):
    form = _valid(AnomalyForm(request.args))
    found = _anomaly(kind, logbook_id, form)
    names = raw.ENTRY_FIELDS
    rows = exports.dict_rows(names, services.evidence_rows(actor(), found))
    name = queries.filename("evidence", found.kind.value, found.country_code,
                            found.holder.id if found.holder else "log")
    if fmt == "csv":
        return exports.csv_response(name, names, rows)
    return exports.xlsx_response(name, [("evidence", names, rows)])


@bp.post("/reports/anomalies/<kind>/<int:logbook_id>/review")
@login_required
def review(kind: str, logbook_id: int):
    form = ReviewForm()
    query = _valid(AnomalyForm(request.form, meta={"csrf": False}))
    found = _anomaly(kind, logbook_id, query)
    done = submit(form, lambda: services.review_anomaly(
        actor(), found.country_code, found.period, found.kind, logbook_id, found.equipment_id, form.fingerprint.data,
        form.note.data))
    if done:
        flash(_("Marked as reviewed."), "success")
        return redirect(exports.anomaly_link(found))
    return _anomaly_page(found, form)


@bp.post("/reports/anomalies/<kind>/<int:logbook_id>/assign")
@login_required
def assign(kind: str, logbook_id: int):
    query = _valid(AnomalyForm(request.form, meta={"csrf": False}))
    found = _anomaly(kind, logbook_id, query)
    if not services.can_review(actor(), found.country_code):
        abort(403)
    form = _assign_form(found, AssignForm())
    done = submit(form, lambda: assignments.assign(actor(), found, form.assignee.data, form.note.data))
    if done:
        send_soon([done.result[1]])
        flash(_("Assigned. They were sent an e-mail."), "success")
        return redirect(exports.anomaly_link(found))
    return _anomaly_page(found, assign_form=form)


@bp.post("/reports/log-checks")
@login_required
def log_check():
    form = LogCheckForm()
    country = current_user.country_code
    done = submit(form, lambda: services.run_log_check(actor(), country))
    if done:
        check = done.result
        if check.ok:
            flash(_("The tamper check read %(n)s entries: no problem.", n=check.entries), "success")
        else:
            flash(_("The tamper check found %(n)s problem(s): see the anomalies.",
                    n=len(check.report["problems"])), "error")
    else:
        flash(_("The form expired. Reload the page and try again."), "error")
    return redirect(url_for("reports.anomalies"))

