"""``/api/v1/countries/{code}/settings`` (administrators) and ``/rules`` (public): per-country rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from certreg.api import bp
from certreg.api.common import api_actor, done, json_body, optional_actor
from certreg.countries import rule_sections, services
from certreg.db import today as utc_today


@bp.get("/countries/<code>/settings")
def get_country_settings(code: str):
    actor = api_actor()
    country = services.country(code)
    actor.require(services.can_manage(actor, country.code))
    return done(services.country_rules(country.code).as_dict())


@bp.patch("/countries/<code>/settings")
def patch_country_settings(code: str):
    """Change the settings given; a ban date or the leak-rate threshold set to null returns to the default."""
    actor = api_actor()
    country = services.country(code)
    actor.require(services.can_manage(actor, country.code))
    return done(services.update_settings(actor, country.code, json_body()).as_dict())


@bp.get("/countries/<code>/rules")
def get_country_rules(code: str):
    """What certreg enforces in the country: the bans and their dates, the ban on non-refillable cylinders,
    the penalties text per language."""
    optional_actor()
    rules = services.country_rules(services.country(code).code)
    today = utc_today()
    answer: dict[str, Any] = {
        "country": rules.country_code,
        "party_group": rules.party_group.value,
        "bans": [{"control_group": b.control_group, "date": b.effective.isoformat(), "national": b.override is not None,
                  "in_force": b.effective <= today} for b in rules.bans],
        "used_ods_sales": rules.used_ods_sales.value,
        "penalties": rules.penalties,
    }
    for _template, facts in rule_sections.stated(rules.country_code, today):  # the cylinder ban, as on the page
        answer.update({name: value.isoformat() if isinstance(value, date) else value for name, value in facts.items()})
    return done(answer)
