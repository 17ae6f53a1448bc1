"""The licence register: issuing licences, changing their status (audited), and checking an import against them.

Services flush, never commit. Codes (stable): ``licence_unknown``, ``licence_not_active``,
``licence_wrong_direction``, ``licence_not_valid_on_date``, ``licence_substance_not_covered``,
``licence_partner_not_covered``, ``licence_cap_exceeded``, ``licence_cap_odp_exceeded``,
``licence_cap_co2e_exceeded`` (:mod:`certreg.licences.caps`); on issuing: ``licence_number_taken``,
``licence_activity_missing``, ``required``, ``invalid_date``, ``invalid_number``, ``invalid_choice``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.db import utcnow
from certreg.errors import NotFound, ValidationFailed
from certreg.extensions import db
from certreg.licences import caps
from certreg.licences.models import Licence, LicenceDirection, LicenceStatus
from certreg.registry.models import Company
from certreg.vocabulary import Role

logger = logging.getLogger(__name__)

LICENSING_ROLES = (Role.ADMIN, Role.CERTIFYING_OFFICER)
#: The registered activity a company needs to hold a licence of each direction.
DIRECTION_ACTIVITY = {LicenceDirection.IMPORT: "importer", LicenceDirection.EXPORT: "exporter"}
MAX_LIST = 16
HS_CODE_RE = re.compile(r"[0-9.]{1,16}", re.ASCII)
NUMBER_RE = re.compile(r"[!-~](?:[ -~]*[!-~])?", re.ASCII)
COUNTRY_CODE_RE = re.compile(r"[A-Z]{2}", re.ASCII)
STATUS_CHANGES = {LicenceStatus.SUSPENDED, LicenceStatus.REVOKED, LicenceStatus.ACTIVE, LicenceStatus.EXPIRED}


@dataclass
class LicenceData:
    """A licence as asked for (all text, as typed on any surface)."""

    number: str
    company_registration: str
    direction: str
    scope: list[str]
    cap_kg: str | Decimal
    valid_from: str | date
    valid_until: str | date
    issuing_authority: str
    partner_countries: list[str] = field(default_factory=list)
    hs_codes: list[str] = field(default_factory=list)
    cap_odp_t: str | Decimal | None = None
    cap_co2e_t: str | Decimal | None = None


def can_manage(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, *LICENSING_ROLES)


def can_list(actor: Actor, country_code: str) -> bool:
    """The country's register: its administrators, certifying officers, inspectors and auditors."""
    return can_manage(actor, country_code) or actor.in_country(country_code, Role.INSPECTOR, Role.AUDITOR)


def can_view(actor: Actor, licence: Licence) -> bool:
    """One licence (and its document): the country's officials above, and the holder company's users."""
    return can_list(actor, licence.country_code) or actor.acts_for_company(licence.company_id)


