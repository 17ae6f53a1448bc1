"""Certificate rules: issue, renew, suspend, reinstate, revoke; who sees what; purchase checks.

State machine (``state_on(certificate, day)`` computes the state; only the stored
status is written)::

    issue ─► ACTIVE ──suspend──► SUSPENDED ──reinstate──► ACTIVE
               │  ▲                  │ (the day after suspended_until it is ACTIVE
               │  └── (lapsed) ──────┘  again by itself: no job needed)
               ├──renew──► SUPERSEDED (final; the new certificate replaces it)
               └──revoke─► REVOKED (final; also from SUSPENDED)
    EXPIRED and NOT_YET_VALID are read from the dates of an ACTIVE certificate.

Allowed transitions (else :class:`InvalidState` with a stable code):

* suspend: valid or not yet valid (a lapsed suspension counts as valid);
* reinstate: suspended (the suspension still running);
* renew: valid, not yet valid or expired; never suspended, revoked or superseded;
* revoke: anything but revoked or superseded.

Only **certifying officers of the holder's country** (and the ``flask`` command line)
issue, renew, suspend, reinstate and revoke. Administrators manage categories and users
but do not certify: separation of duties, so no single account can both create an
officer and issue. Officials of the country read everything; holders read their own.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from certreg import database
from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.auth.models import OFFICIAL_ROLES, Role
from certreg.certificates import categories as catdata
from certreg.certificates import numbers, ratelimit, scanlog, signing
from certreg.certificates.models import (
    CategoryScheme,
    Certificate,
    CertificateCategory,
    CertificateCategoryLink,
    CertificateCounter,
    CertificateEvent,
    CertificateScan,
    CertificateStatus,
    EventAction,
    HolderKind,
)
from certreg.db import utcnow
from certreg.errors import InvalidState, NotFound, RateLimited, ValidationFailed
from certreg.extensions import db
from certreg.registry.models import Company, Country, Employment, IssuingAuthority, Technician

if TYPE_CHECKING:
    from certreg.keys.models import SigningKey

logger = logging.getLogger(__name__)

CERTIFIERS = (Role.CERTIFYING_OFFICER,)
STATUS_COUNTER = "status"


class State(enum.StrEnum):
    """What a certificate is on a given day."""

    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


def today() -> date:
    return utcnow().date()


# --- states ------------------------------------------------------------------------


def suspension_running(cert: Certificate, day: date) -> bool:
    return (
        cert.status is CertificateStatus.SUSPENDED
        and cert.suspended_from is not None
        and cert.suspended_from <= day
        and (cert.suspended_until is None or day <= cert.suspended_until)
    )


def state_on(cert: Certificate, day: date) -> State:
    """The certificate's state on ``day``: status first, then dates.

    A revocation or replacement counts from the day it happened, so a purchase
    recorded for an earlier day is judged as it stood then.
    """
    if cert.revoked_at is not None and day >= cert.revoked_at.date():
        return State.REVOKED
    if cert.superseded_at is not None and day >= cert.superseded_at.date():
        return State.SUPERSEDED
    if suspension_running(cert, day):
        return State.SUSPENDED
    if day < cert.valid_from:
        return State.NOT_YET_VALID
    if day > cert.valid_until:
        return State.EXPIRED
    return State.VALID


def status_list_value(cert: Certificate, day: date) -> int:
    """The certificate's entry in its country's status list (signing.py section 7)."""
    if cert.status is CertificateStatus.REVOKED:
        return signing.STATUS_INVALID
    if cert.status is CertificateStatus.SUPERSEDED:
        return signing.STATUS_SUPERSEDED
    if suspension_running(cert, day):
        return signing.STATUS_SUSPENDED
    return signing.STATUS_VALID


# --- who may do what -----------------------------------------------------------------


def can_certify(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, *CERTIFIERS)


def can_manage_categories(actor: Actor, country_code: str | None) -> bool:
    return actor.is_system or (country_code is not None and actor.in_country(country_code, Role.ADMIN))


def can_view(actor: Actor, cert: Certificate) -> bool:
    """Officials of the issuing country, the holder, and a company for its current staff."""
    if actor.is_system or actor.in_country(cert.country_code, *OFFICIAL_ROLES):
        return True
    if cert.holder_kind is HolderKind.TECHNICIAN:
        if actor.acts_for_technician(cert.technician_id):
            return True
        if actor.has_role(Role.COMPANY_USER):
            return db.session.scalar(
                sa.select(Employment.id).where(
                    Employment.technician_id == cert.technician_id,
                    Employment.company_id == actor.user.company_id,
                    Employment.ended_on.is_(None),
                )
            ) is not None
        return False
    return actor.acts_for_company(cert.company_id)


def can_list(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, *OFFICIAL_ROLES)


# --- look-ups ------------------------------------------------------------------------


def find_by_number(text: str) -> Certificate | None:
    """The certificate with number ``text`` (tolerant of case and spacing), or ``None``."""
    try:
        number = numbers.parse_number(text).canonical
    except ValueError:
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.number == number))


def unknown_number() -> NotFound:
    return NotFound(_("No certificate with this number (check the digits)."), code="unknown_certificate")


def invalid_date(field: str) -> ValidationFailed:
    return ValidationFailed.for_field(field, _("Use the form YYYY-MM-DD."), "invalid_date")


def get_certificate(actor: Actor, number: str) -> Certificate:
    """:raise NotFound: malformed, unknown, or not visible to the actor."""
    cert = find_by_number(number)
    if cert is None or not can_view(actor, cert):
        raise NotFound()
    return cert


def holder_of(kind: HolderKind | str, holder_id: int) -> Technician | Company | None:
    model = Technician if HolderKind(kind) is HolderKind.TECHNICIAN else Company
    return db.session.get(model, holder_id)


def _holder_column(kind: HolderKind | str):
    return Certificate.technician_id if HolderKind(kind) is HolderKind.TECHNICIAN else Certificate.company_id


def holder_certificates(kind: HolderKind | str, holder_id: int) -> list[Certificate]:
    """All certificates of a holder, newest first."""
    return list(db.session.scalars(
        sa.select(Certificate).where(_holder_column(kind) == holder_id).order_by(Certificate.id.desc())
    ))


def current_certificate(kind: HolderKind | str, holder_id: int) -> Certificate | None:
    """The holder's active or suspended certificate (at most one exists), or ``None``."""
    return db.session.scalar(
        sa.select(Certificate).where(
            _holder_column(kind) == holder_id,
            Certificate.status.in_([CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED]),
        )
    )


