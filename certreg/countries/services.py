"""Country settings: every per-country rule date and threshold, and the public rules page's text.

One function, :func:`update_settings`, changes them for the page, the API and the command
line. Ban dates default to the Protocol's (:mod:`certreg.countries.protocol`); a date set
here is stored as a national override, and clearing it returns to the default.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.countries import bans as ban_dates
from certreg.countries import logbook_settings, protocol, rule_sections
from certreg.countries.models import CountryBanDate, CountryRulesText, UsedOdsSales
from certreg.db import today as utc_today
from certreg.db import utcnow
from certreg.errors import FieldError, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.registry.models import Country

logger = logging.getLogger(__name__)

EARLIEST_BAN = date(1989, 1, 1)  # the Protocol's entry into force
LATEST_BAN = date(2100, 12, 31)
MAX_PENALTIES = 20000


def ban_key(control_group: str) -> str:
    """``"A/I"`` -> ``"ban_A_I"``: the setting's name on every surface."""
    return "ban_" + control_group.replace("/", "_")


BAN_KEYS = {ban_key(g): g for g in protocol.CONTROL_GROUPS}


def penalties_key(language: str) -> str:
    return f"penalties_{language}"


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def setting_keys() -> list[str]:
    return [*BAN_KEYS, "used_ods_sales", "leak_rate_threshold", *ENTRY_KEYS,
            *(penalties_key(lang) for lang in languages())]


#: Who may record what, and how late: stored with the logbook settings (see certreg.logbook.rules).
ENTRY_KEYS = ("company_certificate_required", "licences_required", "late_entry_days", "approval_days")
MAX_DAYS = 36500


@dataclass(frozen=True)
class BanSetting:
    control_group: str
    key: str
    default: date
    override: date | None

    @property
    def effective(self) -> date:
        return self.override or self.default

    @property
    def label(self) -> str:
        return str(protocol.CONTROL_GROUP_LABELS[self.control_group])


@dataclass(frozen=True)
class CountryRules:
    country_code: str
    party_group: protocol.PartyGroup
    listed: bool  # False: not in parties.csv, the fallback Party group applies
    bans: list[BanSetting]
    used_ods_sales: UsedOdsSales
    leak_rate_threshold: Decimal | None  # None: the server's default
    default_leak_rate_threshold: Decimal
    penalties: dict[str, str]  # language -> text
    company_certificate_required: bool = False
    licences_required: bool = False
    late_entry_days: int | None = None  # None: the server's setting
    approval_days: int | None = None
    default_late_entry_days: int = 0
    default_approval_days: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "country": self.country_code,
            "party_group": self.party_group.value,
            "party_group_listed": self.listed,
            "bans": [{"key": b.key, "control_group": b.control_group, "default": b.default.isoformat(),
                      "override": b.override.isoformat() if b.override else None,
                      "effective": b.effective.isoformat()} for b in self.bans],
            "used_ods_sales": self.used_ods_sales.value,
            "leak_rate_threshold": f"{self.leak_rate_threshold:f}" if self.leak_rate_threshold is not None else None,
            "default_leak_rate_threshold": f"{self.default_leak_rate_threshold:f}",
            "penalties": dict(self.penalties),
            "company_certificate_required": self.company_certificate_required,
            "licences_required": self.licences_required,
            "late_entry_days": self.late_entry_days,
            "approval_days": self.approval_days,
            "default_late_entry_days": self.default_late_entry_days,
            "default_approval_days": self.default_approval_days,
        }

    def values(self) -> dict[str, Any]:
        """The settings by key, as the forms show them."""
        values: dict[str, Any] = {b.key: b.override for b in self.bans}
        values["used_ods_sales"] = self.used_ods_sales.value
        values["leak_rate_threshold"] = self.leak_rate_threshold
        values["company_certificate_required"] = self.company_certificate_required
        values["licences_required"] = self.licences_required
        values["late_entry_days"] = self.late_entry_days
        values["approval_days"] = self.approval_days
        values.update({penalties_key(lang): text for lang, text in self.penalties.items()})
        return values


def country(country_code: str | None) -> Country:
    """:raise NotFound: no such (active) country."""
    found = db.session.get(Country, country_code.upper()) if country_code and len(country_code) == 2 else None
    if found is None or not found.is_active:
        raise NotFound(_("Unknown country."), code="unknown_country")
    return found


def can_manage(actor: Actor, country_code: str) -> bool:
    return logbook_settings.can_manage_settings(actor, country_code)


