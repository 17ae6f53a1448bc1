"""Shipment pages: the list, announcing a shipment, the border check (one phone-friendly screen for customs)
with the decision, the importer's receipt; iPIC questions and answers."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from certreg.logbook.models import Channel
from certreg.shipments import border, expected, ipic
from certreg.shipments.forms import DecisionForm, IpicForm, ReceiptForm, ShipmentForm, shipment_data
from certreg.shipments.models import (
    ANSWER_LABELS,
    GOODS_LABELS,
    RECEIPT_LABELS,
    STATUS_LABELS,
    TRANSPORT_LABELS,
    Receipt,
    ShipmentStatus,
)
from certreg.vocabulary import Role
from certreg.web import actor, form_status, submit

bp = Blueprint("shipments", __name__)

LABELS = dict(goods_labels=GOODS_LABELS, transport_labels=TRANSPORT_LABELS, status_labels=STATUS_LABELS,
              receipt_labels=RECEIPT_LABELS, rule_labels=border.RULE_LABELS, answer_labels=ANSWER_LABELS)
OPEN = (ShipmentStatus.EXPECTED, ShipmentStatus.HELD)


@bp.get("/shipments")
@login_required
def index():
    me = actor()
    shipments = expected.listing(me, current_user.country_code)
    return render_template("shipments/index.html", shipments=shipments, **LABELS,
                           can_record=expected.can_record(me, current_user.country_code),
                           can_ipic=ipic.can_ask(me, current_user.country_code))


@bp.route("/shipments/new", methods=["GET", "POST"])
@login_required
def new():
    me = actor()
    me.require(expected.can_record(me, current_user.country_code))
    form = ShipmentForm()
    if request.method == "GET" and current_user.role is Role.COMPANY_USER and current_user.company:
        form.importer_registration.data = current_user.company.registration_number
    done = submit(form, lambda: expected.record(me, current_user.country_code, shipment_data(form)))
    if done:
        return redirect(url_for("shipments.detail", shipment_id=done.result.id))
    return render_template("shipments/new.html", form=form), form_status(form)


def _detail(shipment_id: int, status: int = 200, **forms):
    me = actor()
    shipment = expected.get(me, shipment_id)
    can_decide = expected.can_decide(me, shipment) and shipment.status in OPEN
    check = border.border_check(me, shipment.id) if shipment.status in OPEN else None
    decision_form = forms.get("decision_form") or DecisionForm()
    if check is not None and not decision_form.decision.data:
        decision_form.decision.data = check.suggestion.value
    return render_template(
        "shipments/detail.html", shipment=shipment, check=check, can_decide=can_decide,
        can_answer=me.acts_for_company(shipment.importer_id) and shipment.receipt is Receipt.PENDING,
        cylinders=expected.registered_cylinders(shipment), decision_form=decision_form,
        receipt_form=forms.get("receipt_form") or ReceiptForm(), **LABELS), status


@bp.get("/shipments/<int:shipment_id>")
@login_required
def detail(shipment_id: int):
    return _detail(shipment_id)


@bp.post("/shipments/<int:shipment_id>/decision")
@login_required
def decide(shipment_id: int):
    me = actor()
    shipment = expected.get(me, shipment_id)
    me.require(expected.can_decide(me, shipment))
    form = DecisionForm()
    if submit(form, lambda: border.decide(me, shipment, form.decision.data, form.reason.data, channel=Channel.WEB)):
        return redirect(url_for("shipments.detail", shipment_id=shipment_id))
    return _detail(shipment_id, form_status(form), decision_form=form)


@bp.post("/shipments/<int:shipment_id>/receipt")
@login_required
def receipt(shipment_id: int):
    me = actor()
    shipment = expected.get(me, shipment_id)
    me.require(me.acts_for_company(shipment.importer_id))
    form = ReceiptForm()
    if submit(form, lambda: border.answer_receipt(me, shipment, confirm=form.answer.data == "confirm",
                                                  note=form.note.data)):
        return redirect(url_for("shipments.detail", shipment_id=shipment_id))
    return _detail(shipment_id, form_status(form), receipt_form=form)


@bp.route("/ipic", methods=["GET", "POST"])
@login_required
def ipic_index():
    me = actor()
    questions = ipic.listing(me, current_user.country_code)
    can_ask = ipic.can_ask(me, current_user.country_code)
    form = IpicForm()
    if request.method == "POST":
        me.require(can_ask)
        done = submit(form, lambda: ipic.ask(me, current_user.country_code, form.answering_country.data,
                                             form.importer_registration.data, form.substance.data, form.kg.data,
                                             form.year.data))
        if done:
            return redirect(url_for("shipments.ipic_detail", question_id=done.result.id))
    return render_template("shipments/ipic.html", questions=questions, form=form, can_ask=can_ask,
                           **LABELS), form_status(form)


@bp.get("/ipic/<int:question_id>")
@login_required
def ipic_detail(question_id: int):
    return render_template("shipments/ipic_detail.html", question=ipic.get(actor(), question_id), **LABELS)