def certificate_for_holder(kind: HolderKind | str, holder_id: int, on_date: date) -> Certificate | None:
    """The certificate that speaks for the holder on ``on_date``.

    The one valid that day if any; otherwise the current one (so its state explains the
    refusal); otherwise the most recent one; ``None`` if the holder never had one.
    """
    certificates = holder_certificates(kind, holder_id)
    for cert in certificates:
        if state_on(cert, on_date) is State.VALID:
            return cert
    return current_certificate(kind, holder_id) or (certificates[0] if certificates else None)


# --- categories ------------------------------------------------------------------------


def active_categories(holder_kind: HolderKind | str | None = None, country_code: str | None = None,
                      *, include_inactive: bool = False) -> list[CertificateCategory]:
    """International categories plus the national scopes of ``country_code``."""
    query = sa.select(CertificateCategory)
    if holder_kind is not None:
        query = query.where(CertificateCategory.holder_kind == HolderKind(holder_kind))
    if country_code is not None:
        query = query.where(sa.or_(CertificateCategory.country_code.is_(None),
                                   CertificateCategory.country_code == country_code))
    if not include_inactive:
        query = query.where(CertificateCategory.is_active)
    return list(db.session.scalars(query.order_by(CertificateCategory.sort_order, CertificateCategory.code)))


def _categories_for(codes: Sequence[str], holder_kind: HolderKind, country_code: str,
                    valid_until: date) -> list[CertificateCategory]:
    wanted = [c.strip().upper() for c in codes if c and c.strip()]
    if not wanted:
        raise ValidationFailed.for_field("categories", _("Choose at least one category."), "required")
    if len(set(wanted)) != len(wanted):
        raise ValidationFailed.for_field("categories", _("A category is listed twice."), "duplicate_category")
    if len(wanted) > signing.MAX_CATEGORIES:
        raise ValidationFailed.for_field("categories", _("Too many categories."), "too_many_categories")
    found = {c.code: c for c in active_categories(holder_kind, country_code)}
    result = []
    for code in wanted:
        category = found.get(code)
        if category is None:
            raise ValidationFailed.for_field(
                "categories",
                _("Category %(code)s does not exist for this kind of holder in this country.", code=code),
                "unknown_category",
            )
        if category.valid_until is not None and valid_until > category.valid_until:
            raise ValidationFailed.for_field(
                "valid_until",
                _("Category %(code)s counts only until %(date)s; end the certificate by then.",
                  code=code, date=category.valid_until.isoformat()),
                "category_ends_earlier",
            )
        result.append(category)
    return result


@dataclass
class CategoryData:
    country_code: str
    code: str
    name_en: str
    name_ru: str
    activities: list[str]
    substances: list[str]
    holder_kind: str = "technician"


def create_national_scope(actor: Actor, data: CategoryData) -> CertificateCategory:
    """A national category of ``country_code`` (administrators of that country)."""
    country = db.session.get(Country, (data.country_code or "").upper())
    if country is None:
        raise ValidationFailed.for_field("country_code", _("Unknown country."), "unknown_country")
    actor.require(can_manage_categories(actor, country.code))
    code = (data.code or "").strip().upper()
    if not catdata.CODE_RE.fullmatch(code) or not code.startswith(country.code + "-"):
        raise ValidationFailed.for_field(
            "code", _("Use %(country)s- followed by letters and digits, at most 16 characters in all.",
                      country=country.code), "invalid_code")
    if db.session.scalar(sa.select(CertificateCategory.id).where(CertificateCategory.code == code)):
        raise ValidationFailed.for_field("code", _("This code is already in use."), "duplicate_code")
    try:
        activities = catdata.parse_activities(data.activities)
        substances = catdata.parse_substances(data.substances)
    except catdata.CategoryDataError:
        raise ValidationFailed.for_field("activities", _("Choose from the listed values."), "invalid_choice") from None
    if not activities:
        raise ValidationFailed.for_field("activities", _("Choose at least one activity."), "required")
    if not substances:
        raise ValidationFailed.for_field("substances", _("Choose at least one substance class."), "required")
    try:
        holder_kind = HolderKind(data.holder_kind)
    except ValueError:
        raise ValidationFailed.for_field("holder_kind", _("Choose from the listed values."), "invalid_choice") from None
    category = CertificateCategory(
        code=code, scheme=CategoryScheme.NATIONAL, country_code=country.code, holder_kind=holder_kind,
        activities=sorted(a.value for a in activities), substances=sorted(substances),
        names={"en": data.name_en.strip(), "ru": data.name_ru.strip()}, source=f"National scope of {country.code}",
        sort_order=300,
    )
    db.session.add(category)
    db.session.flush()
    audit.record(actor, "certificate_category.create", category, object_id=code, country_code=country.code,
                 summary=audit.msg("National certificate scope %(code)s", code=code),
                 after={"activities": category.activities, "substances": category.substances, "names": category.names})
    return category


