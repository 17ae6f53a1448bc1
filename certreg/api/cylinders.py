"""``/api/v1`` for cylinders: the register, lookups by any serial, fills and charges, labels,
the public label check and the signed label status lists; a country's cylinder rules (its administrators)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Response, request
from flask_babel import gettext as _

from certreg.api import bp
from certreg.api.common import api_actor, done, json_body, optional_actor, page_args, paginated
from certreg.countries import services as countries
from certreg.cylinders import access, custody, labelling, labels, lookup, queries, registration, scanning, settings
from certreg.cylinders.forms import (
    ChargeForm,
    CylinderRulesForm,
    DestroyForm,
    FillForm,
    FoundForm,
    LostForm,
    RegisterForm,
    TransferForm,
    fill_data,
    register_data,
)
from certreg.cylinders.models import ContentCondition, Cylinder
from certreg.errors import NotFound, ValidationFailed
from certreg.forms import form_from_json


def _kg(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.001")))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def cylinder_json(cylinder: Cylinder, *, full: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "serial": cylinder.serial, "needs_registration": cylinder.needs_registration,
        "country_code": cylinder.country_code, "kind": cylinder.kind.value if cylinder.kind else None,
        "status": cylinder.status.value, "substance": cylinder.substance_code, "net_kg": _kg(cylinder.net_kg),
        "condition": cylinder.condition.value if cylinder.condition else None,
    }
    if full:
        data.update(
            grai=cylinder.grai, manufacturer=cylinder.manufacturer, stamp_number=cylinder.stamp_number,
            water_capacity_l=_text(cylinder.water_capacity_l), tare_kg=_text(cylinder.tare_kg),
            test_due=cylinder.test_due.isoformat() if cylinder.test_due else None,
            owner_company_id=cylinder.owner_company_id, custodian_company_id=cylinder.custodian_company_id,
            custodian_technician_id=cylinder.custodian_technician_id, mixed=cylinder.mixed,
            batch=cylinder.batch, origin_country=cylinder.origin_country, token=cylinder.token,
            label_url=labelling.label_url(cylinder) if cylinder.token else None,
            events=[{"at": e.at.isoformat(), "kind": e.kind.value, "kg": _kg(e.kg),
                     "net_kg_after": _kg(e.net_kg_after), "substance": e.substance_code, "actor": e.actor_label,
                     "seq": e.seq, "entry_id": e.entry_id}
                    for e in cylinder.events],
        )
    return data


@bp.get("/cylinders/status-list")
def cylinder_status_list():
    """Signed label status lists of every country (certreg.cylinders.token)."""
    response = done(labelling.status_list_document())
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/cylinders/check/<token>")
def check_label(token: str):
    """The same verdict as the ``/c/<token>`` page; rate limited like certificate checks; logged."""
    actor = optional_actor()
    client = f"user:{actor.user_id}" if actor else f"ip:{request.remote_addr or 'unknown'}"
    result = scanning.scan(token, client=client, inspector=actor)
    return done({
        "verdict": result.verdict, "warnings": result.warnings,
        "label": None if result.claims is None else {
            "serial": result.claims.serial, "country_code": result.claims.country,
            "substance": result.claims.substance or None, "net_kg": str(result.claims.net_grams / 1000),
            "labelled_on": result.claims.labelled_on.isoformat()},
        "cylinder": None if result.cylinder is None else cylinder_json(result.cylinder, full=False),
    })


@bp.get("/cylinders")
def list_cylinders():
    actor = api_actor()
    page, per_page = page_args()
    pagination = queries.list_cylinders(actor, actor.country_code, q=request.args.get("q") or "", page=page,
                                        per_page=per_page)
    return done(paginated(pagination, lambda c: cylinder_json(c, full=False)))


@bp.get("/cylinders/lookup")
def lookup_cylinders():
    """Any serial in every country's register: public fields; in full, with the custody history, where the
    caller may see the cylinder (certreg.cylinders.lookup)."""
    matches = lookup.lookup(api_actor(), request.args.get("q") or "")
    return done({"items": [{**cylinder_json(m.cylinder, full=m.full), "full": m.full,
                            "owner": m.cylinder.owner.display_name,
                            "history": [{"at": h.at.isoformat(), "kind": h.kind.value, "kg": _kg(h.kg),
                                         "net_kg_after": _kg(h.net_kg_after), "substance": h.substance_code,
                                         "to": h.to_holder, "actor": h.actor_label} for h in m.history]}
                           for m in matches]})


@bp.post("/cylinders")
def register_cylinder():
    actor = api_actor()
    actor.require(access.can_register(actor, actor.country_code, actor.user.company_id if actor.user else None))
    form = form_from_json(RegisterForm, json_body())
    return done(cylinder_json(registration.register(actor, register_data(form))), 201)


@bp.get("/cylinders/<serial>")
def get_cylinder(serial: str):
    """A cylinder by national serial, GRAI or stamp number, with its custody history."""
    return done(cylinder_json(queries.find(api_actor(), serial)))


def _actable(serial: str):
    actor = api_actor()
    cylinder = queries.find(actor, serial)
    actor.require(access.can_act(actor, cylinder))
    return actor, cylinder


@bp.post("/cylinders/<serial>/fill")
def fill_cylinder(serial: str):
    actor, cylinder = _actable(serial)
    form = form_from_json(FillForm, json_body())
    custody.fill(actor, cylinder, fill_data(form))
    return done(cylinder_json(cylinder))


@bp.post("/cylinders/<serial>/charge")
def charge_cylinder(serial: str):
    actor, cylinder = _actable(serial)
    form = form_from_json(ChargeForm, json_body())
    custody.charge(actor, cylinder, form.net_kg.data)
    return done(cylinder_json(cylinder))


@bp.post("/cylinders/<serial>/recover")
def recover_into_cylinder(serial: str):
    actor, cylinder = _actable(serial)
    form = form_from_json(FillForm, json_body())
    custody.recover(actor, cylinder, fill_data(form))
    return done(cylinder_json(cylinder))


@bp.post("/cylinders/<serial>/transfer")
def transfer_cylinder(serial: str):
    actor, cylinder = _actable(serial)
    form = form_from_json(TransferForm, json_body())
    custody.transfer_to(actor, cylinder, company_id=form.to_company_id.data, technician_id=form.to_technician_id.data,
                        sold_as=ContentCondition(form.sold_as.data) if form.sold_as.data else None,
                        returned=bool(form.returned.data))
    return done(cylinder_json(cylinder))


@bp.post("/cylinders/<serial>/destroy")
def destroy_cylinder(serial: str):
    actor, cylinder = _actable(serial)
    form = form_from_json(DestroyForm, json_body())
    custody.destroy(actor, cylinder, note=form.reference.data)
    return done(cylinder_json(cylinder))


@bp.post("/cylinders/<serial>/lost")
def report_cylinder_lost(serial: str):
    actor = api_actor()
    cylinder = queries.find(actor, serial)
    actor.require(access.can_report_lost(actor, cylinder))
    form = form_from_json(LostForm, json_body())
    custody.report_lost(actor, cylinder, note=form.reference.data)
    return done(cylinder_json(cylinder))


@bp.post("/cylinders/<serial>/found")
def report_cylinder_found(serial: str):
    actor = api_actor()
    cylinder = queries.find(actor, serial)
    actor.require(access.can_report_found(actor, cylinder))
    form = form_from_json(FoundForm, json_body())
    custody.report_found(actor, cylinder, note=form.reference.data)
    return done(cylinder_json(cylinder))


@bp.get("/cylinders/<serial>/label.pdf")
def cylinder_label(serial: str):
    cylinder = queries.find(api_actor(), serial)
    if cylinder.needs_registration:
        raise NotFound()
    return Response(labels.label_pdf(cylinder), mimetype="application/pdf")


def _rules_json(country_code: str) -> dict[str, Any]:
    banned_from = settings.non_refillable_ban(country_code)
    return {"non_refillable_banned_from": banned_from.isoformat() if banned_from else None}


@bp.get("/countries/<code>/cylinder-rules")
def get_cylinder_rules(code: str):
    actor = api_actor()
    country = countries.country(code)
    actor.require(settings.can_manage(actor, country.code))
    return done(_rules_json(country.code))


@bp.put("/countries/<code>/cylinder-rules")
def put_cylinder_rules(code: str):
    """Set the first day of the ban on non-refillable cylinders, or lift it with ``null``."""
    actor = api_actor()
    country = countries.country(code)
    actor.require(settings.can_manage(actor, country.code))
    body = json_body()
    form = form_from_json(CylinderRulesForm, body)
    if "non_refillable_banned_from" not in body:
        raise ValidationFailed.for_field("non_refillable_banned_from", _("This field is required."), "required")
    settings.set_non_refillable_ban(actor, country.code, form.non_refillable_banned_from.data)
    return done(_rules_json(country.code))
