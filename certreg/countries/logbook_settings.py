"""The settings a country's administrators set for its logbooks (:class:`CountrySettings`: the used-ODS
policy, the leak threshold, late entries, company certificates and licences required), read with the
server's defaults and changed here. The logbook applies them (:mod:`certreg.logbook.settings`)."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.countries.models import CountrySettings, UsedOdsSales
from certreg.db import utcnow
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.vocabulary import Role

logger = logging.getLogger(__name__)

LOGBOOK_ADMINS = (Role.ADMIN,)


# --- per-country settings ----------------------------------------------------------------


def country_settings(country_code: str) -> CountrySettings:
    """The country's logbook settings (defaults when the administrators set none)."""
    settings = db.session.get(CountrySettings, country_code)
    return settings or CountrySettings(country_code=country_code, used_ods_sales=UsedOdsSales.ALLOWED,
                                       leak_rate_threshold=None, company_certificate_required=False,
                                       licences_required=False, late_entry_days=None, approval_days=None)


def leak_rate_threshold(country_code: str) -> Decimal:
    configured = country_settings(country_code).leak_rate_threshold
    return Decimal(configured if configured is not None else current_app.config["LEAK_RATE_THRESHOLD_PERCENT"])


def can_manage_settings(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, *LOGBOOK_ADMINS)


def update_settings(actor: Actor, country_code: str, *, used_ods_sales: str,
                    leak_rate_threshold: Decimal | None) -> CountrySettings:
    actor.require(can_manage_settings(actor, country_code))
    try:
        policy = UsedOdsSales(used_ods_sales)
    except ValueError:
        raise ValidationFailed.for_field("used_ods_sales", _("Not a valid choice."), "invalid_choice") from None
    if leak_rate_threshold is not None and not (0 < leak_rate_threshold <= 100):
        raise ValidationFailed.for_field("leak_rate_threshold", _("Give a percentage between 0 and 100."),
                                         "out_of_range")
    settings = db.session.get(CountrySettings, country_code)
    before = None
    if settings is None:
        settings = CountrySettings(country_code=country_code)
        db.session.add(settings)
    else:
        before = {"used_ods_sales": settings.used_ods_sales.value,
                  "leak_rate_threshold": settings.leak_rate_threshold}
    settings.used_ods_sales = policy
    settings.leak_rate_threshold = leak_rate_threshold
    settings.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "logbook_settings.update", settings, object_id=country_code, country_code=country_code,
                 summary=audit.msg("Logbook settings of %(country)s", country=country_code), before=before or {},
                 after={"used_ods_sales": policy.value, "leak_rate_threshold": leak_rate_threshold})
    return settings


def update_entry_rules(country_code: str, **values: Any) -> CountrySettings:
    """Set ``company_certificate_required``, ``late_entry_days``, ``approval_days`` (checked and audited by
    :func:`certreg.countries.services.update_settings`, the one caller)."""
    settings = db.session.get(CountrySettings, country_code)
    if settings is None:
        settings = CountrySettings(country_code=country_code, used_ods_sales=UsedOdsSales.ALLOWED)
        db.session.add(settings)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.updated_at = utcnow()
    db.session.flush()
    return settings


def late_entry_limits(country_code: str) -> tuple[int, int]:
    """``(late_entry_days, approval_days)`` in force in the country (its own, or the server's settings)."""
    current = country_settings(country_code)
    config = current_app.config
    return (current.late_entry_days if current.late_entry_days is not None else config["LOGBOOK_LATE_ENTRY_DAYS"],
            current.approval_days if current.approval_days is not None else config["LOGBOOK_APPROVAL_DAYS"])