def sync_builtin_categories(actor: Actor) -> list[str]:
    """Make the built-in categories match ``categories.csv``; returns the codes added or changed."""
    actor.require(actor.is_system)
    changed = []
    existing = {c.code: c for c in db.session.scalars(sa.select(CertificateCategory))}
    for d in catdata.load_definitions():
        values = dict(
            scheme=d.scheme, holder_kind=HolderKind(d.holder_kind), country_code=None,
            activities=sorted(a.value for a in d.activities), substances=sorted(d.substances),
            max_charge_kg=str(d.max_charge_kg) if d.max_charge_kg is not None else None,
            valid_until=d.valid_until, names=dict(d.names), source=d.source, sort_order=d.sort_order,
        )
        row = existing.get(d.code)
        if row is None:
            db.session.add(CertificateCategory(code=d.code, **values))
            changed.append(d.code)
            continue
        current = {k: getattr(row, k) for k in values}
        current["activities"], current["substances"] = sorted(row.activities), sorted(row.substances)
        if current != values:
            for key, value in values.items():
                setattr(row, key, value)
            changed.append(d.code)
    db.session.flush()
    if changed:
        audit.record(actor, "certificate_category.sync", object_type="certificate_category",
                     summary=audit.msg("Built-in categories synchronised: %(codes)s", codes=", ".join(changed)))
    return changed


# --- counters ------------------------------------------------------------------------


def allocate(country_code: str, name: str) -> int:
    """Next value of a per-country counter (first value 1), with one atomic upsert.

    Two transactions never get the same value: PostgreSQL locks the row until the
    first commits; SQLite writers are serialised by ``BEGIN IMMEDIATE``.
    """
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CertificateCounter)
    table = CertificateCounter.__table__
    stmt = (
        insert.values(country_code=country_code, name=name, value=1)
        .on_conflict_do_update(index_elements=[table.c.country_code, table.c.name],
                               set_={"value": table.c.value + 1})
        .returning(table.c.value)
    )
    return db.session.execute(stmt).scalar_one()


# --- lifecycle ---------------------------------------------------------------------------


@dataclass
class IssueData:
    holder_kind: str
    holder_id: int
    categories: list[str]
    valid_from: date
    valid_until: date
    authority_id: int | None = None


def _event(actor: Actor, cert: Certificate, action: EventAction, reason: str | None = None,
           details: dict | None = None) -> None:
    db.session.add(CertificateEvent(certificate=cert, action=action, actor_user_id=actor.user_id,
                                    actor_label=actor.label, reason=reason, details=details))


def _snapshot(cert: Certificate) -> dict:
    return {
        "number": cert.number, "status": cert.status.value, "valid_from": cert.valid_from.isoformat(),
        "valid_until": cert.valid_until.isoformat(), "categories": cert.category_codes,
        "suspended_from": cert.suspended_from.isoformat() if cert.suspended_from else None,
        "suspended_until": cert.suspended_until.isoformat() if cert.suspended_until else None,
    }


def _check_dates(valid_from: date, valid_until: date) -> None:
    if valid_until < valid_from:
        raise ValidationFailed.for_field("valid_until", _("The end date cannot be before the start date."),
                                         "dates_out_of_order")
    years = current_app.config["CERTIFICATE_MAX_YEARS"]
    try:
        limit = valid_from.replace(year=valid_from.year + years)
    except ValueError:  # 29 February
        limit = valid_from.replace(year=valid_from.year + years, day=28)
    if valid_until > limit:
        raise ValidationFailed.for_field(
            "valid_until", _("A certificate may be valid for at most %(years)s years.", years=years), "too_long")
    if valid_from < date(1970, 1, 1):
        raise ValidationFailed.for_field("valid_from", _("Enter a real date."), "implausible_date")


def _resolve_holder(kind: str, holder_id: int) -> tuple[HolderKind, Technician | Company]:
    try:
        holder_kind = HolderKind(kind)
    except ValueError:
        raise ValidationFailed.for_field("holder_kind", _("Choose technician or company."), "invalid_choice") from None
    holder = holder_of(holder_kind, holder_id) if holder_id else None
    if holder is None:
        raise ValidationFailed.for_field("holder_id", _("No such technician or company."), "unknown_holder")
    return holder_kind, holder


def _holder_name(holder_kind: HolderKind, holder: Technician | Company) -> str:
    return holder.full_name_latin if holder_kind is HolderKind.TECHNICIAN else holder.name_latin


def _authority(country_code: str, authority_id: int | None) -> IssuingAuthority:
    query = sa.select(IssuingAuthority).where(IssuingAuthority.country_code == country_code)
    if authority_id:
        query = query.where(IssuingAuthority.id == authority_id)
    authority = db.session.scalar(query.order_by(IssuingAuthority.id))
    if authority is None:
        raise ValidationFailed.for_field("authority_id", _("No such issuing authority in this country."),
                                         "unknown_authority")
    return authority


