"""Licence pages: the register, issuing, a licence with its status and terms, the licence document (PDF).

The same service functions as the API and ``flask licences``; the country's administrators and
certifying officers issue, change and suspend or revoke; inspectors and auditors read; a company's
users see and print their own licences.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, url_for
from flask_login import current_user, login_required

from certreg.errors import InvalidState
from certreg.extensions import db
from certreg.licences import caps, documents, services
from certreg.licences.forms import EditForm, IssueForm, StatusForm
from certreg.licences.models import DIRECTION_LABELS, STATUS_LABELS, Licence
from certreg.logbook.queries import licence_used
from certreg.transactions import writes
from certreg.web import actor, form_status, submit

bp = Blueprint("licences", __name__, url_prefix="/licences")

LABELS = dict(directions=DIRECTION_LABELS, statuses=STATUS_LABELS)


@bp.get("")
@login_required
def index():
    licences = services.visible_licences(actor())
    return render_template("licences/index.html", licences=licences, **LABELS,
                           can_issue=services.can_manage(actor(), current_user.country_code))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    actor().require(services.can_manage(actor(), current_user.country_code))
    form = IssueForm()
    done = submit(form, lambda: services.issue(actor(), current_user.country_code,
                                               form.data_for(form.number.data or "")))
    if done:
        return redirect(url_for("licences.detail", licence_id=done.result.id))
    return render_template("licences/new.html", form=form), form_status(form)


def _detail(licence: Licence, status: int = 200, status_form: StatusForm | None = None):
    used = caps.used_figures(licence, caps.usage(licence_used(licence)))
    return render_template("licences/detail.html", licence=licence, used=used,
                           can_manage=services.can_manage(actor(), licence.country_code),
                           status_form=status_form or StatusForm(),
                           lines=documents.document_lines(licence), **LABELS), status


@bp.get("/<int:licence_id>")
@login_required
def detail(licence_id: int):
    return _detail(services.find(actor(), licence_id))


@bp.post("/<int:licence_id>/status")
@login_required
def change_status(licence_id: int):
    licence = services.find(actor(), licence_id)
    actor().require(services.can_manage(actor(), licence.country_code))
    form = StatusForm()
    if submit(form, lambda: services.change_status(actor(), licence, form.status.data, form.reason.data)):
        return redirect(url_for("licences.detail", licence_id=licence.id))
    db.session.refresh(licence)
    return _detail(licence, form_status(form), form)


@bp.route("/<int:licence_id>/edit", methods=["GET", "POST"])
@login_required
def edit(licence_id: int):
    licence = services.find(actor(), licence_id)
    actor().require(services.can_manage(actor(), licence.country_code))
    form = EditForm()
    if not form.is_submitted():
        form.fill(licence, licence.company.registration_number)
    done = submit(form, lambda: services.update(actor(), licence, form.data_for(licence.number), form.reason.data))
    if done:
        return redirect(url_for("licences.detail", licence_id=licence.id))
    return render_template("licences/edit.html", form=form, licence=licence), form_status(form)


@bp.get("/<int:licence_id>/document.pdf")
@login_required
@writes
def document(licence_id: int):
    """The licence document (A4) with its signed QR; signs the licence the first time."""
    licence = services.find(actor(), licence_id)
    try:
        data = documents.licence_pdf(actor(), licence)
    except InvalidState:
        db.session.rollback()
        raise
    db.session.commit()
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="licence-{licence.id}.pdf"'
    return response