def country_rules(country_code: str) -> CountryRules:
    """The settings in force in a country (defaults and national values)."""
    group = protocol.party_group(country_code)
    defaults = protocol.default_bans(group)
    overrides = ban_dates.overrides(country_code)
    current = logbook_settings.country_settings(country_code)
    texts = {row.language: row.penalties for row in db.session.scalars(
        sa.select(CountryRulesText).where(CountryRulesText.country_code == country_code))}
    return CountryRules(
        country_code=country_code,
        party_group=group,
        listed=protocol.is_listed(country_code),
        bans=[BanSetting(g, ban_key(g), defaults[g], overrides.get(g)) for g in protocol.CONTROL_GROUPS],
        used_ods_sales=current.used_ods_sales,
        leak_rate_threshold=current.leak_rate_threshold,
        default_leak_rate_threshold=Decimal(current_app.config["LEAK_RATE_THRESHOLD_PERCENT"]),
        penalties={lang: texts.get(lang, "") for lang in languages()},
        company_certificate_required=bool(current.company_certificate_required),
        licences_required=bool(current.licences_required),
        late_entry_days=current.late_entry_days,
        approval_days=current.approval_days,
        default_late_entry_days=current_app.config["LOGBOOK_LATE_ENTRY_DAYS"],
        default_approval_days=current_app.config["LOGBOOK_APPROVAL_DAYS"],
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _date(key: str, value: Any) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, date):
        parsed = value
    elif not isinstance(value, str):
        raise ValidationFailed.for_field(key, _("Enter a date as YYYY-MM-DD."), "invalid_date")
    else:
        try:
            parsed = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationFailed.for_field(key, _("Enter a date as YYYY-MM-DD."), "invalid_date") from None
    if not EARLIEST_BAN <= parsed <= LATEST_BAN:
        raise ValidationFailed.for_field(key, _("Enter a date between %(first)s and %(last)s.",
                                                first=EARLIEST_BAN.isoformat(), last=LATEST_BAN.isoformat()),
                                         "out_of_range")
    return parsed


def _threshold(value: Any) -> Decimal | None:
    if _blank(value) or value == "default":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValidationFailed.for_field("leak_rate_threshold", _("Give a percentage between 0 and 100."),
                                         "invalid_number")
    try:
        parsed = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValidationFailed.for_field("leak_rate_threshold", _("Give a percentage between 0 and 100."),
                                         "invalid_number") from None
    if not parsed.is_finite() or not 0 < parsed <= 100 or parsed != parsed.quantize(Decimal("0.01")):
        raise ValidationFailed.for_field("leak_rate_threshold", _("Give a percentage between 0 and 100."),
                                         "out_of_range")
    return parsed


def _days(key: str, value: Any) -> int | None:
    if _blank(value) or value == "default":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationFailed.for_field(key, _("Give a whole number of days."), "invalid_number")
    try:
        parsed = int(str(value).strip())
    except ValueError:
        raise ValidationFailed.for_field(key, _("Give a whole number of days."), "invalid_number") from None
    if not 0 <= parsed <= MAX_DAYS:
        raise ValidationFailed.for_field(key, _("Give a number of days between 0 and %(n)s.", n=MAX_DAYS),
                                         "out_of_range")
    return parsed


def _flag(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "0", "false", "no", "n")):
        return False
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "y", "on"):
        return True
    raise ValidationFailed.for_field(key, _("Give true or false."), "invalid_choice")


