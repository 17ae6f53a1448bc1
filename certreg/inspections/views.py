"""Inspection pages (phone-first): the country's inspections, recording one and what it checked,
the decision, custody and case; a holder's outcomes; the illegal trade report download."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certreg import web
from certreg.db import today, utcnow
from certreg.errors import NotFound, ValidationFailed
from certreg.focalpoints import services as focalpoints
from certreg.forms import choices
from certreg.inspections import access, dashboard, photos, queries, records, seizures, sync, trade_report
from certreg.inspections.forms import (
    GOODS_ROWS,
    CaseForm,
    CertificateCheckForm,
    CylinderCheckForm,
    DecisionForm,
    HandoverForm,
    InspectionForm,
    PhotoForm,
    goods_lines,
    on_rows,
)
from certreg.inspections.models import (
    CASE_EVENT_LABELS,
    DECISION_LABELS,
    DISPOSAL_LABELS,
    PLACE_LABELS,
    SUBJECT_LABELS,
    VERDICT_LABELS,
)
from certreg.spreadsheets import XLSX_MIMETYPE, xlsx_bytes
from certreg.web import actor, args_str, form_status, page_arg, submit

bp = Blueprint("inspections", __name__, url_prefix="/inspections")

LABELS = dict(places=PLACE_LABELS, subjects=SUBJECT_LABELS, decisions=DECISION_LABELS, verdicts=VERDICT_LABELS,
              case_kinds=CASE_EVENT_LABELS, disposals=DISPOSAL_LABELS, goods_rows=GOODS_ROWS)


@bp.get("")
@login_required
def index():
    pagination = queries.list_inspections(actor(), current_user.country_code, page=page_arg())
    return render_template("inspections/index.html", pagination=pagination, **LABELS,
                           can_write=access.can_write(actor(), current_user.country_code),
                           can_export=trade_report.can_export(actor(), current_user.country_code))


def _inspection_form() -> InspectionForm:
    form = InspectionForm()
    posts = focalpoints.border_posts(current_user.country_code)
    form.border_post.choices = choices([("", "—"), *((p.code, f"{p.name} ({p.code})") for p in posts)])
    if request.method == "GET":
        form.started_at.data = utcnow().strftime("%Y-%m-%d %H:%M")
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Start an inspection (from the home page, or from a scan: ``?serial=`` is carried to the first check)."""
    actor().require(access.can_write(actor(), current_user.country_code))
    form = _inspection_form()
    serial = args_str("serial", max_length=64)
    done = submit(form, lambda: records.start(actor(), current_user.country_code, records.InspectionData(
        **{name: form[name].data or "" for name in records.InspectionData.__dataclass_fields__
           if name in form})))
    if done:
        return redirect(url_for("inspections.detail", inspection_id=done.result[0].id, serial=serial or None))
    return render_template("inspections/new.html", form=form, serial=serial), form_status(form)


def _forms(**given) -> dict:
    forms = {"cylinder_form": CylinderCheckForm(prefix="cyl"), "certificate_form": CertificateCheckForm(prefix="crt"),
             "photo_form": PhotoForm(prefix="photo"), "decision_form": DecisionForm(prefix="dec"),
             "handover_form": HandoverForm(prefix="hand"), "case_form": CaseForm(prefix="case")}
    forms.update(given)
    return forms


def _detail(inspection_id: int, status: int = 200, **given):
    inspection = records.get(actor(), inspection_id)
    forms = _forms(**given)
    serial = args_str("serial", max_length=64)
    if serial and request.method == "GET":
        forms["cylinder_form"].label_serial.data = serial
    if request.method == "GET" or "handover_form" not in given:
        forms["handover_form"].handed_at.data = forms["handover_form"].handed_at.data or utcnow().strftime(
            "%Y-%m-%d %H:%M")
    return render_template("inspections/detail.html", inspection=inspection, **forms, **LABELS,
                           can_write=access.can_write(actor(), inspection.country_code),
                           counterparts=queries.counterparts(inspection)), status


@bp.get("/<int:inspection_id>")
@login_required
def detail(inspection_id: int):
    return _detail(inspection_id)


def _act(inspection_id: int, name: str, form, action):
    inspection = records.get(actor(), inspection_id)
    actor().require(access.can_write(actor(), inspection.country_code))
    if submit(form, lambda: action(inspection)):
        return redirect(url_for("inspections.detail", inspection_id=inspection_id))
    return _detail(inspection_id, form_status(form), **{name: form})


@bp.post("/<int:inspection_id>/cylinders")
@login_required
def check_cylinder(inspection_id: int):
    form = CylinderCheckForm(prefix="cyl")
    return _act(inspection_id, "cylinder_form", form, lambda i: records.check_cylinder(
        actor(), i, records.CylinderCheckData(**{name: form[name].data or "" for name in
                                                 records.CylinderCheckData.__dataclass_fields__})))


