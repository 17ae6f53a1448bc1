"""Signing checkpoints of the countries' logs, serving them, and inclusion proofs for entries."""

from __future__ import annotations

import base64
import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.db import utcnow
from certreg.errors import NotFound
from certreg.extensions import db
from certreg.keys.services import active_key
from certreg.logbook import canonical, checkpoint_format, leaves, ledger
from certreg.logbook.merkle import StoredTree, inclusion_path, verify_inclusion
from certreg.logbook.models import Checkpoint, Entry, LogNode, MerkleLog
from certreg.logbook.queries import get_entry
from certreg.vocabulary import Role

logger = logging.getLogger(__name__)


def maybe_checkpoint(head: ledger.Head, now: datetime) -> Checkpoint | None:
    """Sign a checkpoint if enough entries or time went by (``LOGBOOK_CHECKPOINT_EVERY_*``).

    A country without a signing key gets none (logged); recording entries goes on.
    """
    if head.size <= head.checkpoint_size:
        return None
    every_entries = current_app.config["LOGBOOK_CHECKPOINT_EVERY_ENTRIES"]
    every_seconds = current_app.config["LOGBOOK_CHECKPOINT_EVERY_SECONDS"]
    due = bool(every_entries) and head.size - head.checkpoint_size >= every_entries
    if every_seconds and not due:
        due = head.checkpoint_at is None or (now - head.checkpoint_at).total_seconds() >= every_seconds
    if not due:
        return None
    try:
        return sign_head(head, now)
    except NotFound as exc:
        logger.warning("no checkpoint for %s at size %s: %s", head.country_code, head.size, exc.message)
        head.checkpoint_at = now  # try again after the interval, not at every entry
        return None


def sign_head(head: ledger.Head, now: datetime) -> Checkpoint:
    """Sign the locked head's size and root with the national key (or return the checkpoint of that size).

    :raise NotFound: the country has no signing key.
    """
    existing = db.session.scalar(sa.select(Checkpoint).where(
        Checkpoint.country_code == head.country_code, Checkpoint.tree_size == head.size))
    if existing is not None:
        return existing

    key = active_key(head.country_code)
    body = checkpoint_format.CheckpointBody(
        origin=checkpoint_format.origin_for(current_app.config["PUBLIC_BASE_URL"], head.country_code),
        tree_size=head.size, root_hash=head.frontier.root(), signed_at=now.replace(microsecond=0),
    )
    signed = checkpoint_format.sign(body, head.country_code, key.kid, key.private_key)
    checkpoint = Checkpoint(country_code=head.country_code, tree_size=head.size, root_hash=body.root_hash,
                            signed_at=body.signed_at, kid=key.kid, signature=signed.signature, text=signed.text())
    db.session.add(checkpoint)
    db.session.flush()
    head.checkpoint_size = head.size
    head.checkpoint_at = now
    logger.info("checkpoint %s/%s signed with %s", head.country_code, head.size, key.kid)
    return checkpoint


def can_sign(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, Role.ADMIN)


def create_checkpoint(actor: Actor, country_code: str) -> Checkpoint:
    """Sign a checkpoint of the country's log now (administrators; ``flask logbook checkpoint``)."""
    actor.require(can_sign(actor, country_code))
    now = utcnow()
    head = ledger.lock_head(country_code)
    checkpoint = sign_head(head, now)
    ledger.save_head(head, now)
    audit.record(actor, "logbook_checkpoint.sign", checkpoint, country_code=country_code,
                 summary=audit.msg("Checkpoint of %(country)s at size %(size)s",
                                   country=country_code, size=checkpoint.tree_size))
    return checkpoint


def list_checkpoints(country_code: str | None = None, *, page: int = 1, per_page: int = 50):
    """Signed checkpoints are public (they reveal only sizes and hashes), newest first."""
    query = sa.select(Checkpoint)
    if country_code:
        query = query.where(Checkpoint.country_code == country_code.upper())
    return db.paginate(query.order_by(Checkpoint.id.desc()), page=page, per_page=per_page, error_out=False)


def get_checkpoint(checkpoint_id: int) -> Checkpoint:
    checkpoint = db.session.get(Checkpoint, checkpoint_id)
    if checkpoint is None:
        raise NotFound()
    return checkpoint


def latest_checkpoint(country_code: str) -> Checkpoint | None:
    return db.session.scalar(sa.select(Checkpoint).where(Checkpoint.country_code == country_code)
                             .order_by(Checkpoint.tree_size.desc()).limit(1))


def log_head(country_code: str) -> MerkleLog | None:
    return db.session.get(MerkleLog, country_code)


# --- proofs ------------------------------------------------------------------------------


def entry_bytes(entry: Entry) -> bytes:
    """The canonical form of a stored entry (what its leaf hash covers)."""
    values = {column: getattr(entry, column) for column in ledger.ENTRY_COLUMNS}
    return canonical.canonical_bytes(values, entry.cylinders)


def leaf_reader(country_code: str):
    entries = Entry.__table__

    def read(offset: int, width: int) -> list[bytes]:
        found = {seq: bytes(h) for seq, h in db.session.execute(
            sa.select(entries.c.seq, entries.c.leaf_hash).where(
                entries.c.country_code == country_code, entries.c.seq >= offset, entries.c.seq < offset + width))}
        for source in leaves.sources():  # records of other features between the entries (quota lines)
            found.update(source.stored_hashes(country_code, offset, width))
        return [found[seq] for seq in sorted(found)]

    return read


def node_reader(country_code: str):
    """Stored perfect-subtree roots of the country's log (``logbook_log_nodes``)."""
    nodes = LogNode.__table__

    def node(level: int, position: int) -> bytes | None:
        value = db.session.scalar(sa.select(nodes.c.hash).where(
            nodes.c.country_code == country_code, nodes.c.level == level, nodes.c.position == position))
        return None if value is None else bytes(value)

    return node


def inclusion_proof(actor: Actor, entry_id: int) -> dict[str, Any]:
    """An RFC 9162 inclusion proof of the entry in the latest signed checkpoint covering it.

    Without such a checkpoint yet, the proof is against the current (unsigned) head.
    """
    entry = get_entry(actor, entry_id)
    checkpoint = db.session.scalar(sa.select(Checkpoint).where(
        Checkpoint.country_code == entry.country_code, Checkpoint.tree_size > entry.seq)
        .order_by(Checkpoint.tree_size.desc()).limit(1))
    if checkpoint is not None:
        size, root = checkpoint.tree_size, bytes(checkpoint.root_hash)
    else:
        head = log_head(entry.country_code)
        size, root = head.size, bytes(head.root_hash)
    data = entry_bytes(entry)
    leaf = canonical.leaf_hash(data)
    tree = StoredTree(size, leaf_reader(entry.country_code), node_reader(entry.country_code))
    path = inclusion_path(tree, entry.seq, size)
    return {
        "entry_id": entry.id,
        "log": entry.country_code,
        "leaf_index": entry.seq,
        "tree_size": size,
        "canonical": data.decode("utf-8"),
        "leaf_hash": base64.b64encode(leaf).decode("ascii"),
        "inclusion_path": [base64.b64encode(h).decode("ascii") for h in path],
        "root_hash": base64.b64encode(root).decode("ascii"),
        "checkpoint": {"id": checkpoint.id, "text": checkpoint.text} if checkpoint else None,
        "verified": verify_inclusion(leaf, entry.seq, size, path, root),
    }
