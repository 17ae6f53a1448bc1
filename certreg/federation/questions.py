"""Signed questions between installations: a generic envelope and a registry of handlers.

A question is a :class:`certreg.federation.wire.Message` signed with the asking installation's
federation key and POSTed to the peer's ``/.well-known/certreg/ask``; the answer is a message signed
by the peer's key, repeating the question's nonce. Both sides record every question
(:class:`~certreg.federation.models.FederationMessage`). The answering side refuses what is not from
an active peer, not addressed to it, outside ``FEDERATION_CLOCK_SKEW_SECONDS``, a nonce seen before,
or beyond ``FEDERATION_RATE_LIMIT`` questions a minute from that peer.

A feature adds a kind of question with :func:`register_handler` (``"certificate-status"``,
``"cylinder"`` and ``"ping"`` are built in, :mod:`certreg.federation.handlers`; the iPIC question and
seizure alerts plug in the same way): ``handler(peer, body) -> answer body``; raising
:class:`QuestionRefused` answers ``{"error": code}``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.audit.models import AuditEntry
from certreg.db import utcnow
from certreg.errors import CertregError, InvalidState, RateLimited, ValidationFailed
from certreg.extensions import db
from certreg.federation import transport, wire
from certreg.federation.identity import own_base_url, private_key
from certreg.federation.models import Direction, FederationMessage, Outcome, Peer, PeerStatus
from certreg.federation.peers import can_ask, can_manage, get_peer

logger = logging.getLogger(__name__)


class QuestionRefused(Exception):  # noqa: N818
    """Raised by a handler: the answer is ``{"error": code}``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


Handler = Callable[[Peer, Any], Any]
_HANDLERS: dict[str, Handler] = {}


def register_handler(kind: str, handler: Handler) -> None:
    _HANDLERS[kind] = handler


def handler_kinds() -> list[str]:
    return sorted(_HANDLERS)


# --- asking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    peer: str
    kind: str
    answered: bool
    answer: Any  # the answer body when answered
    message: str  # for the user: "no answer from ... since ...", "refused", ...


def _record(peer: Peer | None, direction: Direction, kind: str, nonce: bytes | str, outcome: Outcome,
            question: Any, answer: Any = None, error: str | None = None) -> FederationMessage:
    row = FederationMessage(peer_id=peer.id if peer else None, direction=direction, kind=kind[:40],
                            nonce=nonce.hex() if isinstance(nonce, bytes) else nonce, outcome=outcome,
                            question=question if isinstance(question, dict) else {"value": question},
                            answer=answer if answer is None or isinstance(answer, dict) else {"value": answer},
                            error=error[:500] if error else None)
    db.session.add(row)
    db.session.flush()
    return row


def refused(peer: Peer, kind: str, code: str, detail: str, actor: Actor | None = None) -> None:
    """Write a refusal of something a peer sent (a document, a question, an answer) to the audit trail
    (``federation.refused``), where the peers page lists the latest (:func:`refusals`)."""
    who = actor or Actor.system("federation")
    audit.record(who, "federation.refused", peer, object_id=peer.id,
                 after={"kind": kind, "code": code, "detail": detail[:300]},
                 summary=audit.msg("Refused the %(kind)s of peer %(name)s: %(code)s", kind=kind, name=peer.name,
                                   code=code))


def refusals(actor: Actor, *, limit: int = 20) -> list[AuditEntry]:
    """The latest refusals of what peers sent (forged or replayed questions, answers and documents)."""
    actor.require(can_manage(actor))
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "federation.refused")
                                   .order_by(AuditEntry.id.desc()).limit(limit)))


def no_answer_text(peer: Peer) -> str:
    if peer.last_success_at is None:
        return _("No answer from %(peer)s (it has never answered).", peer=peer.name)
    return _("No answer from %(peer)s since %(time)s.", peer=peer.name, time=format_datetime(peer.last_success_at))


def ask(actor: Actor, peer_id: int, kind: str, body: dict[str, Any]) -> Asked:
    """Ask a peer a question and check its signed answer. Never raises for what the peer does: a peer
    that is down, slow or answers garbage gives ``answered=False`` and a message saying so. Flushes.

    :raise ValidationFailed: unknown kind of question (``unknown_question``).
    :raise NotFound: no such peer; :raise InvalidState: the peer is suspended.
    """
    actor.require(can_ask(actor))
    if kind not in _HANDLERS:
        raise ValidationFailed.for_field("kind", _("Unknown kind of question."), "unknown_question")
    peer = get_peer(peer_id)
    if peer.status is not PeerStatus.ACTIVE:
        raise InvalidState(_("The peer is suspended."), code="peer_suspended")
    nonce = os.urandom(wire.NONCE_BYTES)
    now = utcnow()
    question = wire.Message(wire.QUESTION, kind, nonce, int(now.timestamp()), own_base_url(), peer.base_url, body)
    peer.last_attempt_at = now
    try:
        status, raw = transport.post_message(peer.base_url, wire.sign_message(private_key(), question))
    except transport.NoAnswer as exc:
        _record(peer, Direction.OUT, kind, nonce, Outcome.NO_ANSWER, body, error=str(exc))
        peer.last_error = f"ask {kind}: no answer ({exc})"[:500]
        return Asked(peer.name, kind, False, None, no_answer_text(peer))
    if status != 200:
        _record(peer, Direction.OUT, kind, nonce, Outcome.NO_ANSWER, body, error=f"HTTP {status}: {raw[:200]!r}")
        peer.last_error = f"ask {kind}: HTTP {status}"
        if status in (400, 403):
            return Asked(peer.name, kind, False, None,
                         _("%(peer)s refused the question. Check that it has added this installation as a peer.",
                           peer=peer.name))
        return Asked(peer.name, kind, False, None, no_answer_text(peer))
    try:
        answer = wire.read_message(raw, lambda sender: peer.fingerprint if sender == peer.base_url else None)
        if (answer.role != wire.ANSWER or answer.nonce != nonce or answer.kind != kind
                or answer.recipient != own_base_url()):
            raise wire.Refused("wrong-answer", "the answer does not match the question")
    except wire.Refused as exc:
        _record(peer, Direction.OUT, kind, nonce, Outcome.REFUSED, body, error=str(exc))
        peer.last_error = f"ask {kind}: answer refused ({exc.code})"
        refused(peer, f"answer {kind}", exc.code, exc.detail, actor)
        return Asked(peer.name, kind, False, None,
                     _("The answer from %(peer)s was refused: it is not signed by its pinned key or does not match "
                       "the question.", peer=peer.name))
    _record(peer, Direction.OUT, kind, nonce, Outcome.ANSWERED, body, answer=answer.body)
    peer.last_success_at, peer.last_error = utcnow(), None
    return Asked(peer.name, kind, True, answer.body, "")


