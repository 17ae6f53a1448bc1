"""Notices sent right after the request whose commit causes them, not at the next ``flask notify send``.

A suspension or revocation, a sale awaiting the buyer's confirmation, a disputed sale and a shipment
announced to customs are news
their recipients should get at once. The session's flushes note the new certificate events and the
new or disputed transfers (``session.info``); once a commit makes them real, the request remembers
them; after the view answered successfully, the same collectors as ``flask notify send`` queue
exactly those notices (same keys, so nobody gets one twice) and they are sent after the response
(:func:`certreg.notify.outbox.send_soon`). A rollback forgets them. Anything this misses (a change
made from the command line, a mail server that was down) is found by the next ``flask notify send``.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from certreg.application import lean_noop
from certreg.certificates.models import CertificateEvent, EventAction
from certreg.extensions import db
from certreg.logbook.models import Transfer, TransferStatus
from certreg.notices import collect
from certreg.notify.outbox import send_soon
from certreg.shipments.models import Shipment

logger = logging.getLogger(__name__)

NEWS = {EventAction.SUSPENDED, EventAction.REVOKED}
PENDING_KEY = "certreg_notice_subjects"


def _after_flush(session: Session, _context) -> None:
    found = session.info.setdefault(PENDING_KEY, {"events": set(), "transfers": set(), "shipments": set()})
    for obj in session.new:
        if isinstance(obj, CertificateEvent) and obj.action in NEWS:
            found["events"].add(obj.id)
        elif isinstance(obj, Transfer):
            found["transfers"].add(obj.id)
        elif isinstance(obj, Shipment):
            found["shipments"].add(obj.id)
    for obj in session.dirty:
        if isinstance(obj, Transfer) and obj.status is TransferStatus.DISPUTED:
            found["transfers"].add(obj.id)


def _after_commit(session: Session) -> None:
    found = session.info.pop(PENDING_KEY, None)
    if not found or not any(found.values()) or not has_request_context():
        return
    mine = g.setdefault("notice_subjects", {"events": set(), "transfers": set(), "shipments": set()})
    for subject, ids in found.items():
        mine[subject] |= ids


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


@lean_noop  # a public page records nothing that sends notices (no notice_subjects)
def _queue_and_send(response: Response) -> Response:
    subjects = g.pop("notice_subjects", None)
    if not subjects or response.status_code >= 400:
        return response
    try:
        ids = (collect.certificate_status_changes(event_ids=subjects["events"])
               + collect.transfers(transfer_ids=subjects["transfers"])
               + collect.shipments_awaiting(shipment_ids=subjects["shipments"]))
        db.session.commit()
    except Exception:  # never fail a request that already succeeded: `flask notify send` catches up
        db.session.rollback()
        logger.exception("queueing immediate notices failed; `flask notify send` will queue them")
        return response
    send_soon(ids, response)
    return response


def init_app(app: Flask) -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
    app.after_request(_queue_and_send)
