"""``/api/v1/countries/{code}/quotas``: national limits and importers' quotas (the services of the pages and CLI)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _

from certreg.api import bp
from certreg.api.common import api_actor, done, json_body
from certreg.countries import services as countries
from certreg.errors import ValidationFailed
from certreg.quotas import services
from certreg.quotas.models import QuotaBaseline, QuotaLine


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValidationFailed.for_field(name, _("Enter text."), "invalid_type")
    return str(value)


def line_json(line: QuotaLine) -> dict[str, Any]:
    return {"id": line.id, "country": line.country_code, "year": line.year, "group": line.control_group,
            "company_id": line.company_id, "kind": line.kind.value, "amount": f"{line.amount.normalize():f}",
            "unit": line.unit, "counterpart_company_id": line.counterpart_company_id, "reason": line.reason,
            "seq": line.seq, "recorded_at": line.recorded_at.isoformat()}


def baseline_json(row: QuotaBaseline) -> dict[str, Any]:
    return {"country": row.country_code, "group": row.control_group, "baseline": f"{row.baseline.normalize():f}",
            "unit": row.unit, "source": row.source}


@bp.get("/countries/<code>/quotas")
def quota_overview(code: str):
    actor = api_actor()
    country = countries.country(code)
    actor.require(services.can_view(actor, country.code))
    groups = services.overview(actor, country.code, request.args.get("year"))
    return done({"country": country.code, "groups": [group.as_dict() for group in groups]})


@bp.put("/countries/<code>/quotas/baselines")
def set_quota_baseline(code: str):
    actor = api_actor()
    country = countries.country(code)
    actor.require(services.can_manage(actor, country.code))
    body = json_body()
    row = services.set_baseline(actor, country.code, _text(body, "group"), _text(body, "baseline"),
                                _text(body, "source"))
    return done(baseline_json(row))


@bp.post("/countries/<code>/quotas/allocations")
def allocate_quota(code: str):
    actor = api_actor()
    country = countries.country(code)
    actor.require(services.can_manage(actor, country.code))
    body = json_body()
    line = services.allocate(actor, country.code, _text(body, "year"), _text(body, "group"),
                             _text(body, "company"), _text(body, "amount"), _text(body, "reason"))
    return done(line_json(line), 201)


@bp.post("/countries/<code>/quotas/transfers")
def transfer_quota(code: str):
    actor = api_actor()
    country = countries.country(code)
    actor.require(services.can_manage(actor, country.code))
    body = json_body()
    out_line, in_line = services.transfer(actor, country.code, _text(body, "year"), _text(body, "group"),
                                          _text(body, "from_company"), _text(body, "to_company"),
                                          _text(body, "amount"), _text(body, "reason"))
    return done({"out": line_json(out_line), "in": line_json(in_line)}, 201)
