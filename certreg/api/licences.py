"""``/api/v1/licences``: the licence register of a country (its officials), the same services as the CLI."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.api import bp
from certreg.api.common import api_actor, done, json_body, optional_actor
from certreg.countries import services as countries
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.licences import caps, checking, documents, services
from certreg.licences.models import Licence
from certreg.logbook.queries import licence_used


def licence_json(licence: Licence) -> dict[str, Any]:
    used = caps.usage(licence_used(licence))
    return {
        "number": licence.number, "country": licence.country_code, "company_id": licence.company_id,
        "direction": licence.direction.value, "scope": list(licence.scope), "hs_codes": list(licence.hs_codes),
        "partner_countries": list(licence.partner_countries), "cap_kg": f"{licence.cap_kg:f}",
        "used_kg": f"{used.kg.quantize(caps.GRAM):f}",
        "cap_odp_t": f"{licence.cap_odp_t:f}" if licence.cap_odp_t is not None else None,
        "cap_co2e_t": f"{licence.cap_co2e_t:f}" if licence.cap_co2e_t is not None else None,
        "used_odp_t": caps.figure(used.odp_t) if licence.cap_odp_t is not None else None,
        "used_co2e_t": caps.figure(used.co2e_t) if licence.cap_co2e_t is not None else None,
        "valid_from": licence.valid_from.isoformat(), "valid_until": licence.valid_until.isoformat(),
        "issuing_authority": licence.issuing_authority, "status": licence.status.value,
        "status_reason": licence.status_reason,
    }


def _list(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed.for_field(name, _("Give a list of texts."), "invalid_type")
    return value


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValidationFailed.for_field(name, _("Enter text."), "invalid_type")
    return str(value)


@bp.get("/countries/<code>/licences")
def list_licences(code: str):
    actor = api_actor()
    country = countries.country(code)
    return done({"licences": [licence_json(licence) for licence in services.listing(actor, country.code)]})


@bp.post("/countries/<code>/licences")
def issue_licence(code: str):
    actor = api_actor()
    country = countries.country(code)
    actor.require(services.can_manage(actor, country.code))
    body = json_body()
    data = _data(body, _text(body, "number"))
    return done(licence_json(services.issue(actor, country.code, data)), 201)


def _data(body: dict[str, Any], number: str) -> services.LicenceData:
    return services.LicenceData(
        number=number, company_registration=_text(body, "company_registration"),
        direction=_text(body, "direction"), scope=_list(body, "scope"), cap_kg=_text(body, "cap_kg"),
        valid_from=_text(body, "valid_from"), valid_until=_text(body, "valid_until"),
        issuing_authority=_text(body, "issuing_authority"), partner_countries=_list(body, "partner_countries"),
        hs_codes=_list(body, "hs_codes"), cap_odp_t=_text(body, "cap_odp_t") or None,
        cap_co2e_t=_text(body, "cap_co2e_t") or None)


@bp.put("/countries/<code>/licences/<path:number>")
def update_licence(code: str, number: str):
    """Change a licence's terms (the same service as the edit page), with the reason."""
    actor = api_actor()
    country = countries.country(code)
    actor.require(services.can_manage(actor, country.code))
    body = json_body()
    licence = services.get(actor, country.code, number)
    return done(licence_json(services.update(actor, licence, _data(body, licence.number), _text(body, "reason"))))


@bp.patch("/countries/<code>/licences/<path:number>")
def change_licence_status(code: str, number: str):
    actor = api_actor()
    country = countries.country(code)
    actor.require(services.can_manage(actor, country.code))
    body = json_body()
    licence = services.get(actor, country.code, number)
    return done(licence_json(services.change_status(actor, licence, _text(body, "status"), _text(body, "reason"))))


def _visible(code: str, number: str) -> tuple[Actor, Licence]:
    actor = api_actor()
    return actor, services.find_by_number(actor, countries.country(code).code, number)


@bp.get("/countries/<code>/licences/<path:number>/token")
def licence_token(code: str, number: str):
    """The licence's signed token and the check URL its document's QR carries (signed on first use)."""
    actor, licence = _visible(code, number)
    token = documents.token_for(actor, licence)
    return done({"token": token, "url": documents.check_url(token), "kid": licence.kid})


@bp.get("/countries/<code>/licences/<path:number>/document.pdf")
def licence_document(code: str, number: str):
    """The licence document (A4 PDF) with its signed QR."""
    actor, licence = _visible(code, number)
    data = documents.licence_pdf(actor, licence)
    db.session.commit()
    return Response(data, mimetype="application/pdf")


@bp.get("/licences/status-list")
def licence_status_list():
    """Signed licence status lists of every country (certreg.licences.token)."""
    response = done(documents.status_list_document())
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/licences/check/<token>")
def check_licence(token: str):
    """The same verdict as the ``/l/<token>`` page; rate limited like certificate checks."""
    actor = optional_actor()
    client = f"user:{actor.user_id}" if actor else f"ip:{request.remote_addr or 'unknown'}"
    result = checking.check(token, client=client)
    claims, licence = result.claims, result.licence
    return done({"verdict": result.verdict, "reason": result.reason, "licence": None if claims is None else {
        "format_version": claims.version, "number": claims.number, "country": claims.country,
        "holder_registration": claims.holder_registration, "holder_name": claims.holder_name,
        "hs_codes": None if claims.hs_codes_text is None else list(claims.hs_codes_text),
        "direction": claims.direction, "scope": list(claims.scope), "cap_kg": claims.cap_kg_text,
        "partner_countries": list(claims.partner_countries), "valid_from": claims.valid_from.isoformat(),
        "valid_until": claims.valid_until.isoformat()},
        "register": None if licence is None else {
            "holder_name": licence.holder_name, "hs_codes": list(licence.hs_codes),
            "status": licence.status.value}})
