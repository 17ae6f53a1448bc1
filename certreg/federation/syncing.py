"""Pulling the peers' documents: ``flask federation sync`` (cron or a systemd timer, see README).

For each active peer and each kind of document (:func:`certreg.federation.publishing.kinds`), a
conditional ``GET`` with the ETag of the last good copy: ``304`` costs nothing more. A new copy is
applied only if it verifies under the peer's **pinned** federation key, names the peer as its
issuer, has a **higher sequence number** than the copy kept, is not from the future, and its content
checks out (a status list must be signed by a key of the peer's own trust list for a country that
list names). Anything else is refused, recorded in the audit trail (``federation.refused``) and on
the peer (``last_error``), and the last good copy stays in use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.db import utcnow
from certreg.extensions import db
from certreg.federation import publishing, transport, wire
from certreg.federation.models import Peer, PeerDocument, PeerStatus
from certreg.federation.peers import active_peers, can_manage
from certreg.tokens.encoding import TokenError
from certreg.tokens.keys import TrustList
from certreg.tokens.status_list import verify_status_list_token

logger = logging.getLogger(__name__)


@dataclass
class PeerSync:
    """What one sync of one peer did, per kind: ``new``, ``unchanged``, ``refused: <code>``, ``no answer``."""

    peer: str
    results: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r in ("new", "unchanged") for r in self.results.values())


def _check_content(peer: Peer, doc_kind: publishing.DocumentKind, body: object,
                   stored: dict[str, PeerDocument]) -> None:
    """Refuse content that does not hold together (raises :class:`wire.Refused`)."""
    if doc_kind.name == publishing.TRUST_LIST:
        try:
            trusted = TrustList.from_jwks(body)  # type: ignore[arg-type]
        except (ValueError, TypeError, AttributeError) as exc:
            raise wire.Refused("malformed", f"trust list: {exc}") from None
        if len(trusted) == 0:
            raise wire.Refused("malformed", "trust list without keys")
        return
    if doc_kind.status_typ is None and doc_kind.check is None:
        return
    trust_doc = stored.get(publishing.TRUST_LIST)
    if trust_doc is None:
        raise wire.Refused("malformed", f"{doc_kind.name} before the trust list")
    trusted = TrustList.from_jwks(trust_doc.body)
    countries = {key.country for key in trusted}
    if doc_kind.check is not None:
        try:
            doc_kind.check(body, countries)
        except ValueError as exc:
            raise wire.Refused("malformed", f"{doc_kind.name}: {exc}") from None
        return
    lists = body.get("status_lists") if isinstance(body, dict) else None
    if not isinstance(lists, dict):
        raise wire.Refused("malformed", "no status_lists")
    for country, token in lists.items():
        if country not in countries or not isinstance(token, str):
            raise wire.Refused("malformed", f"status list of {country!r}, not a country of the peer's trust list")
        try:
            status_list = verify_status_list_token(token, trusted, typ=doc_kind.status_typ)
        except TokenError as exc:
            raise wire.Refused("bad-signature", f"status list of {country}: {exc}") from None
        if status_list.country != country:
            raise wire.Refused("malformed", f"status list of {status_list.country} filed under {country}")


def _apply(peer: Peer, doc_kind: publishing.DocumentKind, reply: transport.Reply,
           copies: dict[str, PeerDocument]) -> str:
    """Check a reply and keep it as the new copy; every refusal is raised before anything changes."""
    now = utcnow()
    stored = copies.get(doc_kind.name)
    if reply.status == 304:
        if stored is None:
            raise wire.Refused("malformed", "304 for a document never received")
        stored.checked_at = now
        return "unchanged"
    document = wire.read_document(reply.body, peer.fingerprint, kind=doc_kind.name)
    if document.issuer != peer.base_url:
        raise wire.Refused("wrong-issuer", f"issued by {document.issuer!r}")
    skew = current_app.config["FEDERATION_CLOCK_SKEW_SECONDS"]
    if document.issued_at > now.timestamp() + skew:
        raise wire.Refused("malformed", "issued in the future")
    if stored is not None:
        if document.sequence < stored.sequence:
            raise wire.Refused("rolled-back", f"sequence {document.sequence} after {stored.sequence}")
        if document.sequence == stored.sequence:
            if document.body != stored.body:
                raise wire.Refused("rolled-back", f"sequence {document.sequence} reused for other content")
            stored.checked_at, stored.etag = now, reply.etag
            return "unchanged"
    _check_content(peer, doc_kind, document.body, copies)
    issued = datetime.fromtimestamp(document.issued_at, UTC)
    if stored is None:
        stored = PeerDocument(peer_id=peer.id, kind=doc_kind.name, sequence=document.sequence, issued_at=issued,
                              etag=reply.etag, body=document.body, fetched_at=now, checked_at=now)
        db.session.add(stored)
        copies[doc_kind.name] = stored
    else:
        stored.sequence, stored.issued_at, stored.body = document.sequence, issued, document.body
        stored.etag = reply.etag
        stored.fetched_at = stored.checked_at = now
    return "new"


def sync_peer(actor: Actor, peer: Peer) -> PeerSync:
    """Pull every kind of document from one peer; never raises for what the peer does. Flushes."""
    outcome = PeerSync(peer.name)
    peer.last_attempt_at = utcnow()
    errors = []
    copies = {doc.kind: doc
              for doc in db.session.scalars(sa.select(PeerDocument).where(PeerDocument.peer_id == peer.id))}
    for doc_kind in publishing.kinds():
        stored = copies.get(doc_kind.name)
        try:
            reply = transport.get_document(peer.base_url, doc_kind.name, stored.etag if stored else None)
        except transport.NoAnswer as exc:
            if str(exc) == "HTTP 404" and doc_kind.name != publishing.TRUST_LIST:
                outcome.results[doc_kind.name] = "not published"  # an older peer without this kind
                continue
            outcome.results[doc_kind.name] = "no answer"
            errors.append(f"{doc_kind.name}: no answer ({exc})")
            continue
        try:
            outcome.results[doc_kind.name] = _apply(peer, doc_kind, reply, copies)
        except wire.Refused as exc:
            outcome.results[doc_kind.name] = f"refused: {exc.code}"
            errors.append(f"{doc_kind.name}: refused ({exc.code}: {exc.detail})")
            logger.warning("federation: refused %s from %s: %s", doc_kind.name, peer.base_url, exc)
            audit.record(actor, "federation.refused", peer, object_id=peer.id,
                         after={"kind": doc_kind.name, "code": exc.code, "detail": exc.detail[:300]},
                         summary=audit.msg("Refused the %(kind)s of peer %(name)s: %(code)s",
                                           kind=doc_kind.name, name=peer.name, code=exc.code))
    if not errors:
        peer.last_success_at = utcnow()
        peer.last_error = None
    else:
        peer.last_error = "; ".join(errors)[:500]
    db.session.flush()
    return outcome


def sync_all(actor: Actor, peer: Peer | None = None) -> list[PeerSync]:
    actor.require(can_manage(actor))
    return [sync_peer(actor, p) for p in ([peer] if peer is not None else active_peers())]


def age(peer: Peer) -> timedelta | None:
    """How old the peer's last good copies are (since the last time it confirmed them), or ``None``."""
    checked = db.session.scalar(sa.select(sa.func.min(PeerDocument.checked_at)).where(PeerDocument.peer_id == peer.id))
    return utcnow() - checked if checked is not None else None


def active_documents(kind: str) -> list[tuple[Peer, PeerDocument]]:
    """The last good copies of ``kind`` of every active peer."""
    rows = db.session.execute(
        sa.select(Peer, PeerDocument).join(PeerDocument, PeerDocument.peer_id == Peer.id)
        .where(Peer.status == PeerStatus.ACTIVE, PeerDocument.kind == kind).order_by(Peer.id))
    return [(peer, document) for peer, document in rows]


def peer_countries() -> dict[str, Peer]:
    """Country -> the active peer whose synced trust list signs for it."""
    found: dict[str, Peer] = {}
    for peer, document in active_documents(publishing.TRUST_LIST):
        for jwk in document.body.get("keys", []):
            if isinstance(jwk.get("country"), str):
                found.setdefault(jwk["country"], peer)
    return found
