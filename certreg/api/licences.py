"""``/api/v1/licences``: the licence register of a country (its officials), the same services as the CLI."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from certreg.api import bp
from certreg.api.common import api_actor, done, json_body
from certreg.countries import services as countries
from certreg.errors import ValidationFailed
from certreg.licences import services
from certreg.licences.models import Licence
from certreg.logbook.queries import licence_used_kg


def licence_json(licence: Licence) -> dict[str, Any]:
    return {
        "number": licence.number, "country": licence.country_code, "company_id": licence.company_id,
        "direction": licence.direction.value, "scope": list(licence.scope), "hs_codes": list(licence.hs_codes),
        "partner_countries": list(licence.partner_countries), "cap_kg": f"{licence.cap_kg:f}",
        "used_kg": f"{licence_used_kg(licence):f}",
        "cap_odp_t": f"{licence.cap_odp_t:f}" if licence.cap_odp_t is not None else None,
        "cap_co2e_t": f"{licence.cap_co2e_t:f}" if licence.cap_co2e_t is not None else None,
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
    data = services.LicenceData(
        number=_text(body, "number"), company_registration=_text(body, "company_registration"),
        direction=_text(body, "direction"), scope=_list(body, "scope"), cap_kg=_text(body, "cap_kg"),
        valid_from=_text(body, "valid_from"), valid_until=_text(body, "valid_until"),
        issuing_authority=_text(body, "issuing_authority"), partner_countries=_list(body, "partner_countries"),
        hs_codes=_list(body, "hs_codes"), cap_odp_t=_text(body, "cap_odp_t") or None,
        cap_co2e_t=_text(body, "cap_co2e_t") or None)
    return done(licence_json(services.issue(actor, country.code, data)), 201)


@bp.patch("/countries/<code>/licences/<path:number>")
def change_licence_status(code: str, number: str):
    actor = api_actor()
    country = countries.country(code)
    actor.require(services.can_manage(actor, country.code))
    body = json_body()
    licence = services.get(actor, country.code, number)
    return done(licence_json(services.change_status(actor, licence, _text(body, "status"), _text(body, "reason"))))
