"""``/api/v1/federation``: the peers (administrators) and questions to peers (officials)."""

from __future__ import annotations

from typing import Any

from certreg.api import bp
from certreg.api.common import api_actor, done, json_body
from certreg.federation import alerts as outbox
from certreg.federation import directories, identity, peers, questions
from certreg.federation.forms import AskForm, PeerForm
from certreg.federation.models import Peer
from certreg.federation.services import ask_body
from certreg.focalpoints import federated
from certreg.focalpoints import services as focalpoints
from certreg.forms import form_from_json
from certreg.inspections import alerts as seizure_alerts
from certreg.inspections.models import SeizureAlert
from certreg.keys import services as keys


def peer_json(peer: Peer) -> dict[str, Any]:
    return {
        "id": peer.id, "name": peer.name, "base_url": peer.base_url, "fingerprint": peer.fingerprint,
        "status": peer.status.value,
        "last_success_at": peer.last_success_at.isoformat() if peer.last_success_at else None,
        "last_error": peer.last_error,
    }


@bp.get("/federation/peers")
def federation_peers():
    actor = api_actor()
    actor.require(peers.can_manage(actor))
    return done({"fingerprint": identity.fingerprint(), "base_url": identity.own_base_url(),
                 "peers": [peer_json(p) for p in peers.list_peers(actor)]})


@bp.post("/federation/peers")
def federation_add_peer():
    actor = api_actor()
    actor.require(peers.can_manage(actor))
    form = form_from_json(PeerForm, json_body())
    peer = peers.add_peer(actor, name=form.name.data or "", base_url=form.base_url.data,
                          fingerprint=form.fingerprint.data)
    return done(peer_json(peer), 201)


@bp.post("/federation/peers/<int:peer_id>/suspend")
def federation_suspend_peer(peer_id: int):
    actor = api_actor()
    actor.require(peers.can_manage(actor))
    return done(peer_json(peers.suspend_peer(actor, peer_id)))


@bp.post("/federation/peers/<int:peer_id>/resume")
def federation_resume_peer(peer_id: int):
    actor = api_actor()
    actor.require(peers.can_manage(actor))
    return done(peer_json(peers.resume_peer(actor, peer_id)))


@bp.delete("/federation/peers/<int:peer_id>")
def federation_remove_peer(peer_id: int):
    actor = api_actor()
    actor.require(peers.can_manage(actor))
    return done(peer_json(peers.remove_peer(actor, peer_id)))


@bp.post("/federation/peers/<int:peer_id>/sync")
def federation_sync_peer(peer_id: int):
    actor = api_actor()
    actor.require(peers.can_manage(actor))
    result, sent = outbox.sync_and_send(actor, peers.get_peer(peer_id))
    return done({"peer": result.peer, "ok": result.ok, "results": result.results,
                 "alerts": [{"reference": row.reference, "state": row.state.value} for row in sent]})


@bp.post("/federation/peers/<int:peer_id>/ask")
def federation_ask(peer_id: int):
    """A signed question to a peer; ``answered: false`` with a message when the peer does not answer."""
    actor = api_actor()
    actor.require(peers.can_ask(actor))
    form = form_from_json(AskForm, json_body())
    asked = questions.ask(actor, peer_id, form.kind.data, ask_body(form.kind.data, form.query.data))
    return done({"peer": asked.peer, "kind": asked.kind, "answered": asked.answered, "answer": asked.answer,
                 "message": asked.message})


def alert_json(alert: SeizureAlert) -> dict[str, Any]:
    return {
        "id": alert.id, "from": alert.sender_name, "from_url": alert.sender_url, "reference": alert.reference,
        "country": alert.country_code, "seizing_country": alert.seizing_country,
        "seized_on": alert.seized_on.isoformat(), "place": alert.place, "origin_country": alert.origin_country,
        "kg": str(alert.kg), "serials": alert.serials, "goods": alert.goods, "logbook_id": alert.logbook_id,
        "received_at": alert.received_at.isoformat(),
    }


@bp.get("/federation/alerts")
def federation_alerts():
    """Seizure alerts received from peer installations about the caller's country (newest first)."""
    actor = api_actor()
    found = seizure_alerts.received(actor, actor.country_code)
    return done({"country": actor.country_code, "alerts": [alert_json(a) for a in found]})
@bp.get("/federation/licensees")
def federation_licensees():
    """The active peers' lists of licensed importers and exporters, as last synced (officials)."""
    actor = api_actor()
    return done({"peers": [item.json() for item in directories.licensee_lists(actor)]})


@bp.get("/federation/focal-points")
def federation_focal_points():
    """The active peers' focal point directories, as last synced (whoever may read the focal points)."""
    actor = api_actor()
    actor.require(focalpoints.can_view(actor))
    found = federated.peer_directories(keys.local_countries())
    return done({"directories": [{"origin": d.origin, "origin_url": d.origin_url, "as_of": directories.iso(d.as_of),
                                  "country": d.country, "entries": d.entries} for d in found]})
