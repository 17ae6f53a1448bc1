"""``/api/v1`` for shipments (expected, the border check, decisions, the importer's receipt) and iPIC
(questions and signed answers, each country's signed list of licensees): the same services as the pages."""

from __future__ import annotations

from typing import Any

from certreg.api import bp
from certreg.api.common import api_actor, done, json_body
from certreg.countries import services as countries
from certreg.forms import form_from_json
from certreg.logbook.models import Channel
from certreg.shipments import border, expected, ipic
from certreg.shipments.forms import DecisionForm, IpicForm, ReceiptForm, ShipmentForm, shipment_data
from certreg.shipments.models import IpicQuestion, Shipment


def _kg(value) -> str | None:
    return f"{value:f}" if value is not None else None


def shipment_json(shipment: Shipment) -> dict[str, Any]:
    return {
        "id": shipment.id, "country": shipment.country_code, "declaration_number": shipment.declaration_number,
        "importer_registration": shipment.importer.registration_number, "goods": shipment.goods.value,
        "product_description": shipment.product_description, "units": shipment.units, "hs_code": shipment.hs_code,
        "substance": shipment.substance_code, "kg": _kg(shipment.kg), "cylinder_count": shipment.cylinder_count,
        "cylinder_serials": list(shipment.cylinder_serials), "import_licence": shipment.import_licence,
        "exporter_name": shipment.exporter_name, "exporting_country": shipment.exporting_country,
        "origin_country": shipment.origin_country, "transport_mode": shipment.transport_mode.value,
        "border_post": shipment.border_post, "expected_on": shipment.expected_on.isoformat(),
        "status": shipment.status.value, "decision_reason": shipment.decision_reason,
        "decided_at": shipment.decided_at.isoformat() if shipment.decided_at else None,
        "entry_id": shipment.entry_id, "receipt": shipment.receipt.value if shipment.receipt else None,
    }


def check_json(check: border.BorderCheck) -> dict[str, Any]:
    return {"shipment_id": check.shipment.id, "on": check.on.isoformat(), "passed": check.passed,
            "suggestion": check.suggestion.value,
            "rules": [{"rule": r.rule.value, "ok": r.ok, "code": r.code, "message": r.message or None}
                      for r in check.results],
            "ipic_question_id": check.confirmation.id if check.confirmation else None}


def question_json(row: IpicQuestion) -> dict[str, Any]:
    return {"id": row.id, "asking_country": row.asking_country, "answering_country": row.answering_country,
            "importer_registration": row.importer_registration, "substance": row.substance_code,
            "kg": _kg(row.kg), "year": row.year, "answer": row.answer.value, "licence_number": row.licence_number,
            "remaining_kg": _kg(row.remaining_kg), "question": row.question_token, "answer_document": row.answer_token,
            "asked_at": row.asked_at.isoformat()}


@bp.get("/shipments")
def list_shipments():
    actor = api_actor()
    return done({"shipments": [shipment_json(s) for s in expected.listing(actor, actor.country_code)]})


@bp.post("/shipments")
def expect_shipment():
    actor = api_actor()
    actor.require(expected.can_record(actor, actor.country_code))
    form = form_from_json(ShipmentForm, json_body())
    return done(shipment_json(expected.record(actor, actor.country_code, shipment_data(form))), 201)


@bp.get("/shipments/<int:shipment_id>")
def get_shipment(shipment_id: int):
    return done(shipment_json(expected.get(api_actor(), shipment_id)))


@bp.get("/shipments/<int:shipment_id>/check")
def check_shipment(shipment_id: int):
    return done(check_json(border.border_check(api_actor(), shipment_id, autocommit=True)))  # reads only


@bp.post("/shipments/<int:shipment_id>/decision")
def decide_shipment(shipment_id: int):
    actor = api_actor()
    shipment = expected.get(actor, shipment_id)
    actor.require(expected.can_decide(actor, shipment))
    form = form_from_json(DecisionForm, json_body())
    return done(shipment_json(border.decide(actor, shipment, form.decision.data, form.reason.data,
                                            channel=Channel.API)))


@bp.post("/shipments/<int:shipment_id>/receipt")
def answer_shipment_receipt(shipment_id: int):
    actor = api_actor()
    shipment = expected.get(actor, shipment_id)
    actor.require(actor.acts_for_company(shipment.importer_id))
    form = form_from_json(ReceiptForm, json_body())
    return done(shipment_json(border.answer_receipt(actor, shipment, confirm=form.answer.data == "confirm",
                                                    note=form.note.data)))


@bp.get("/ipic/questions")
def list_ipic_questions():
    actor = api_actor()
    return done({"questions": [question_json(q) for q in ipic.listing(actor, actor.country_code)]})


@bp.post("/ipic/questions")
def ask_ipic_question():
    actor = api_actor()
    actor.require(ipic.can_ask(actor, actor.country_code))
    form = form_from_json(IpicForm, json_body())
    return done(question_json(ipic.ask(actor, actor.country_code, form.answering_country.data,
                                       form.importer_registration.data, form.substance.data, form.kg.data,
                                       form.year.data)), 201)


@bp.get("/ipic/questions/<int:question_id>")
def get_ipic_question(question_id: int):
    return done(question_json(ipic.get(api_actor(), question_id)))


@bp.get("/countries/<code>/licensees")
def country_licensees(code: str):
    """The country's licensed importers and exporters as a signed document (public: partners verify it)."""
    response = done(ipic.licensees_document(countries.country(code).code))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