# --- answering ------------------------------------------------------------------------------


class FederationRefusal(CertregError):
    status = 403
    code = "federation_refused"


class MalformedQuestion(FederationRefusal):
    status = 400


def _pin(sender: str) -> str | None:
    peer = db.session.scalar(sa.select(Peer).where(Peer.base_url == sender, Peer.status == PeerStatus.ACTIVE))
    return peer.fingerprint if peer is not None else None


def _read_question(raw: bytes) -> wire.Message:
    """The question, checked under the pinned key of the peer it claims to be from. A question forged in
    a peer's name (a key not pinned, a bad signature) is written to the audit trail as a refusal."""
    claimed: list[str] = []

    def pin(sender: str) -> str | None:
        claimed.append(sender)
        return _pin(sender)

    try:
        return wire.read_message(raw, pin)
    except wire.Refused as exc:
        logger.warning("federation: refused a question: %s", exc)
        known = db.session.scalar(sa.select(Peer).where(Peer.base_url == claimed[-1])) if claimed else None
        if known is not None and exc.code in ("unpinned-key", "bad-signature"):
            refused(known, "question", exc.code, exc.detail)
        refusal = MalformedQuestion if exc.code == "malformed" else FederationRefusal
        raise refusal(_("Question refused (%(code)s).", code=exc.code), code=exc.code) from None


def answer(raw: bytes) -> bytes:
    """Check a peer's signed question, answer it with a signed answer, record both. Flushes.

    :raise FederationRefusal: not a peer's, badly signed, not for us, out of the time window, a
        nonce seen before (``code`` says which); recorded if the sender is a known peer.
    :raise RateLimited: more than ``FEDERATION_RATE_LIMIT`` questions from the peer in a minute.
    """
    question = _read_question(raw)
    peer = db.session.scalar(sa.select(Peer).where(Peer.base_url == question.sender))
    now = utcnow()

    def refuse(code: str, error: str) -> FederationRefusal:
        _record(peer, Direction.IN, question.kind, question.nonce, Outcome.REFUSED, question.body, error=error)
        refused(peer, f"question {question.kind}", code, error)
        return FederationRefusal(_("Question refused (%(code)s).", code=code), code=code)

    if question.role != wire.QUESTION or question.recipient != own_base_url():
        raise refuse("wrong-recipient", f"for {question.recipient!r}")
    skew = current_app.config["FEDERATION_CLOCK_SKEW_SECONDS"]
    if abs(now.timestamp() - question.issued_at) > skew:
        raise refuse("out-of-window", f"iat {question.issued_at}")
    recent = db.session.scalar(sa.select(sa.func.count()).select_from(FederationMessage).where(
        FederationMessage.peer_id == peer.id, FederationMessage.direction == Direction.IN,
        FederationMessage.at > now - timedelta(minutes=1)))
    if recent >= current_app.config["FEDERATION_RATE_LIMIT"]:
        _record(peer, Direction.IN, question.kind, question.nonce, Outcome.REFUSED, question.body, error="rate")
        raise RateLimited(retry_after=60, code="federation_rate_limited")
    seen = db.session.scalar(sa.select(FederationMessage.id).where(
        FederationMessage.peer_id == peer.id, FederationMessage.direction == Direction.IN,
        FederationMessage.nonce == question.nonce.hex(), FederationMessage.outcome == Outcome.ANSWERED))
    if seen is not None:
        raise refuse("replayed", "nonce seen before")
    handler = _HANDLERS.get(question.kind)
    try:
        if handler is None:
            raise QuestionRefused("unknown-question")
        body = handler(peer, question.body)
    except QuestionRefused as exc:
        body = {"error": exc.code}
    reply = wire.Message(wire.ANSWER, question.kind, question.nonce, int(utcnow().timestamp()), own_base_url(),
                         question.sender, body)
    signed = wire.sign_message(private_key(), reply)
    try:
        with db.session.begin_nested():
            _record(peer, Direction.IN, question.kind, question.nonce, Outcome.ANSWERED, question.body, answer=body)
    except IntegrityError:  # the same nonce answered at the same moment by another worker
        raise refuse("replayed", "nonce seen before") from None
    return signed


def messages(actor: Actor, *, peer_id: int | None = None, limit: int = 50) -> list[FederationMessage]:
    """The latest questions asked and answered (both directions)."""
    actor.require(can_ask(actor))
    query = sa.select(FederationMessage).order_by(FederationMessage.id.desc()).limit(limit)
    if peer_id is not None:
        query = query.where(FederationMessage.peer_id == peer_id)
    return list(db.session.scalars(query))
