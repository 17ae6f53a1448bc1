"""The country context the rules of :mod:`certreg.logbook.rules` need (:func:`rule_context`: the ban
dates and the country's logbook settings, read in one statement). The settings themselves are the country's:
:mod:`certreg.countries.logbook_settings` reads and changes them."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app

from certreg.countries import bans as ban_dates
from certreg.countries.logbook_settings import (  # noqa: F401 - importable from here too, as before they moved
    can_manage_settings,
    country_settings,
    late_entry_limits,
    leak_rate_threshold,
    update_settings,
)
from certreg.countries.models import CountryBanDate, CountrySettings, UsedOdsSales
from certreg.db import today as utc_today
from certreg.extensions import db
from certreg.logbook import rules

_SETTINGS = CountrySettings.__table__
_BANS = CountryBanDate.__table__
_COUNTRY = sa.select(sa.cast(sa.bindparam("country"), sa.String()).label("code")).subquery("country")
#: One row per national ban date (at least one row), each carrying the country's settings (NULL when none
#: are set): the settings and the ban dates in one statement, every rule path's first read.
_RULE_CONTEXT = (sa.select(_SETTINGS.c.used_ods_sales, _SETTINGS.c.late_entry_days, _SETTINGS.c.approval_days,
                           _SETTINGS.c.company_certificate_required, _SETTINGS.c.licences_required,
                           _SETTINGS.c.country_code.label("settings_country"), _BANS.c.control_group,
                           _BANS.c.ban_date)
                 .select_from(_COUNTRY)
                 .outerjoin(_SETTINGS, _SETTINGS.c.country_code == _COUNTRY.c.code)
                 .outerjoin(_BANS, _BANS.c.country_code == _COUNTRY.c.code))


def rule_context(country_code: str, today: date | None = None) -> rules.Context:
    """The country's ban dates per control group (the Protocol's defaults for its Party group, or the
    national dates set: :func:`certreg.countries.bans.effective_bans`) and its used-ODS policy."""
    rows = db.session.execute(_RULE_CONTEXT, {"country": country_code}).all()
    row = rows[0] if rows and rows[0].settings_country is not None else None
    national = {r.control_group: r.ban_date for r in rows if r.control_group is not None}
    return context_of(country_code, row, national, today)


def context_of(country_code: str, row: Any, national: dict[str, date], today: date | None = None) -> rules.Context:
    """The rule context from what :func:`rule_context` reads: the country's settings ``row`` (its columns
    ``used_ods_sales``, ``late_entry_days``, ``approval_days``, ``company_certificate_required`` and
    ``licences_required``; None: none set) and its national ban dates per control group (the border check
    reads them with the rest of its facts: :mod:`certreg.shipments.facts`)."""
    config = current_app.config
    late, approval = (row.late_entry_days, row.approval_days) if row is not None else (None, None)
    return rules.Context(
        country_code=country_code,
        today=today or utc_today(),
        bans=ban_dates.effective_bans(country_code, national),
        used_ods_sales=(row.used_ods_sales if row is not None else None) or UsedOdsSales.ALLOWED,
        late_entry_days=late if late is not None else config["LOGBOOK_LATE_ENTRY_DAYS"],
        approval_days=approval if approval is not None else config["LOGBOOK_APPROVAL_DAYS"],
        company_certificate_required=bool(row.company_certificate_required) if row is not None else False,
        licences_required=bool(row.licences_required) if row is not None else False,
    )