def _text(key: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed.for_field(key, _("Enter text."), "invalid_type")
    text = value.replace("\r\n", "\n").strip()
    if len(text) > MAX_PENALTIES:
        raise ValidationFailed.for_field(key, _("At most %(n)s characters.", n=MAX_PENALTIES), "too_long")
    return text


def update_settings(actor: Actor, country_code: str, changes: Mapping[str, Any]) -> CountryRules:
    """Change some of a country's settings; keys not given are left as they are.

    Keys (:func:`setting_keys`): ``ban_A_I`` … ``ban_E_I`` (a date, or empty/None: the
    Protocol's default), ``used_ods_sales`` (``allowed``, ``reclaimed_only``, ``none``),
    ``leak_rate_threshold`` (a percentage, or empty/None/``default``: the server's
    setting), ``penalties_<language>`` (text for the public rules page).

    :raise ValidationFailed: an unknown key (``unknown_setting``) or a bad value, on its key.
    """
    # One piece on purpose: every change is parsed before anything is written (nothing half-written).
    actor.require(can_manage(actor, country_code))
    country(country_code)
    known = setting_keys()
    unknown = [k for k in changes if k not in known]
    if unknown:
        message = _("Unknown setting. Known: %(keys)s.", keys=", ".join(known))
        raise ValidationFailed(message, code="unknown_setting",
                               fields={k: [FieldError(message, "unknown_setting")] for k in unknown})
    before_rules = country_rules(country_code)
    before, after = before_rules.values(), {}

    # parse everything before changing anything
    new_bans = {BAN_KEYS[k]: _date(k, v) for k, v in changes.items() if k in BAN_KEYS}
    policy = None
    if "used_ods_sales" in changes:
        try:
            value = changes["used_ods_sales"]
            policy = UsedOdsSales(value if isinstance(value, str) else "")
        except ValueError:
            raise ValidationFailed.for_field("used_ods_sales", _("Not a valid choice."), "invalid_choice") from None
    threshold = _threshold(changes["leak_rate_threshold"]) if "leak_rate_threshold" in changes else None
    texts = {lang: _text(penalties_key(lang), changes[penalties_key(lang)])
             for lang in languages() if penalties_key(lang) in changes}
    entry_rules: dict[str, Any] = {}
    for key in ("company_certificate_required", "licences_required"):
        if key in changes:
            entry_rules[key] = _flag(key, changes[key])
    for key in ("late_entry_days", "approval_days"):
        if key in changes:
            entry_rules[key] = _days(key, changes[key])
    late = entry_rules.get("late_entry_days", before_rules.late_entry_days)
    approval = entry_rules.get("approval_days", before_rules.approval_days)
    effective_late = late if late is not None else before_rules.default_late_entry_days
    effective_approval = approval if approval is not None else before_rules.default_approval_days
    if ("late_entry_days" in entry_rules or "approval_days" in entry_rules) and effective_approval < effective_late:
        raise ValidationFailed.for_field("approval_days", _("The days before an approval is needed cannot be fewer "
                                                            "than the days before a reason is needed."),
                                         "out_of_range")

    for group, value in new_bans.items():
        row = db.session.get(CountryBanDate, (country_code, group))
        if value is None and row is not None:
            db.session.delete(row)
        elif value is not None and row is None:
            db.session.add(CountryBanDate(country_code=country_code, control_group=group, ban_date=value))
        elif value is not None:
            row.ban_date, row.updated_at = value, utcnow()
        after[ban_key(group)] = value
    if "used_ods_sales" in changes or "leak_rate_threshold" in changes:
        new_policy = policy or before_rules.used_ods_sales
        new_threshold = threshold if "leak_rate_threshold" in changes else before_rules.leak_rate_threshold
        logbook_settings.update_settings(actor, country_code, used_ods_sales=new_policy.value,
                                leak_rate_threshold=new_threshold)
        after["used_ods_sales"], after["leak_rate_threshold"] = new_policy.value, new_threshold
    if entry_rules:
        logbook_settings.update_entry_rules(country_code, **entry_rules)
        after.update(entry_rules)
    for lang, text in texts.items():
        row = db.session.get(CountryRulesText, (country_code, lang))
        if row is None:
            db.session.add(CountryRulesText(country_code=country_code, language=lang, penalties=text))
        else:
            row.penalties, row.updated_at = text, utcnow()
        after[penalties_key(lang)] = text
    db.session.flush()
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if changed:
        audit.record(actor, "country_settings.update", object_type="country", object_id=country_code,
                     country_code=country_code,
                     summary=audit.msg("Settings of %(country)s: %(keys)s", country=country_code,
                                       keys=", ".join(sorted(changed))),
                     before={k: before.get(k) for k in changed}, after=changed)
        logger.info("country %s settings changed by %s: %s", country_code, actor.label, sorted(changed))
    return country_rules(country_code)


# --- the public rules page ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublicBan:
    control_group: str
    label: str
    date: date
    national: bool  # set by the country (True) or the Protocol's default
    in_force: bool


def public_rules(country_code: str, language: str, today: date | None = None) -> dict[str, Any]:
    """What the public page of a country states: its Party group, bans in force and to come, penalties text,
    and the rules other features keep (:mod:`.rule_sections`: ``sections``, each a template and its facts)."""
    found = country(country_code)
    rules = country_rules(found.code)
    today = today or utc_today()
    bans = [PublicBan(b.control_group, b.label, b.effective, b.override is not None, b.effective <= today)
            for b in sorted(rules.bans, key=lambda b: (b.effective, b.control_group))]
    penalties = rules.penalties.get(language) or ""
    fallback = None
    if not penalties:  # the text in another of the installation's languages rather than nothing
        fallback = next((lang for lang in languages() if rules.penalties.get(lang)), None)
        penalties = rules.penalties.get(fallback, "") if fallback else ""
    return {"country": found, "rules": rules, "bans": bans, "penalties": penalties,
            "penalties_language": fallback or language, "used_ods_sales": rules.used_ods_sales,
            "sections": rule_sections.stated(found.code, today)}  # the other features' rules: cylinders