def _sign(cert: Certificate) -> None:
    from certreg.keys import services as keys

    try:
        key = keys.active_key(cert.country_code)
    except NotFound as exc:
        raise InvalidState(exc.message, code=exc.code) from None
    claims = signing.CertificateClaims(
        number=cert.number, holder_name=cert.holder_name, holder_kind=cert.holder_kind.value,
        country=cert.country_code, categories=tuple(cert.category_codes), valid_from=cert.valid_from,
        valid_until=cert.valid_until, status_index=cert.status_index,
    )
    cert.token = signing.encode_token(claims, key.private_key)
    cert.kid = key.kid


def _new_certificate(actor: Actor, holder_kind: HolderKind, holder: Technician | Company,
                     data: IssueData) -> Certificate:
    _check_dates(data.valid_from, data.valid_until)
    categories = _categories_for(data.categories, holder_kind, holder.country_code, data.valid_until)
    name = _holder_name(holder_kind, holder)
    try:
        signing._check_issuable(signing.CertificateClaims(
            number="X", holder_name=name, holder_kind=holder_kind.value, country=holder.country_code,
            categories=(), valid_from=data.valid_from, valid_until=data.valid_until, status_index=0))
    except ValueError:
        raise ValidationFailed.for_field(
            "holder_id",
            _("The holder's Latin-script name (%(name)s) cannot be printed in the QR code: use Latin letters, "
              "digits, spaces and - ' . , & only. Correct it in the registry first.", name=name),
            "holder_name_not_latin",
        ) from None
    authority = _authority(holder.country_code, data.authority_id)
    year = today().year
    kind_code = numbers.KIND_CODES[holder_kind.value]
    sequence = allocate(holder.country_code, f"{kind_code}-{year}")
    cert = Certificate(
        number=numbers.format_number(holder.country_code, kind_code, year, sequence),
        country_code=holder.country_code, authority=authority, holder_kind=holder_kind,
        technician_id=holder.id if holder_kind is HolderKind.TECHNICIAN else None,
        company_id=holder.id if holder_kind is HolderKind.COMPANY else None,
        holder_name=name, valid_from=data.valid_from, valid_until=data.valid_until,
        status=CertificateStatus.ACTIVE, status_index=allocate(holder.country_code, STATUS_COUNTER) - 1,
        issued_by_user_id=actor.user_id, kid="", token="",
    )
    cert.category_links = [CertificateCategoryLink(category=c, position=i) for i, c in enumerate(categories)]
    _sign(cert)
    db.session.add(cert)
    return cert


def issue(actor: Actor, data: IssueData) -> Certificate:
    """Issue a certificate to a holder that has no current one.

    :raise Forbidden: not a certifying officer of the holder's country.
    :raise ValidationFailed: unknown holder or category, bad dates, a name that cannot be signed.
    :raise InvalidState: the holder already has a current certificate (``holder_has_certificate``:
        renew it), or the country has no signing key.
    """
    holder_kind, holder = _resolve_holder(data.holder_kind, data.holder_id)
    actor.require(can_certify(actor, holder.country_code))
    existing = current_certificate(holder_kind, holder.id)
    if existing is not None:
        raise InvalidState(_("The holder already has certificate %(number)s: renew it instead.",
                             number=existing.number), code="holder_has_certificate")
    cert = _new_certificate(actor, holder_kind, holder, data)
    _event(actor, cert, EventAction.ISSUED)
    db.session.flush()
    audit.record(actor, "certificate.issue", cert, object_id=cert.number,
                 summary=audit.msg("Issued certificate %(number)s to %(holder_kind)s %(holder_id)s",
                                   number=cert.number, holder_kind=holder_kind.value, holder_id=holder.id),
                 after=_snapshot(cert))
    logger.info("certificate %s issued by %s", cert.number, actor.label)
    return cert


def _require_state(cert: Certificate, allowed: set[State], code: str) -> State:
    state = state_on(cert, today())
    if cert.status in (CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED):
        state = State.REVOKED if cert.status is CertificateStatus.REVOKED else State.SUPERSEDED
    if state not in allowed:
        messages = {
            State.REVOKED: _("The certificate is revoked; that is final."),
            State.SUPERSEDED: _("The certificate was replaced by a renewal; act on the new one."),
            State.SUSPENDED: _("The certificate is suspended; reinstate or revoke it first."),
            State.EXPIRED: _("The certificate has expired."),
            State.VALID: _("The certificate is not suspended."),
            State.NOT_YET_VALID: _("The certificate is not suspended."),
        }
        raise InvalidState(messages[state], code=code)
    return state


def _reason(reason: str | None, *, required: bool) -> str | None:
    reason = (reason or "").strip()
    if required and len(reason) < 3:
        raise ValidationFailed.for_field("reason", _("Give the reason (it is kept in the history)."), "required")
    return reason or None


def renew(actor: Actor, cert: Certificate, data: IssueData, reason: str | None = None) -> Certificate:
    """Issue a new certificate to the same holder; the old one becomes SUPERSEDED."""
    actor.require(can_certify(actor, cert.country_code))
    _require_state(cert, {State.VALID, State.NOT_YET_VALID, State.EXPIRED}, "cannot_renew")
    reason = _reason(reason, required=False)
    before = _snapshot(cert)
    holder = cert.holder
    cert.status = CertificateStatus.SUPERSEDED
    cert.superseded_at = utcnow()
    cert.suspended_from = cert.suspended_until = None  # a lapsed suspension ends with it
    cert.status_reason = reason or _("Renewed")
    db.session.flush()  # free the "one current certificate per holder" slot first
    new = _new_certificate(actor, cert.holder_kind, holder, data)
    new.replaces_id = cert.id
    db.session.flush()
    cert.superseded_by_id = new.id
    _event(actor, cert, EventAction.SUPERSEDED, reason, {"by": new.number})
    _event(actor, new, EventAction.RENEWED, reason, {"replaces": cert.number})
    db.session.flush()
    audit.record(actor, "certificate.supersede", cert, object_id=cert.number,
                 summary=audit.msg("Certificate %(number)s replaced by %(new_number)s",
                                   number=cert.number, new_number=new.number), before=before,
                 after=_snapshot(cert), reason=reason)
    audit.record(actor, "certificate.renew", new, object_id=new.number,
                 summary=audit.msg("Issued certificate %(number)s renewing %(old_number)s",
                                   number=new.number, old_number=cert.number), after=_snapshot(new),
                 reason=reason)
    return new


