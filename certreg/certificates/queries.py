"""Finding certificates: by number, by holder, and the officials' lists."""

from __future__ import annotations

import enum
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from certreg.actors import Actor
from certreg.certificates import numbers
from certreg.certificates.access import can_list, can_view
from certreg.certificates.models import Certificate, CertificateStatus
from certreg.certificates.states import State, state_on, today
from certreg.errors import NotFound, ValidationFailed
from certreg.extensions import db
from certreg.registry.models import Company, Technician
from certreg.vocabulary import HolderKind


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
