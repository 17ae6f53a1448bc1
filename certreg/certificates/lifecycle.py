"""The certificate lifecycle: issue, renew, suspend, reinstate, revoke.

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
officer and issue (:mod:`certreg.certificates.access`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.certificates import numbers, signing
from certreg.certificates.access import can_certify
from certreg.certificates.catalogue import categories_for
from certreg.certificates.models import (
    Certificate,
    CertificateCategoryLink,
    CertificateCounter,
    CertificateEvent,
    CertificateStatus,
    EventAction,
)
from certreg.certificates.queries import current_certificate, holder_of
from certreg.certificates.states import State, state_on, today
from certreg.certificates.token import CertificateClaims
from certreg.certificates.trust import STATUS_COUNTER
from certreg.db import utcnow
from certreg.errors import InvalidState, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.registry.models import Company, IssuingAuthority, Technician
from certreg.vocabulary import HolderKind

logger = logging.getLogger(__name__)


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
    try:
        key = keys.active_key(cert.country_code)
    except NotFound as exc:
        raise InvalidState(exc.message, code=exc.code) from None
    claims = CertificateClaims(
        number=cert.number, holder_name=cert.holder_name, holder_kind=cert.holder_kind.value,
        country=cert.country_code, categories=tuple(cert.category_codes), valid_from=cert.valid_from,
        valid_until=cert.valid_until, status_index=cert.status_index,
    )
    cert.token = signing.encode_token(claims, key.private_key)
    cert.kid = key.kid


def _new_certificate(actor: Actor, holder_kind: HolderKind, holder: Technician | Company,
                     data: IssueData) -> Certificate:
    _check_dates(data.valid_from, data.valid_until)
    categories = categories_for(data.categories, holder_kind, holder.country_code, data.valid_until)
    name = _holder_name(holder_kind, holder)
    try:
        signing.check_issuable(CertificateClaims(
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