def suspend(actor: Actor, cert: Certificate, reason: str, until: date | None = None) -> Certificate:
    """Suspend from today until ``until`` (inclusive) or indefinitely (``None``)."""
    actor.require(can_certify(actor, cert.country_code))
    _require_state(cert, {State.VALID, State.NOT_YET_VALID}, "cannot_suspend")
    reason = _reason(reason, required=True)
    if until is not None and until < today():
        raise ValidationFailed.for_field("until", _("The suspension cannot end in the past."), "date_in_past")
    before = _snapshot(cert)
    cert.status = CertificateStatus.SUSPENDED
    cert.suspended_from, cert.suspended_until = today(), until
    cert.status_reason = reason
    _event(actor, cert, EventAction.SUSPENDED, reason, {"until": until.isoformat() if until else None})
    db.session.flush()
    audit.record(actor, "certificate.suspend", cert, object_id=cert.number,
                 summary=audit.msg("Suspended certificate %(number)s",
                                   number=cert.number), before=before, after=_snapshot(cert), reason=reason)
    return cert


def reinstate(actor: Actor, cert: Certificate, reason: str | None = None) -> Certificate:
    actor.require(can_certify(actor, cert.country_code))
    _require_state(cert, {State.SUSPENDED}, "not_suspended")
    reason = _reason(reason, required=False)
    before = _snapshot(cert)
    cert.status = CertificateStatus.ACTIVE
    cert.suspended_from = cert.suspended_until = None
    cert.status_reason = None
    _event(actor, cert, EventAction.REINSTATED, reason)
    db.session.flush()
    audit.record(actor, "certificate.reinstate", cert, object_id=cert.number,
                 summary=audit.msg("Reinstated certificate %(number)s",
                                   number=cert.number), before=before, after=_snapshot(cert), reason=reason)
    return cert


def revoke(actor: Actor, cert: Certificate, reason: str) -> Certificate:
    """Revoke for good (also a suspended or expired certificate)."""
    actor.require(can_certify(actor, cert.country_code))
    _require_state(cert, {State.VALID, State.NOT_YET_VALID, State.EXPIRED, State.SUSPENDED}, "cannot_revoke")
    reason = _reason(reason, required=True)
    before = _snapshot(cert)
    cert.status = CertificateStatus.REVOKED
    cert.revoked_at = utcnow()
    cert.suspended_from = cert.suspended_until = None
    cert.status_reason = reason
    _event(actor, cert, EventAction.REVOKED, reason)
    db.session.flush()
    audit.record(actor, "certificate.revoke", cert, object_id=cert.number,
                 summary=audit.msg("Revoked certificate %(number)s",
                                   number=cert.number), before=before, after=_snapshot(cert), reason=reason)
    return cert


# --- lists ------------------------------------------------------------------------------


class ListFilter(enum.StrEnum):
    ALL = "all"
    CURRENT = "current"
    EXPIRING = "expiring"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


def _filtered(query, list_filter: ListFilter, days: int, day: date):
    current = Certificate.status.in_([CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED])
    if list_filter is ListFilter.CURRENT:
        query = query.where(current, Certificate.valid_until >= day)
    elif list_filter is ListFilter.EXPIRING:
        query = query.where(Certificate.status == CertificateStatus.ACTIVE, Certificate.valid_until >= day,
                            Certificate.valid_until <= day + timedelta(days=days))
    elif list_filter is ListFilter.SUSPENDED:
        query = query.where(Certificate.status == CertificateStatus.SUSPENDED,
                            sa.or_(Certificate.suspended_until.is_(None), Certificate.suspended_until >= day))
    elif list_filter is ListFilter.REVOKED:
        query = query.where(Certificate.status == CertificateStatus.REVOKED)
    elif list_filter is ListFilter.EXPIRED:
        query = query.where(current, Certificate.valid_until < day)
    return query


def list_certificates(actor: Actor, country_code: str, *, list_filter: str = "all", q: str | None = None,
                      days: int = 60, page: int = 1, per_page: int = 50):
    """The country's certificates for its officials; ``expiring`` orders by end date."""
    actor.require(can_list(actor, country_code))
    try:
        chosen = ListFilter(list_filter)
    except ValueError:
        chosen = ListFilter.ALL
    query = _filtered(sa.select(Certificate).where(Certificate.country_code == country_code), chosen, days, today())
    if q:
        parsed = find_by_number(q)
        needle = f"%{q.strip().casefold()}%"
        query = query.where(sa.or_(Certificate.id == (parsed.id if parsed else -1),
                                   sa.func.lower(Certificate.holder_name).like(needle)))
    order = Certificate.valid_until.asc() if chosen is ListFilter.EXPIRING else Certificate.id.desc()
    query = query.options(selectinload(Certificate.technician), selectinload(Certificate.company))
    return db.paginate(query.order_by(order), page=page, per_page=per_page, error_out=False)


