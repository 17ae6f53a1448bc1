"""Seizure alerts: a seizure of goods of a peer's country is told to that peer's installation.

When a seizure is recorded (:func:`certreg.inspections.seizures.on_seizure`) whose cylinders (by the
country of their national serial), cylinders checked (origin on the label) or exporting country
(the inspection's ``foreign_country``) are of a country this installation does not sign for but an
active peer's synced trust list does, a ``seizure-alert`` question is queued for that peer in the
seizure's transaction (:class:`~certreg.federation.models.OutgoingQuestion`, ``pending``) and sent
right after the request (or at once outside a request). A peer that is down leaves it pending: ``flask
federation sync`` (and ``flask federation send-alerts``) sends what is pending. The peer stores an
alert once per sender and reference (:mod:`certreg.inspections.alerts`), so a repeated send is harmless
and the alert appears exactly once in its ministry's anomaly list (``seizure_abroad``).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Response, after_this_request, current_app, has_app_context, has_request_context

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.cylinders import numbers
from certreg.db import utcnow
from certreg.errors import CertregError, ValidationFailed
from certreg.extensions import db
from certreg.federation import questions
from certreg.federation.models import OutboxState, OutgoingQuestion, Peer
from certreg.federation.peers import can_ask
from certreg.federation.questions import QuestionRefused
from certreg.federation.syncing import PeerSync, peer_countries, sync_all
from certreg.inspections import alerts as received_alerts
from certreg.inspections import seizures
from certreg.inspections.models import Inspection, Seizure
from certreg.keys import services as keys

logger = logging.getLogger(__name__)
KIND = "seizure-alert"


def _country_of(serial: str | None) -> str | None:
    try:
        return numbers.parse_serial(serial or "")[:2]
    except ValueError:
        return None


def alert_body(inspection: Inspection, seizure: Seizure) -> dict[str, Any]:
    """What the peer is told: who seized what, where, when, and whose it is said to be."""
    goods, cylinders = [], []
    for line in seizure.goods:
        serials = [s.strip() for s in (line.serials or "").split(",") if s.strip()]
        goods.append({"substance": line.substance_code, "kg": str(line.kg), "cylinders": line.cylinders,
                      "serials": serials})
        cylinders += [{"serial": s, "origin_country": _country_of(s)} for s in serials]
    for check in inspection.cylinders:
        country = _country_of(check.label_serial)
        if country and all(c["serial"] != check.label_serial for c in cylinders):
            cylinders.append({"serial": numbers.parse_serial(check.label_serial), "origin_country": country,
                              "substance": check.label_substance})
    if inspection.border_post is not None:
        place = f"{inspection.border_post.name} ({inspection.border_post.code})"
    else:
        place = inspection.place or inspection.vehicle_number or inspection.place_kind.value
    origins = [c["origin_country"] for c in cylinders] + [c.origin_country for c in inspection.cylinders]
    origin = inspection.foreign_country or next((c for c in origins if c), None)
    return {"reference": f"{inspection.country_code}-SZ-{seizure.id}", "seizing_country": inspection.country_code,
            "seized_on": seizure.seized_on.isoformat(), "place": place[:255], "place_kind": inspection.place_kind.value,
            "shipment_ref": inspection.shipment_ref, "origin_country": origin, "goods": goods,
            "cylinders": cylinders}


def countries_concerned(inspection: Inspection, body: dict[str, Any]) -> set[str]:
    found = {c["origin_country"] for c in body["cylinders"] if c.get("origin_country")}
    found |= {c.origin_country for c in inspection.cylinders if c.origin_country}
    if inspection.foreign_country:
        found.add(inspection.foreign_country)
    return found - keys.local_countries()


def queue(actor: Actor, inspection: Inspection, seizure: Seizure) -> list[OutgoingQuestion]:
    """The seizures' listener: queue an alert for each peer whose country the goods are of; send soon."""
    body = alert_body(inspection, seizure)
    served = peer_countries()
    targets: dict[int, Peer] = {}
    for country in sorted(countries_concerned(inspection, body)):
        if country in served:
            targets.setdefault(served[country].id, served[country])
    rows = []
    for peer in targets.values():
        row = OutgoingQuestion(peer_id=peer.id, kind=KIND, reference=body["reference"],
                               country_code=inspection.country_code, body=body, state=OutboxState.PENDING)
        db.session.add(row)
        db.session.flush()
        audit.record(actor, "seizure_alert.queue", row, object_type="federation_outbox",
                     country_code=inspection.country_code,
                     summary=audit.msg("Seizure alert %(reference)s queued for %(peer)s", reference=row.reference,
                                       peer=peer.name))
        rows.append(row)
    if rows:
        send_soon([row.id for row in rows])
    return rows