def _bad(name: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed.for_field(name, message, code)


def _date(name: str, value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise _bad(name, _("Enter a date as YYYY-MM-DD."), "invalid_date") from None


def _amount(name: str, value: Any, *, required: bool) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _bad(name, _("Enter the amount."), "required")
        return None
    try:
        parsed = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise _bad(name, _("Enter a positive number."), "invalid_number") from None
    if not parsed.is_finite() or parsed <= 0 or parsed >= Decimal("1e11"):
        raise _bad(name, _("Enter a positive number."), "invalid_number")
    return parsed


def _codes(values: Iterable[str]) -> list[str]:
    return sorted({v.strip().upper() for v in values if v and v.strip()})


def _terms(country_code: str, data: LicenceData) -> tuple[Company, dict[str, Any]]:
    """The licence's terms from ``data``, every rule checked. :raise ValidationFailed: on the field at fault."""
    try:
        direction = LicenceDirection(data.direction)
    except ValueError:
        raise _bad("direction", _("Not a valid choice."), "invalid_choice") from None
    company = db.session.scalar(sa.select(Company).where(Company.country_code == country_code,
                                                         Company.registration_number == data.company_registration))
    if company is None:
        raise _bad("company_registration", _("No company with this registration number in this country."),
                   "unknown_company")
    activity = DIRECTION_ACTIVITY[direction]
    if activity not in {a.value for a in company.activity_set}:
        raise _bad("company_registration", _("The company is not registered with the activity “%(activity)s”.",
                                             activity=activity), "licence_activity_missing")
    scope = sorted({s.strip() for s in data.scope if s and s.strip()})
    if not scope:
        raise _bad("scope", _("Name the substances or control groups the licence covers."), "required")
    if len(scope) > MAX_LIST or any(len(s) > 32 or not s.isascii() or not s.isprintable() for s in scope):
        raise _bad("scope", _("Up to %(count)s codes of at most 32 Latin letters, digits or signs.", count=MAX_LIST),
                   "invalid_code")
    hs_codes = sorted({h.strip() for h in data.hs_codes if h and h.strip()})
    if len(hs_codes) > MAX_LIST or any(not HS_CODE_RE.fullmatch(h) for h in hs_codes):
        raise _bad("hs_codes", _("Up to %(count)s HS codes of digits and dots (e.g. 2903.71).", count=MAX_LIST),
                   "invalid_code")
    valid_from, valid_until = _date("valid_from", data.valid_from), _date("valid_until", data.valid_until)
    if valid_until < valid_from:
        raise _bad("valid_until", _("The licence cannot end before it starts."), "invalid_date")
    partners = _codes(data.partner_countries)
    if country_code in partners:
        raise _bad("partner_countries", _("A partner country is another country."), "invalid_choice")
    if len(partners) > 32 or any(not COUNTRY_CODE_RE.fullmatch(p) for p in partners):
        raise _bad("partner_countries", _("Give ISO country codes of two letters (e.g. CN)."), "invalid_code")
    authority = (data.issuing_authority or "").strip()
    if not authority:
        raise _bad("issuing_authority", _("Name the issuing authority."), "required")
    return company, dict(
        company_id=company.id, direction=direction, scope=scope, hs_codes=hs_codes, partner_countries=partners,
        cap_kg=_amount("cap_kg", data.cap_kg, required=True),
        cap_odp_t=_amount("cap_odp_t", data.cap_odp_t, required=False),
        cap_co2e_t=_amount("cap_co2e_t", data.cap_co2e_t, required=False),
        valid_from=valid_from, valid_until=valid_until, issuing_authority=authority)


def _number(data: LicenceData) -> str:
    number = (data.number or "").strip()
    if not number:
        raise _bad("number", _("Enter the licence number."), "required")
    if len(number) > 64 or not NUMBER_RE.fullmatch(number):
        raise _bad("number", _("Use Latin letters, digits, spaces and signs (at most 64)."), "invalid_code")
    return number


def issue(actor: Actor, country_code: str, data: LicenceData) -> Licence:
    """Issue a licence to a company of the country. :raise ValidationFailed: on the field at fault."""
    actor.require(can_manage(actor, country_code))
    number = _number(data)
    company, terms = _terms(country_code, data)
    if db.session.scalar(sa.select(Licence.id).where(Licence.country_code == country_code,
                                                     Licence.number == number)) is not None:
        raise _bad("number", _("A licence with this number exists."), "licence_number_taken")
    licence = Licence(country_code=country_code, number=number, status=LicenceStatus.ACTIVE, **terms)
    db.session.add(licence)
    db.session.flush()
    direction, scope, valid_until = terms["direction"], terms["scope"], terms["valid_until"]
    audit.record(actor, "licence.issue", licence, country_code=country_code,
                 summary=audit.msg("Issued %(direction)s licence %(number)s", direction=direction.value,
                                   number=number),
                 after={"number": number, "company": company.registration_number, "direction": direction.value,
                        "scope": scope, "cap_kg": str(licence.cap_kg), "valid_until": valid_until.isoformat()})
    logger.info("licence %s issued in %s by %s", number, country_code, actor.label)
    return licence


def _snapshot(licence: Licence) -> dict[str, Any]:
    return {"company_id": licence.company_id, "direction": licence.direction.value, "scope": list(licence.scope),
            "hs_codes": list(licence.hs_codes), "partner_countries": list(licence.partner_countries),
            "cap_kg": str(licence.cap_kg), "cap_odp_t": str(licence.cap_odp_t), "cap_co2e_t": str(licence.cap_co2e_t),
            "valid_from": licence.valid_from.isoformat(), "valid_until": licence.valid_until.isoformat(),
            "issuing_authority": licence.issuing_authority}


def update(actor: Actor, licence: Licence, data: LicenceData, reason: str) -> Licence:
    """Change a licence's terms (not its number), with the reason (audited). A printed document of the old
    terms is replaced: the next print is signed anew, and the online check calls the old one replaced.

    :raise ValidationFailed: on the field at fault; ``licence_holder_fixed``; ``reason_required``;
        ``licence_revoked``.
    """
    actor.require(can_manage(actor, licence.country_code))
    if licence.status is LicenceStatus.REVOKED:
        raise _bad("reason", _("A revoked licence cannot be changed."), "licence_revoked")
    _company, terms = _terms(licence.country_code, data)
    if terms["company_id"] != licence.company_id:
        raise _bad("company_registration", _("A licence stays with its holder: issue a new licence to another "
                                             "company."), "licence_holder_fixed")
    reason = (reason or "").strip()
    if not reason:
        raise _bad("reason", _("Give the reason."), "reason_required")
    before = _snapshot(licence)
    for name, value in terms.items():
        setattr(licence, name, value)
    after = _snapshot(licence)
    if after == before:
        return licence
    licence.token, licence.kid, licence.updated_at = None, None, utcnow()
    db.session.flush()
    audit.record(actor, "licence.update", licence, country_code=licence.country_code, reason=reason,
                 summary=audit.msg("Changed the terms of licence %(number)s", number=licence.number),
                 before={k: v for k, v in before.items() if after[k] != v},
                 after={k: v for k, v in after.items() if before[k] != v})
    return licence


#: Built once (the border check and every licence look-up ask): bound per country and number.
_BY_NUMBER = sa.select(Licence).where(Licence.country_code == sa.bindparam("country"),
                                      Licence.number == sa.bindparam("number"))


def get(actor: Actor | None, country_code: str, number: str) -> Licence:
    """:raise NotFound: ``licence_unknown``."""
    licence = db.session.scalar(_BY_NUMBER, {"country": country_code, "number": (number or "").strip()})
    if licence is None:
        raise NotFound(_("No licence with this number."), code="licence_unknown")
    return licence


def change_status(actor: Actor, licence: Licence, status: str, reason: str) -> Licence:
    """Suspend, revoke, reinstate or expire a licence, with the reason (audited). A revoked licence stays revoked.

    :raise ValidationFailed: ``invalid_choice``, ``reason_required``, ``licence_revoked``.
    """
    actor.require(can_manage(actor, licence.country_code))
    try:
        new = LicenceStatus(status)
    except ValueError:
        raise _bad("status", _("Not a valid choice."), "invalid_choice") from None
    reason = (reason or "").strip()
    if not reason:
        raise _bad("reason", _("Give the reason."), "reason_required")
    if licence.status is LicenceStatus.REVOKED:
        raise _bad("status", _("A revoked licence cannot change its status."), "licence_revoked")
    before = licence.status
    licence.status, licence.status_reason, licence.updated_at = new, reason, utcnow()
    db.session.flush()
    audit.record(actor, "licence.status", licence, country_code=licence.country_code, reason=reason,
                 summary=audit.msg("Licence %(number)s: %(status)s", number=licence.number, status=new.value),
                 before={"status": before.value}, after={"status": new.value})
    return licence


def covers(licence: Licence, substance_code: str, groups: Iterable[str]) -> bool:
    """The licence's scope names the substance, one of its control groups (``C/I``), or the annex of one
    (``F``: every group of Annex F, as the Kigali Amendment controls HFCs together)."""
    scope = set(licence.scope)
    groups = set(groups)
    return substance_code in scope or bool(scope & (groups | {group.split("/")[0] for group in groups}))


def check(licence: Licence | None, *, company_id: int, direction: LicenceDirection, substance_code: str,
          groups: Iterable[str], on: date, partner_country: str | None, kg: Decimal,
          used: Callable[[Licence], Mapping[str, Decimal]]) -> Licence:
    """The licence allows this import (or export) by this company: every condition, each with its code.
    ``used`` answers the kilograms already recorded against the licence, per substance (the logbook knows
    them: :func:`certreg.logbook.queries.licence_used`); it is asked last, when every other condition holds,
    for the caps in kg, ODP tonnes and CO2-eq tonnes (:func:`certreg.licences.caps.check`).

    :raise ValidationFailed: on ``import_licence`` (or ``export_licence``).
    """
    name = "import_licence" if direction is LicenceDirection.IMPORT else "export_licence"
    if licence is None or licence.company_id != company_id:
        raise _bad(name, _("No licence with this number was issued to this company."), "licence_unknown")
    if licence.direction is not direction:
        raise _bad(name, _("This licence is for the other direction."), "licence_wrong_direction")
    if licence.status is not LicenceStatus.ACTIVE:
        raise _bad(name, _("This licence is %(status)s.", status=licence.status.value), "licence_not_active")
    if not licence.valid_from <= on <= licence.valid_until:
        raise _bad(name, _("The licence is valid from %(start)s to %(end)s.", start=licence.valid_from.isoformat(),
                           end=licence.valid_until.isoformat()), "licence_not_valid_on_date")
    if not covers(licence, substance_code, groups):
        raise _bad(name, _("The licence does not cover %(substance)s.", substance=substance_code),
                   "licence_substance_not_covered")
    if licence.partner_countries and (partner_country or "").upper() not in licence.partner_countries:
        raise _bad(name, _("The licence does not cover trade with %(country)s.", country=partner_country or "?"),
                   "licence_partner_not_covered")
    caps.check(licence, name, substance_code, kg, caps.usage(used(licence)))
    return licence


def listing(actor: Actor, country_code: str) -> list[Licence]:
    actor.require(can_list(actor, country_code))
    return list(db.session.scalars(sa.select(Licence).where(Licence.country_code == country_code)
                                   .order_by(Licence.number)))


def visible_licences(actor: Actor) -> list[Licence]:
    """The licences a user may see: the country's register for its officials, a company's own for its users.

    :raise Forbidden: anyone else.
    """
    user = actor.user
    if user is not None and actor.has_role(Role.COMPANY_USER) and user.company_id is not None:
        return list(db.session.scalars(sa.select(Licence).where(Licence.company_id == user.company_id)
                                       .order_by(Licence.number)))
    return listing(actor, actor.country_code or "")


def find_by_number(actor: Actor, country_code: str, number: str) -> Licence:
    """One licence by country and number, if the actor may see it. :raise NotFound: ``licence_unknown``."""
    licence = get(actor, country_code, number)
    if not can_view(actor, licence):
        raise NotFound(_("No licence with this number."), code="licence_unknown")
    return licence


def find(actor: Actor, licence_id: int) -> Licence:
    """One licence by its record number. :raise NotFound: unknown, or not the actor's to see (``licence_unknown``)."""
    licence = db.session.get(Licence, licence_id)
    if licence is None or not can_view(actor, licence):
        raise NotFound(_("No licence with this number."), code="licence_unknown")
    return licence