def expiring(days: int, country_code: str | None = None, day: date | None = None) -> list[Certificate]:
    """Active certificates whose last valid day is within ``days`` days from ``day`` (today)."""
    day = day or today()
    query = _filtered(sa.select(Certificate), ListFilter.EXPIRING, days, day)
    if country_code:
        query = query.where(Certificate.country_code == country_code)
    return list(db.session.scalars(query.order_by(Certificate.valid_until, Certificate.number)))


def count_for_home(country_code: str, days: int = 60) -> dict[str, int]:
    day = today()
    counts = {}
    for name in (ListFilter.CURRENT, ListFilter.EXPIRING, ListFilter.SUSPENDED):
        query = _filtered(sa.select(sa.func.count()).select_from(Certificate)
                          .where(Certificate.country_code == country_code), name, days, day)
        counts[name.value] = db.session.scalar(query)
    return counts


# --- purchase check (the contract with the logbook, issue #4) ------------------------------


@dataclass(frozen=True)
class PurchaseCheck:
    allowed: bool
    code: str  # "ok" | "malformed_number" | "unknown_certificate" | "certificate_suspended" |
    #            "certificate_revoked" | "certificate_expired" | "certificate_superseded" |
    #            "certificate_not_yet_valid" | "category_not_allowed" | "activity_not_certified"
    message: str  # translated, shown at the dealer's counter
    certificate: Certificate | None
    holder_kind: str | None  # "technician" | "company"
    holder_id: int | None  # technicians.id or companies.id


_TOKEN_IN_URL = re.compile(r"/v/([A-Za-z2-7]+)(?:[?#].*)?$")
_BARE_TOKEN = re.compile(r"[A-Za-z2-7]{60,}")


def _token_from(text: str) -> str | None:
    """The token of a scanned QR (``…/v/TOKEN``) or a bare token; ``None`` for anything else."""
    text = text.strip()
    match = _TOKEN_IN_URL.search(text)
    if match:
        return match.group(1)
    return text if _BARE_TOKEN.fullmatch(text) else None


_STATE_CODES = {
    State.REVOKED: "certificate_revoked",
    State.SUPERSEDED: "certificate_superseded",
    State.SUSPENDED: "certificate_suspended",
    State.NOT_YET_VALID: "certificate_not_yet_valid",
    State.EXPIRED: "certificate_expired",
}


def _state_message(state: State, cert: Certificate) -> str:
    return {
        State.REVOKED: _("Certificate %(number)s is revoked. Do not sell.", number=cert.number),
        State.SUPERSEDED: _("Certificate %(number)s was replaced by a newer certificate. Ask for the new one.",
                            number=cert.number),
        State.SUSPENDED: _("Certificate %(number)s is suspended. Do not sell.", number=cert.number),
        State.NOT_YET_VALID: _("Certificate %(number)s is not valid yet on this date.", number=cert.number),
        State.EXPIRED: _("Certificate %(number)s has expired. Do not sell.", number=cert.number),
    }[state]


def check_purchase(certificate_text: str, substance_code: str, on_date: date) -> PurchaseCheck:
    """May the holder of this certificate buy this substance on ``on_date``?

    ``certificate_text`` is what the dealer typed (a certificate number, any case and
    spacing; a wrong check digit is ``malformed_number``) or scanned (a ``…/v/TOKEN`` URL
    or the bare token, whose signature is verified against the trust list: a forged or
    unknown-key token is ``unknown_certificate``). The certificate must be valid that day
    (status and dates; a suspension counts while it runs) and one of its categories must
    allow *purchase* (else ``activity_not_certified``) of the substance's class (else
    ``category_not_allowed``). Technicians buy on a technician certificate, companies on a
    company certificate with a buying activity. Reads only; never writes.

    :raise ValidationFailed: ``substance_code`` is not in the substance catalogue
        (``unknown_substance``) — the caller's input, not the buyer's fault.
    """
    try:
        classification = catdata.classify_code(substance_code or "")
    except KeyError:
        raise ValidationFailed.for_field("substance_code", _("Unknown substance."), "unknown_substance") from None

    text = certificate_text if isinstance(certificate_text, str) else ""
    token = _token_from(text)
    if token is not None:
        try:
            claims = signing.verify_token(token.upper(), trust_list())
        except signing.MalformedToken:
            return PurchaseCheck(False, "malformed_number",
                                 _("This QR code is not a certificate. Type the certificate number instead."),
                                 None, None, None)
        except signing.TokenError:
            return PurchaseCheck(False, "unknown_certificate",
                                 _("This QR code is not a genuine certificate (the signature does not verify)."),
                                 None, None, None)
        number = claims.number
    else:
        try:
            number = numbers.parse_number(text).canonical
        except ValueError:
            return PurchaseCheck(False, "malformed_number",
                                 _("This is not a valid certificate number: check it against the certificate "
                                   "(format CC-T-YYYY-NNNNNN-D)."), None, None, None)
    cert = db.session.scalar(sa.select(Certificate).where(Certificate.number == number))
    if cert is None:
        return PurchaseCheck(False, "unknown_certificate",
                             _("No certificate with the number %(number)s exists.", number=number), None, None, None)
    if token is not None and token.upper() != cert.token:
        return PurchaseCheck(False, "unknown_certificate",
                             _("This QR code does not match the certificate on record."), None, None, None)
    kind, holder_id = cert.holder_kind.value, cert.holder_id
    state = state_on(cert, on_date)
    if state is not State.VALID:
        return PurchaseCheck(False, _STATE_CODES[state], _state_message(state, cert), cert, kind, holder_id)
    counting = [c for c in cert.categories if c.valid_until is None or on_date <= c.valid_until]
    buying = [c for c in counting if catdata.WorkActivity.PURCHASE.value in c.activities]
    if not buying:
        return PurchaseCheck(False, "activity_not_certified",
                             _("Certificate %(number)s does not allow buying refrigerant (its categories: "
                               "%(categories)s).", number=cert.number, categories=", ".join(cert.category_codes)),
                             cert, kind, holder_id)
    if not any(catdata.covers(c.substances, classification) for c in buying):
        return PurchaseCheck(False, "category_not_allowed",
                             _("Certificate %(number)s does not cover %(substance)s (its categories: "
                               "%(categories)s).", number=cert.number, substance=substance_code,
                               categories=", ".join(cert.category_codes)),
                             cert, kind, holder_id)
    return PurchaseCheck(True, "ok", _("Certificate %(number)s is valid for buying %(substance)s.",
                                       number=cert.number, substance=substance_code), cert, kind, holder_id)