def send(actor: Actor, row: OutgoingQuestion) -> OutgoingQuestion:
    """Send one queued question; it stays pending when the peer does not answer. Flushes."""
    row.attempts += 1
    row.last_attempt_at = utcnow()
    try:
        asked = questions.ask(actor, row.peer_id, row.kind, row.body)
    except CertregError as exc:  # the peer was suspended or removed since
        row.last_error = str(exc)[:500]
        return row
    if not asked.answered:
        row.last_error = asked.message[:500]
        return row
    answer = asked.answer if isinstance(asked.answer, dict) else {}
    row.answer = answer
    if answer.get("received") is True:
        row.state, row.sent_at, row.last_error = OutboxState.SENT, utcnow(), None
        audit.record(actor, "seizure_alert.send", row, object_type="federation_outbox", country_code=row.country_code,
                     summary=audit.msg("Seizure alert %(reference)s received by %(peer)s", reference=row.reference,
                                       peer=asked.peer))
    else:
        row.state, row.last_error = OutboxState.REFUSED, f"refused: {answer.get('error', '?')}"[:500]
    db.session.flush()
    return row


def send_pending(actor: Actor, ids: list[int] | None = None, *, peer_id: int | None = None) -> list[OutgoingQuestion]:
    """Send every pending question (or only ``ids``, or only those to ``peer_id``). Flushes."""
    actor.require(can_ask(actor))
    query = sa.select(OutgoingQuestion).where(OutgoingQuestion.state == OutboxState.PENDING)
    if ids is not None:
        query = query.where(OutgoingQuestion.id.in_(ids))
    if peer_id is not None:
        query = query.where(OutgoingQuestion.peer_id == peer_id)
    return [send(actor, row) for row in db.session.scalars(query.order_by(OutgoingQuestion.id)).all()]


def sync_and_send(actor: Actor, peer: Peer) -> tuple[PeerSync, list[OutgoingQuestion]]:
    """Pull one peer's documents now, then, if it answered, send the alerts still pending for it (the peers
    page's "Sync now" and ``POST /api/v1/federation/peers/<id>/sync``; ``flask federation sync`` does the
    same for every peer). Flushes."""
    result = sync_all(actor, peer)[0]
    sent = send_pending(actor, peer_id=peer.id) if result.ok else []
    return result, sent


def send_soon(ids: list[int], response: Response | None = None) -> None:
    """Send these just-queued alerts after the response went out (the request commits first); outside a
    request, at once. A failure leaves them pending for ``flask federation sync``."""
    app = current_app._get_current_object()

    def send_now() -> None:
        try:
            send_pending(Actor.system("federation"), ids)
            db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("sending seizure alerts %s failed; `flask federation sync` will retry", ids)

    def later() -> None:
        if has_app_context():  # a test keeping its own context open
            send_now()
            return
        with app.app_context():
            send_now()

    if not has_request_context():
        send_pending(Actor.system("federation"), ids)
        return

    @after_this_request
    def after(response: Response) -> Response:
        response.call_on_close(later)
        return response


def outbox(actor: Actor, *, limit: int = 50) -> list[OutgoingQuestion]:
    actor.require(can_ask(actor))
    return list(db.session.scalars(sa.select(OutgoingQuestion).order_by(OutgoingQuestion.id.desc()).limit(limit)))


# --- receiving -------------------------------------------------------------------------------------


def receive(peer: Peer, body: Any) -> dict[str, Any]:
    """The ``seizure-alert`` handler: a seizure by one of the peer's countries of goods of ours."""
    countries = [country for country, owner in peer_countries().items() if owner.id == peer.id]
    try:
        data = received_alerts.parse(body)
        if data.seizing_country not in countries:
            raise QuestionRefused("not-the-peers-country")
        alert, new = received_alerts.receive(Actor.system(f"federation:{peer.name}"), peer.base_url, peer.name, data)
    except ValidationFailed as exc:
        raise QuestionRefused(exc.code.replace("_", "-")) from None
    return {"received": True, "reference": alert.reference, "duplicate": not new}


def register() -> None:
    questions.register_handler(KIND, receive)
    seizures.on_seizure("federation", queue)
