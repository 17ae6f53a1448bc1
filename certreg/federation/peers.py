"""Peering: the installations this one trusts, added by an administrator with the fingerprint of
their federation key (exchanged out of band); both sides add each other. Every change is audited."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.errors import InvalidState, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.federation import wire
from certreg.federation.identity import own_base_url
from certreg.federation.models import Peer, PeerDocument, PeerStatus
from certreg.vocabulary import Role


def can_manage(actor: Actor) -> bool:
    """Peering is the installation's business: its administrators (and the operator)."""
    return actor.is_system or actor.has_role(Role.ADMIN)


def can_ask(actor: Actor) -> bool:
    """Questions to peers: officials (administrators, certifying officers, inspectors)."""
    return actor.is_system or actor.has_role(Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR)


def normalise_base_url(text: str) -> str:
    """``https://host[:port][/path]`` without query, fragment or trailing slash; raises ValidationFailed."""
    text = (text or "").strip().rstrip("/")
    parts = urlsplit(text)
    allowed = ("https", "http") if current_app.config["FEDERATION_ALLOW_HTTP"] else ("https",)
    if parts.scheme not in allowed or not parts.hostname or parts.query or parts.fragment or parts.username \
            or len(text) > 255:
        raise ValidationFailed.for_field("base_url", _("Give the peer's address, like https://certreg.example.kz"),
                                         "bad_base_url")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path}"


def add_peer(actor: Actor, *, name: str, base_url: str, fingerprint: str) -> Peer:
    """Trust another installation. Re-adding a removed peer makes it active again with the new pin.

    :raise ValidationFailed: bad address (``bad_base_url``), fingerprint (``bad_fingerprint``), our own
        address (``own_address``), or the address of a peer already listed (``peer_exists``).
    """
    actor.require(can_manage(actor))
    url = normalise_base_url(base_url)
    try:
        pin = wire.normalise_fingerprint(fingerprint)
    except ValueError:
        raise ValidationFailed.for_field("fingerprint", _("A fingerprint is 64 hexadecimal digits."),
                                         "bad_fingerprint") from None
    if url == own_base_url():
        raise ValidationFailed.for_field("base_url", _("This is this installation's own address."), "own_address")
    name = (name or "").strip()[:80] or urlsplit(url).hostname or url
    peer = db.session.scalar(sa.select(Peer).where(Peer.base_url == url))
    if peer is not None and peer.status is not PeerStatus.REMOVED:
        raise ValidationFailed.for_field("base_url", _("This installation is already a peer."), "peer_exists")
    if peer is None:
        peer = Peer(name=name, base_url=url, fingerprint=pin, status=PeerStatus.ACTIVE)
        db.session.add(peer)
    else:
        peer.name, peer.fingerprint, peer.status, peer.last_error = name, pin, PeerStatus.ACTIVE, None
    db.session.flush()
    audit.record(actor, "federation_peer.add", peer, object_id=peer.id, after={"base_url": url, "fingerprint": pin},
                 summary=audit.msg("Peer installation %(name)s added (%(url)s)", name=name, url=url))
    return peer


def get_peer(peer_id: int) -> Peer:
    peer = db.session.get(Peer, peer_id)
    if peer is None or peer.status is PeerStatus.REMOVED:
        raise NotFound(_("No such peer installation."), code="unknown_peer")
    return peer


def find_peer(text: str) -> Peer:
    """A peer by id, name or base URL (for the command line)."""
    if text.isdigit():
        return get_peer(int(text))
    peer = db.session.scalar(sa.select(Peer).where(sa.or_(Peer.name == text, Peer.base_url == text.rstrip("/")),
                                                   Peer.status != PeerStatus.REMOVED))
    if peer is None:
        raise NotFound(_("No such peer installation."), code="unknown_peer")
    return peer


def _set_status(actor: Actor, peer_id: int, status: PeerStatus) -> tuple[Peer, str]:
    """Change the peer's status; returns it and the status it had (the caller records the audit entry)."""
    actor.require(can_manage(actor))
    peer = get_peer(peer_id)
    if peer.status is status:
        raise InvalidState(_("The peer is already in this state."), code="peer_state")
    before = peer.status.value
    peer.status = status
    db.session.flush()
    return peer, before


def suspend_peer(actor: Actor, peer_id: int) -> Peer:
    """Stop syncing with and answering the peer; its copies leave this installation's verifiers."""
    peer, before = _set_status(actor, peer_id, PeerStatus.SUSPENDED)
    audit.record(actor, "federation_peer.suspend", peer, object_id=peer.id, before={"status": before},
                 after={"status": peer.status.value},
                 summary=audit.msg("Peer installation %(name)s suspended", name=peer.name))
    return peer


def resume_peer(actor: Actor, peer_id: int) -> Peer:
    peer, before = _set_status(actor, peer_id, PeerStatus.ACTIVE)
    audit.record(actor, "federation_peer.resume", peer, object_id=peer.id, before={"status": before},
                 after={"status": peer.status.value},
                 summary=audit.msg("Peer installation %(name)s resumed", name=peer.name))
    return peer


def remove_peer(actor: Actor, peer_id: int) -> Peer:
    """Forget the peer: its copies are deleted; the record of its questions stays."""
    peer, before = _set_status(actor, peer_id, PeerStatus.REMOVED)
    audit.record(actor, "federation_peer.remove", peer, object_id=peer.id, before={"status": before},
                 after={"status": peer.status.value},
                 summary=audit.msg("Peer installation %(name)s removed", name=peer.name))
    for document in list(peer_documents(peer)):
        db.session.delete(document)
    db.session.flush()
    return peer


def list_peers(actor: Actor) -> list[Peer]:
    actor.require(can_manage(actor) or can_ask(actor))
    return list(db.session.scalars(sa.select(Peer).where(Peer.status != PeerStatus.REMOVED).order_by(Peer.name)))


def active_peers() -> list[Peer]:
    return list(db.session.scalars(sa.select(Peer).where(Peer.status == PeerStatus.ACTIVE).order_by(Peer.id)))


def peer_documents(peer: Peer):
    return db.session.scalars(sa.select(PeerDocument).where(PeerDocument.peer_id == peer.id))