# --- trust list and status lists (cached per process) ------------------------------------------

_cache_lock = threading.Lock()
_cache: dict[str, tuple[float, object]] = {}


def _cached(name: str, ttl_setting: str, build):
    ttl = current_app.config[ttl_setting]
    key = f"{name}:{current_app.config['SQLALCHEMY_DATABASE_URI']}"
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    value = build()
    with _cache_lock:
        _cache[key] = (now, value)
    return value


def category_names(language: str) -> dict[str, str]:
    """Category code -> name in ``language`` (cached like the trust list)."""
    return _cached(f"categories:{language}", "TRUST_LIST_CACHE_SECONDS", lambda: {
        c.code: c.name(language) for c in active_categories(include_inactive=True)})


def clear_caches() -> None:
    with _cache_lock:
        _cache.clear()


def jwks_document() -> dict:
    from certreg.keys import services as keys

    return _cached("jwks", "TRUST_LIST_CACHE_SECONDS", keys.jwks_document)


def trust_list() -> signing.TrustList:
    return _cached("trust", "TRUST_LIST_CACHE_SECONDS", lambda: signing.TrustList.from_jwks(jwks_document()))


def _build_status_lists() -> dict[str, str]:
    from certreg.keys import services as keys
    from certreg.keys.models import KeyStatus, SigningKey

    day, now = today(), utcnow()
    countries = db.session.scalars(
        sa.select(SigningKey.country_code).where(SigningKey.status == KeyStatus.ACTIVE)
    ).all()
    sizes = dict(db.session.execute(
        sa.select(CertificateCounter.country_code, CertificateCounter.value)
        .where(CertificateCounter.name == STATUS_COUNTER)
    ).all())
    flagged: dict[str, dict[int, int]] = {c: {} for c in countries}
    rows = db.session.execute(
        sa.select(Certificate.country_code, Certificate.status_index, Certificate.status, Certificate.suspended_from,
                  Certificate.suspended_until).where(Certificate.status != CertificateStatus.ACTIVE)
    )
    for country, index, status, s_from, s_until in rows:
        if country not in flagged:
            continue
        if status is CertificateStatus.REVOKED:
            flagged[country][index] = signing.STATUS_INVALID
        elif status is CertificateStatus.SUPERSEDED:
            flagged[country][index] = signing.STATUS_SUPERSEDED
        elif s_from is not None and s_from <= day and (s_until is None or day <= s_until):
            flagged[country][index] = signing.STATUS_SUSPENDED
    tokens = {}
    for country in countries:
        key = keys.active_key(country)
        lst = signing.build_status_list(flagged[country], sizes.get(country, 0))
        tokens[country] = signing.encode_status_list_token(
            country, lst, key.private_key, issued_at=now, ttl=current_app.config["STATUS_LIST_TTL_SECONDS"])
    return tokens


def status_list_document() -> dict:
    """``{"status_lists": {CC: token}}`` for every country with an active key (signed, cached briefly)."""
    return _cached("status", "STATUS_LIST_CACHE_SECONDS", lambda: signing.status_list_document(_build_status_lists()))


def key_publish_until(key: SigningKey) -> datetime:
    """How long a retired key stays in the trust list: two days past the last day any certificate
    it signed is valid (any status, so revoked cards still show red, not "unknown key"), or now if it
    signed none. Two days cover every time zone a verifier's calendar may be in."""
    grace = utcnow() + timedelta(seconds=current_app.config["STATUS_LIST_TTL_SECONDS"])  # lists it signed
    last = db.session.scalar(sa.select(sa.func.max(Certificate.valid_until)).where(Certificate.kid == key.kid))
    if last is None:
        return grace
    return max(grace, datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=2))


# --- online verification, scans and the throttle --------------------------------------------


@dataclass(frozen=True)
class Verification:
    verdict: signing.Verdict
    reason: str | None
    claims: signing.CertificateClaims | None
    certificate: Any | None  # the certificate's status columns (id, number, status, dates); see verify_online
    state: State | None


#: What online verification reads: just the columns that decide the state (no ORM object).
_STATUS_COLUMNS = (
    Certificate.id, Certificate.number, Certificate.token, Certificate.status, Certificate.revoked_at,
    Certificate.superseded_at, Certificate.suspended_from, Certificate.suspended_until, Certificate.valid_from,
    Certificate.valid_until,
)


_STATUS_QUERY = sa.select(*_STATUS_COLUMNS).where(Certificate.number == sa.bindparam("number"))
_assessments: OrderedDict[tuple[str, date], tuple[signing.TrustList, signing.Assessment]] = OrderedDict()
_assessments_lock = threading.Lock()


