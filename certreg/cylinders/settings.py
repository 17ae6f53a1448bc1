"""A country's own cylinder rules: the ban on non-refillable (disposable) cylinders from a date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.countries import services as countries
from certreg.countries.codes import country_code as checked_country
from certreg.cylinders.models import CylinderCountryRule, CylinderKind
from certreg.errors import ValidationFailed
from certreg.extensions import db


def non_refillable_ban(country_code: str) -> date | None:
    return db.session.scalar(sa.select(CylinderCountryRule.non_refillable_banned_from)
                             .where(CylinderCountryRule.country_code == country_code))


class PublicRules:
    """The ban as the country's public rules page and its API state it (a section of
    :mod:`certreg.countries.rule_sections`, given by the app factory)."""

    template = "cylinders/_public_rules.html"

    def facts(self, country_code: str, today: date) -> Mapping[str, Any]:
        banned_from = non_refillable_ban(country_code)
        return {"non_refillable_banned_from": banned_from,
                "non_refillable_ban_in_force": banned_from is not None and banned_from <= today}


def can_manage(actor: Actor, country_code: str) -> bool:
    """Who sets the country's cylinder rules: whoever manages its other settings (its administrators; the CLI)."""
    return countries.can_manage(actor, country_code)


def set_non_refillable_ban(actor: Actor, country_code: str, banned_from: date | None) -> CylinderCountryRule:
    """Set (or, with ``None``, lift) the country's ban on non-refillable cylinders; audited when it changes.

    :raise Forbidden: not an administrator of the country (the system actor may).
    """
    country_code = checked_country(country_code, "country") or ""
    actor.require(can_manage(actor, country_code))
    rule = db.session.get(CylinderCountryRule, country_code) or CylinderCountryRule(country_code=country_code)
    before = rule.non_refillable_banned_from
    if before == banned_from and rule in db.session:
        return rule
    rule.non_refillable_banned_from = banned_from
    db.session.add(rule)
    db.session.flush()
    audit.record(actor, "cylinder_rules.update", object_type="cylinder_country_rule", object_id=country_code,
                 country_code=country_code, before={"non_refillable_banned_from": str(before)},
                 after={"non_refillable_banned_from": str(banned_from)},
                 summary=audit.msg("Cylinder rules of %(country)s changed", country=country_code))
    return rule


def check_not_banned(country_code: str, kind: CylinderKind, on: date) -> None:
    """Refuse importing, filling or selling a non-refillable cylinder once the country bans them."""
    banned_from = non_refillable_ban(country_code) if kind is CylinderKind.NON_REFILLABLE else None
    if banned_from is not None and on >= banned_from:
        raise ValidationFailed.for_field("kind", _("Non-refillable cylinders are banned in this country from "
                                                   "%(date)s.", date=banned_from.isoformat()), "non_refillable_banned")