def _scan_id(text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        raise ValidationFailed.for_field("scan_id", _("No check of yours with this number."), "unknown_scan")
    return int(text)


@bp.post("/<int:inspection_id>/certificates")
@login_required
def check_certificate(inspection_id: int):
    form = CertificateCheckForm(prefix="crt")
    return _act(inspection_id, "certificate_form", form, lambda i: records.check_certificate(
        actor(), i, form.client_id.data, scan_id=_scan_id(form.scan_id.data), number=form.number.data or ""))


@bp.post("/<int:inspection_id>/photos")
@login_required
def add_photo(inspection_id: int):
    form = PhotoForm(prefix="photo")
    upload = form.photo.data
    return _act(inspection_id, "photo_form", form, lambda i: photos.add_photo(
        actor(), i, form.client_id.data, upload.read() if upload else b"", form.caption.data or ""))


@bp.get("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    stored, data = photos.read_photo(actor(), photo_id)
    response = Response(data, mimetype=stored.media_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/<int:inspection_id>/decision")
@login_required
def decide(inspection_id: int):
    form = DecisionForm(prefix="dec")

    def action(inspection):
        lines = goods_lines(form)
        goods = [seizures.GoodsData(v["substance"], v["kg"], v["cylinders"] or 0, v["serials"]) for _, v in lines]
        try:
            return seizures.decide(actor(), inspection, seizures.DecisionData(
                decision=form.decision.data, note=form.note.data or "", storage_place=form.storage_place.data or "",
                goods=goods))
        except ValidationFailed as exc:  # a goods line's refusal, on the row the inspector filled
            exc.fields = on_rows(exc.fields, [row for row, _ in lines])
            raise
    return _act(inspection_id, "decision_form", form, action)


@bp.post("/<int:inspection_id>/custody")
@login_required
def hand_over(inspection_id: int):
    form = HandoverForm(prefix="hand")
    return _act(inspection_id, "handover_form", form, lambda i: seizures.hand_over(actor(), i, seizures.HandoverData(
        **{name: form[name].data or "" for name in seizures.HandoverData.__dataclass_fields__})))


@bp.post("/<int:inspection_id>/case")
@login_required
def case_event(inspection_id: int):
    form = CaseForm(prefix="case")
    return _act(inspection_id, "case_form", form, lambda i: seizures.record_case_event(actor(), i, seizures.CaseData(
        **{name: form[name].data or "" for name in seizures.CaseData.__dataclass_fields__})))


@bp.get("/dashboard")
@login_required
def figures():
    """Inspections and seizures by border post, substance and month, for the country and a period."""
    country = current_user.country_code
    actor().require(access.can_read(actor(), country))
    date_from, date_to = request.args.get("date_from"), request.args.get("date_to")
    try:
        start, end = dashboard.period(date_from, date_to, default_year=today().year)
    except ValidationFailed as exc:
        return render_template("inspections/dashboard.html", figures=None, error=exc, date_from=date_from,
                               date_to=date_to), 422
    found = dashboard.figures(actor(), country, start, end)
    return render_template("inspections/dashboard.html", figures=found, error=None, date_from=start.isoformat(),
                           date_to=end.isoformat())


@bp.get("/outcomes")
@login_required
def outcomes():
    """A holder's view: the outcome of the inspections concerning it (no officers, photos or readings)."""
    return render_template("inspections/outcomes.html", outcomes=queries.outcomes(actor()), **LABELS)


@bp.get("/illegal-trade.<fmt>")
@login_required
def illegal_trade(fmt: str):
    """The ministry's download of the country's seizures (Ozone Secretariat's illegal trade table)."""
    country = current_user.country_code
    actor().require(trade_report.can_export(actor(), country))
    name = f"illegal-trade-{country}"
    if fmt == "csv":
        return Response(trade_report.csv_text(actor(), country), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    if fmt == "xlsx":
        return Response(xlsx_bytes([("Illegal trade", trade_report.COLUMNS, trade_report.rows(actor(), country))]),
                        mimetype=XLSX_MIMETYPE, headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
    raise NotFound()


@bp.get("/offline")
@login_required
def offline():
    """The phone's offline form and queue (static/js/inspection-queue.js); kept by the service worker."""
    actor().require(access.can_write(actor(), current_user.country_code))
    return render_template("inspections/offline.html", **LABELS, labels_form=CylinderCheckForm(meta={"csrf": False}),
                           decision_form=DecisionForm(meta={"csrf": False}),
                           handover_form=HandoverForm(meta={"csrf": False}), case_form=CaseForm(meta={"csrf": False}),
                           border_posts=focalpoints.border_posts(current_user.country_code))


@bp.get("/sync/token")
@login_required
def sync_token():
    """A fresh CSRF token for the queue's sync (the page may have been opened hours ago, offline)."""
    actor().require(access.can_write(actor(), current_user.country_code))
    return web.sync_token()


@bp.put("/sync/<client_id>")
@login_required
def sync_one(client_id: str):
    """One queued inspection (see certreg.inspections.sync): 201 recorded now, 200 recorded before,
    4xx refused with ``{"error": {"code", "message", "fields"}}`` and nothing written."""
    actor().require(access.can_write(actor(), current_user.country_code))

    def record():
        inspection, created = sync.sync_inspection(actor(), current_user.country_code, client_id,
                                                   request.get_json(silent=True))
        return {"id": inspection.id, "client_id": inspection.client_id,
                "url": url_for("inspections.detail", inspection_id=inspection.id)}, created
    return web.sync_answer(record)