def _assess(token: str, trust: signing.TrustList, day: date) -> signing.Assessment:
    """:func:`signing.assess_token` against the trust list, remembered per token, day and trust list.

    The signature check of a given token under a given trust list never changes, and the same
    card is scanned again and again; the status is not part of this (it is read live).
    ``VERIFY_PAGE_CACHE_SIZE`` entries at most (0: no memory).
    """
    size = current_app.config["VERIFY_PAGE_CACHE_SIZE"]
    if size <= 0:
        return signing.assess_token(token, trust, None, day)
    key = (token.upper(), day)
    with _assessments_lock:
        hit = _assessments.get(key)
        if hit is not None and hit[0] is trust:
            _assessments.move_to_end(key)
            return hit[1]
    assessment = signing.assess_token(token, trust, None, day)
    with _assessments_lock:
        _assessments[key] = (trust, assessment)
        while len(_assessments) > size:
            _assessments.popitem(last=False)
    return assessment


_status_read = database.LoneRead(_STATUS_QUERY)


def _read_status(number: str) -> Any:
    """One indexed row. When scans are written behind, the public page touches the database with
    this one autocommitted SELECT and nothing else, on a connection kept for it
    (:class:`certreg.database.LoneRead`); otherwise inside the request's transaction."""
    if not scanlog.buffered():
        return db.session.connection().execute(_STATUS_QUERY, {"number": number}).first()
    return _status_read.first(db.engine, number=number)


def verify_online(token: str, day: date | None = None) -> Verification:
    """Check the signature against the trust list, then read the live status from the database.

    ``Verification.certificate`` is a row of the status columns (``.id``, ``.number``, ...), not
    the ORM object: this runs on every public scan, so it reads one indexed row and nothing else.
    """
    day = day or today()
    assessment = _assess(token, trust_list(), day)
    claims = assessment.claims
    if claims is None:
        if assessment.reason == "unknown-key":
            # Offline, an unknown key may be a neighbour's new key the phone has not synced yet
            # (UNKNOWN, amber). This server holds the trust list itself: no key it knows signed
            # the token, so it is not genuine (docs/qr-token.md section 8).
            return Verification(signing.Verdict.INVALID_SIGNATURE, "unknown-key", None, None, None)
        return Verification(assessment.verdict, assessment.reason, None, None, None)
    cert = _read_status(claims.number)
    if cert is None:
        return Verification(signing.Verdict.UNKNOWN, "not-in-registry", claims, None, None)
    if cert.token != token.upper():
        return Verification(signing.Verdict.INVALID_SIGNATURE, "not-issued-here", claims, None, None)
    state = state_on(cert, day)
    return Verification(STATE_VERDICTS[state], None, claims, cert, state)


STATE_VERDICTS = {
    State.VALID: signing.Verdict.VALID, State.NOT_YET_VALID: signing.Verdict.NOT_YET_VALID,
    State.EXPIRED: signing.Verdict.EXPIRED, State.SUSPENDED: signing.Verdict.SUSPENDED,
    State.REVOKED: signing.Verdict.REVOKED, State.SUPERSEDED: signing.Verdict.SUPERSEDED,
}


def count_verification(client: str) -> None:
    """Count one request of ``client`` in the fixed window (shared by all workers).

    Spent from a share of the client's budget this process reserved in the database (see
    :mod:`certreg.certificates.ratelimit`), or counted in the request's transaction when
    ``VERIFY_LOG_FLUSH_SECONDS`` is 0.

    :raise RateLimited: beyond ``VERIFY_RATE_LIMIT`` requests in ``VERIFY_RATE_WINDOW_SECONDS``
        (code ``verify_rate_limited``, with Retry-After).
    """
    config = current_app.config
    now = utcnow()
    window = timedelta(seconds=config["VERIFY_RATE_WINDOW_SECONDS"])
    if scanlog.buffered():
        allowed, retry = ratelimit.rate_budget().admit(client, now, config["VERIFY_RATE_LIMIT"], window)
    else:
        hits, started = ratelimit.throttle_upsert(db.session.connection(), client, 1, now, now - window)
        allowed, retry = hits <= config["VERIFY_RATE_LIMIT"], max(1, int((started + window - now).total_seconds()))
    if not allowed:
        raise RateLimited(_("Too many checks from this device. Try again in %(seconds)s seconds.", seconds=retry),
                          retry_after=retry, code="verify_rate_limited")


def record_scan(verification: Verification | None, *, channel: str, inspector: Actor | None,
                certificate: Certificate | None = None, verdict: signing.Verdict | None = None) -> None:
    """Record one verification (buffered like :func:`count_verification`)."""
    cert = certificate or (verification.certificate if verification else None)
    number = cert.number if cert else (verification.claims.number if verification and verification.claims else None)
    row = {
        "at": utcnow(), "certificate_id": cert.id if cert else None, "number": number,
        "verdict": verdict or verification.verdict, "channel": channel,
        "inspector_user_id": inspector.user_id if inspector and inspector.has_role(Role.INSPECTOR) else None,
    }
    if scanlog.buffered():
        scanlog.scan_log().record(row)
    else:
        db.session.add(CertificateScan(**row))


def my_scans(actor: Actor, *, page: int = 1, per_page: int = 50):
    actor.require(actor.has_role(Role.INSPECTOR))
    query = (sa.select(CertificateScan).where(CertificateScan.inspector_user_id == actor.user_id)
             .order_by(CertificateScan.id.desc()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
