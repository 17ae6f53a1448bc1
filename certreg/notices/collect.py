"""Collectors: find what users must be told and queue it (run by ``flask notify send``).

Each notice has a key naming its subject and recipient, so running the collectors again
queues nothing new (see :mod:`certreg.notify.outbox`). They read the other features'
records and change none:

* ``certificate_expiring:<certificate>:<days>:<user>``: a current certificate whose last
  valid day is within 60, 30 or 7 days (only the nearest threshold is sent, so a
  certificate found late does not get three mails at once); to the holder's accounts and,
  for a technician, the accounts of their current employers.
* ``certificate_status:<event>:<user>``: a certificate suspended or revoked in the last
  ``NOTIFY_LOOKBACK_DAYS`` days; the same recipients.
* ``transfer_pending:<transfer>:<user>``: a sale or export to a registered holder awaiting
  their confirmation (created in the look-back window), to the receiving holder's accounts.
* ``transfer_disputed:<transfer>:<user>``: disputed in the look-back window, to the seller's accounts.
* ``shipment_awaiting:<shipment>:<user>``: a shipment announced in the look-back window and not yet released,
  refused or seized, to the importing country's inspectors (who decide at the border).

The same notices go out right after the request that caused them (:mod:`certreg.notices.immediate`);
the collectors catch whatever that missed (a command-line change, a failed send).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from certreg.auth.models import User
from certreg.certificates.models import Certificate, CertificateEvent, CertificateStatus, EventAction
from certreg.db import today as utc_today
from certreg.db import utcnow
from certreg.extensions import db
from certreg.logbook.models import Logbook, Transfer, TransferStatus
from certreg.notify.models import NoticeKind
from certreg.notify.outbox import enqueue
from certreg.registry.models import Employment
from certreg.shipments.models import Shipment, ShipmentStatus
from certreg.vocabulary import HolderKind, Role

EXPIRY_THRESHOLDS = (7, 30, 60)  # days, nearest first


def _accounts(*, technician_id: int | None = None, company_ids: list[int] | tuple[int, ...] = ()) -> list[User]:
    conditions = []
    if technician_id is not None:
        conditions.append(User.technician_id == technician_id)
    if company_ids:
        conditions.append(User.company_id.in_(company_ids))
    if not conditions:
        return []
    return list(db.session.scalars(sa.select(User).where(sa.or_(*conditions), User.is_active.is_(True))
                                    .order_by(User.id)))


def certificate_recipients(certificate: Certificate) -> list[User]:
    """The holder's accounts; for a technician, their current employers' accounts too."""
    if certificate.holder_kind is HolderKind.COMPANY:
        return _accounts(company_ids=[certificate.company_id])
    employers = list(db.session.scalars(sa.select(Employment.company_id).where(
        Employment.technician_id == certificate.technician_id, Employment.ended_on.is_(None))))
    return _accounts(technician_id=certificate.technician_id, company_ids=employers)


def logbook_recipients(logbook: Logbook) -> list[User]:
    if logbook.company_id is not None:
        return _accounts(company_ids=[logbook.company_id])
    return _accounts(technician_id=logbook.technician_id)


def expiring_certificates(today: date) -> list[int | None]:
    queued = []
    horizon = today + timedelta(days=max(EXPIRY_THRESHOLDS))
    certificates = db.session.scalars(
        sa.select(Certificate)
        .where(Certificate.status.in_([CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED]),
               Certificate.valid_until >= today, Certificate.valid_until <= horizon)
        .order_by(Certificate.id)
    )
    for certificate in certificates:
        days_left = (certificate.valid_until - today).days
        threshold = next(t for t in EXPIRY_THRESHOLDS if days_left <= t)
        for user in certificate_recipients(certificate):
            queued.append(enqueue(user, NoticeKind.CERTIFICATE_EXPIRING,
                                  f"certificate_expiring:{certificate.id}:{threshold}:{user.id}",
                                  {"certificate": certificate, "days_left": days_left}))
    return queued


def certificate_status_changes(since=None, *, event_ids: set[int] | None = None) -> list[int | None]:
    """Suspensions and revocations since ``since`` (or exactly the events ``event_ids``)."""
    queued = []
    query = (sa.select(CertificateEvent)
             .where(CertificateEvent.action.in_([EventAction.SUSPENDED, EventAction.REVOKED]))
             .order_by(CertificateEvent.id))
    query = query.where(CertificateEvent.id.in_(event_ids)) if event_ids is not None else \
        query.where(CertificateEvent.at >= since)
    for event in db.session.scalars(query):
        for user in certificate_recipients(event.certificate):
            queued.append(enqueue(user, NoticeKind.CERTIFICATE_STATUS, f"certificate_status:{event.id}:{user.id}",
                                  {"certificate": event.certificate, "event": event,
                                   "revoked": event.action is EventAction.REVOKED}))
    return queued


def transfers(since=None, *, transfer_ids: set[int] | None = None) -> list[int | None]:
    """Transfers awaiting the buyer and disputed ones, since ``since`` (or exactly ``transfer_ids``)."""
    queued = []
    chosen = Transfer.id.in_(transfer_ids) if transfer_ids is not None else None
    pending = db.session.scalars(sa.select(Transfer).where(
        Transfer.status == TransferStatus.PENDING,
        chosen if chosen is not None else Transfer.created_at >= since).order_by(Transfer.id))
    for transfer in pending:
        for user in logbook_recipients(transfer.to_logbook):
            queued.append(enqueue(user, NoticeKind.TRANSFER_PENDING, f"transfer_pending:{transfer.id}:{user.id}",
                                  {"transfer": transfer, "entry": transfer.origin_entry,
                                   "seller": transfer.from_logbook.display_name}))
    disputed = db.session.scalars(sa.select(Transfer).where(
        Transfer.status == TransferStatus.DISPUTED,
        chosen if chosen is not None else Transfer.responded_at >= since).order_by(Transfer.id))
    for transfer in disputed:
        for user in logbook_recipients(transfer.from_logbook):
            queued.append(enqueue(user, NoticeKind.TRANSFER_DISPUTED, f"transfer_disputed:{transfer.id}:{user.id}",
                                  {"transfer": transfer, "entry": transfer.origin_entry,
                                   "buyer": transfer.to_logbook.display_name}))
    return queued


def shipments_awaiting(since=None, *, shipment_ids: set[int] | None = None) -> list[int | None]:
    """Shipments announced to customs and not yet decided (or held), to the country's active inspectors."""
    queued = []
    query = sa.select(Shipment).where(Shipment.status.in_([ShipmentStatus.EXPECTED, ShipmentStatus.HELD]))
    query = query.where(Shipment.id.in_(shipment_ids)) if shipment_ids is not None else \
        query.where(Shipment.created_at >= since)
    for shipment in db.session.scalars(query.order_by(Shipment.id)):
        inspectors = db.session.scalars(sa.select(User).where(
            User.country_code == shipment.country_code, User.role == Role.INSPECTOR, User.is_active.is_(True))
            .order_by(User.id))
        for user in inspectors:
            queued.append(enqueue(user, NoticeKind.SHIPMENT_AWAITING, f"shipment_awaiting:{shipment.id}:{user.id}",
                                  {"shipment": shipment, "importer": shipment.importer.display_name}))
    return queued


def collect(today: date | None = None) -> int:
    """Queue every notice due now; returns how many were queued (already queued ones are not counted)."""
    today = today or utc_today()
    since = utcnow() - timedelta(days=current_app.config["NOTIFY_LOOKBACK_DAYS"])
    queued = (expiring_certificates(today) + certificate_status_changes(since) + transfers(since)
              + shipments_awaiting(since))
    return sum(1 for q in queued if q is not None)
