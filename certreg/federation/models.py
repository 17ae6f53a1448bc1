"""Federation: this installation's federation key, its peers, their last good documents, what it
published, and the questions asked and answered between installations."""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from certreg.db import Base, created_at, enum_type, intpk, str64, str255, timestamp


class FederationKey(Base):
    """This installation's federation key (ES256): signs its published documents and its questions
    and answers. The private key is the PEM file ``{SIGNING_KEYS_DIR}/federation/{kid}.pem``, like
    the countries' signing keys; peers pin its fingerprint (RFC 7638 thumbprint, SHA-256, hex). The
newest row is the key in use; a new one means telling every peer its fingerprint again."""

    __tablename__ = "federation_keys"

    id: Mapped[intpk]
    kid: Mapped[str] = mapped_column(sa.String(16), unique=True)
    fingerprint: Mapped[str64] = mapped_column(unique=True, comment="RFC 7638 SHA-256 thumbprint, 64 hex digits")
    public_jwk: Mapped[dict[str, Any]]
    created_at: Mapped[created_at]


class PeerStatus(enum.StrEnum):
    ACTIVE = "active"  # synced, asked and answered
    SUSPENDED = "suspended"  # kept, but neither synced nor answered; its last copies leave the verifiers
    REMOVED = "removed"  # gone (the row stays for the record of its questions)


class Peer(Base):
    """Another certreg installation this one trusts, added by an administrator with the fingerprint
    of its federation key exchanged out of band."""

    __tablename__ = "federation_peers"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(sa.String(80), comment="What users see, e.g. 'Kazakhstan (Astana)'")
    base_url: Mapped[str255] = mapped_column(unique=True, comment="https://host[:port][/path], no trailing slash")
    fingerprint: Mapped[str64] = mapped_column(comment="Pinned federation key, RFC 7638 SHA-256 hex")
    status: Mapped[PeerStatus] = mapped_column(enum_type(PeerStatus, 16))
    created_at: Mapped[created_at]
    last_attempt_at: Mapped[timestamp | None] = mapped_column(comment="Last sync or question tried")
    last_success_at: Mapped[timestamp | None] = mapped_column(comment="Last time the peer answered well")
    last_error: Mapped[str | None] = mapped_column(sa.String(500))


class PeerDocument(Base):
    """The last good copy of one document a peer publishes (trust list, a status list, ...)."""

    __tablename__ = "federation_peer_documents"

    id: Mapped[intpk]
    peer_id: Mapped[int] = mapped_column(sa.ForeignKey("federation_peers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40), comment="trust-list, status/certificates, ...")
    sequence: Mapped[int] = mapped_column(sa.BigInteger, comment="The peer's sequence number of this document")
    issued_at: Mapped[timestamp] = mapped_column(comment="When the peer signed it")
    etag: Mapped[str | None] = mapped_column(sa.String(80))
    body: Mapped[dict[str, Any]] = mapped_column(comment="The verified content (JSON)")
    fetched_at: Mapped[timestamp] = mapped_column(comment="When this copy was fetched")
    checked_at: Mapped[timestamp] = mapped_column(comment="Last time the peer said it is still current")

    __table_args__ = (sa.UniqueConstraint("peer_id", "kind"),)


class Publication(Base):
    """What this installation last published of one document kind, signed with its federation key."""

    __tablename__ = "federation_publications"

    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    sequence: Mapped[int] = mapped_column(sa.BigInteger, comment="Grows by one with each new content")
    content_hash: Mapped[str64] = mapped_column(comment="SHA-256 of what the content says (not of its signatures)")
    issued_at: Mapped[timestamp]
    signed: Mapped[bytes] = mapped_column(sa.LargeBinary, comment="The COSE_Sign1 document as served")


class Direction(enum.StrEnum):
    IN = "in"  # a peer asked us
    OUT = "out"  # we asked a peer


class Outcome(enum.StrEnum):
    ANSWERED = "answered"
    REFUSED = "refused"  # bad signature, replay, out of the time window, not a peer, rate limited
    NO_ANSWER = "no_answer"  # the peer was down, slow or answered garbage


class FederationMessage(Base):
    """One signed question between installations, as recorded by each side."""

    __tablename__ = "federation_messages"

    id: Mapped[intpk]
    peer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation_peers.id"), index=True)
    direction: Mapped[Direction] = mapped_column(enum_type(Direction, 8))
    kind: Mapped[str] = mapped_column(sa.String(40), comment="The question handler, e.g. certificate-status")
    nonce: Mapped[str] = mapped_column(sa.String(32), comment="Hex of the request's 16 random bytes")
    at: Mapped[created_at]
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome, 16))
    question: Mapped[dict[str, Any]]
    answer: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(sa.String(500))

    __table_args__ = (
        # A nonce is accepted once per asking peer (replay protection).
        sa.Index("uq_federation_messages_nonce", "peer_id", "direction", "nonce", unique=True,
                 sqlite_where=sa.text("outcome = 'answered'"), postgresql_where=sa.text("outcome = 'answered'")),
        sa.Index("ix_federation_messages_peer_at", "peer_id", "direction", "at"),
    )



class OutboxState(enum.StrEnum):
    PENDING = "pending"  # not yet answered by the peer: sent again by `flask federation sync` / `send-alerts`
    SENT = "sent"  # the peer answered that it has it
    REFUSED = "refused"  # the peer answered with an error: not sent again


class OutgoingQuestion(Base):
    """A question that must reach a peer even if it is down now (seizure alerts): kept until it is answered.
    The peer stores it once by ``reference`` however often it is sent."""

    __tablename__ = "federation_outbox"

    id: Mapped[intpk]
    peer_id: Mapped[int] = mapped_column(sa.ForeignKey("federation_peers.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40), comment="The question's kind, e.g. seizure-alert")
    reference: Mapped[str] = mapped_column(sa.String(120), comment="What it is about, e.g. the seizure's reference")
    country_code: Mapped[str | None] = mapped_column(sa.String(2), comment="The country it is sent for")
    body: Mapped[dict[str, Any]]
    state: Mapped[OutboxState] = mapped_column(enum_type(OutboxState, 16))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[created_at]
    last_attempt_at: Mapped[timestamp | None]
    sent_at: Mapped[timestamp | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    answer: Mapped[dict[str, Any] | None]

    __table_args__ = (sa.UniqueConstraint("peer_id", "kind", "reference"),)
