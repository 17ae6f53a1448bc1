"""The ban dates in force in a country: the Protocol's defaults, replaced by the national dates set."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from certreg.countries import protocol
from certreg.countries.models import CountryBanDate
from certreg.extensions import db

_BANS = CountryBanDate.__table__
_OVERRIDES = sa.select(_BANS.c.control_group, _BANS.c.ban_date).where(_BANS.c.country_code == sa.bindparam("country"))


def overrides(country_code: str) -> dict[str, date]:
    """Control group -> the national date set by the country's administrator."""
    return {group: day for group, day in db.session.execute(_OVERRIDES, {"country": country_code})}


def effective_bans(country_code: str, national: dict[str, date] | None = None) -> dict[str, date]:
    """Control group -> date from which virgin substance of the group may not be sold or imported.

    ``national``: the country's :func:`overrides` when the caller read them already (with other rows, in
    one statement: :func:`certreg.logbook.settings.rule_context`)."""
    bans = protocol.default_bans(protocol.party_group(country_code))
    bans.update(overrides(country_code) if national is None else national)
    return bans
