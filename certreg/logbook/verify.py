"""Recompute a country's log from its entries and compare with everything stored and signed.

Checks, in one pass over the entries in ``seq`` order:

1. every entry's canonical form hashes to its stored leaf hash (an edit shows here);
2. every stored leaf hash carries a valid MAC for its position (a rewritten hash, an
   inserted entry or a moved one shows here: the attacker lacks ``LOGBOOK_MAC_KEY``);
3. the positions run 0, 1, 2, ... with no gap (a deleted entry shows here);
4. the tree rebuilt from the recomputed leaves has, at each signed checkpoint's size, the
   signed root, and every checkpoint's signature verifies under the country's key
   (rewriting hashes *and* head cannot match what the national key signed);
5. the log head (size, root) agrees with the rebuilt tree, and every stock balance equals
   the sum of the entries (reading stock never sums; verifying does).

The first problem with a position names "the first bad entry".
"""

from __future__ import annotations

import heapq
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec

from certreg.extensions import db
from certreg.keys.models import SigningKey
from certreg.keys.services import key_path
from certreg.logbook import canonical, checkpoint_format, leaves, ledger, links, rules
from certreg.logbook.merkle import Frontier
from certreg.logbook.models import (
    Balance,
    Checkpoint,
    Condition,
    Direction,
    EntryCylinder,
    EntryKind,
    Logbook,
    LogNode,
    MerkleLog,
)
from certreg.tokens import encoding as token_text
from certreg.tokens import keys as signing_keys

logger = logging.getLogger(__name__)

KeyResolver = Callable[[str, str], tuple[ec.EllipticCurvePublicKey | None, str]]


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    seq: int | None = None
    entry_id: int | None = None

    def describe(self) -> str:
        where = []
        if self.seq is not None:
            where.append(f"seq {self.seq}")
        if self.entry_id is not None:
            where.append(f"entry id {self.entry_id}")
        return (f"[{', '.join(where)}] " if where else "") + f"{self.code}: {self.message}"


@dataclass
class Report:
    country_code: str
    entries: int = 0
    head_size: int = 0
    root_hash: bytes = b""
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_entry(self) -> Problem | None:
        placed = [p for p in self.problems if p.seq is not None]
        return min(placed, key=lambda p: p.seq) if placed else None

    def as_dict(self) -> dict[str, Any]:
        first = self.first_bad_entry
        return {
            "country": self.country_code,
            "ok": self.ok,
            "entries": self.entries,
            "head_size": self.head_size,
            "root_hash": self.root_hash.hex(),
            "checkpoints": self.checkpoints,
            "first_bad_entry": None if first is None else {"seq": first.seq, "entry_id": first.entry_id,
                                                            "code": first.code, "message": first.message},
            "problems": [{"code": p.code, "message": p.message, "seq": p.seq, "entry_id": p.entry_id}
                         for p in self.problems],
            "notes": list(self.notes),
        }


def key_resolver(jwks: dict[str, Any] | None = None) -> KeyResolver:
    """Public keys for checkpoint signatures, the most trustworthy source first.

    An external JWKS (``--jwks``; e.g. the trust list saved by a witness) if given; else the
    public half of the private key file (the database attacker cannot change it); else the
    public JWK kept in the database (a note says so).
    """

    external = signing_keys.TrustList.from_jwks(jwks) if jwks is not None else None

    def resolve(kid: str, country_code: str) -> tuple[ec.EllipticCurvePublicKey | None, str]:
        if external is not None:
            trusted = external(token_text.b64url_decode(kid))
            if trusted is None or trusted.country != country_code:
                return None, "the given JWKS"
            return trusted.public_key, "the given JWKS"
        path = Path(key_path(country_code, kid))
        if path.exists():
            return signing_keys.load_private_key(path).public_key(), "the key file"
        row = db.session.scalar(sa.select(SigningKey).where(SigningKey.kid == kid,
                                                            SigningKey.country_code == country_code))
        if row is None:
            return None, "the database"
        return signing_keys.public_key_from_jwk(row.public_jwk), "the database"

    return resolve


def _signed_checkpoints(country_code: str, resolve: KeyResolver, report: Report) -> dict[int, Checkpoint]:
    by_size: dict[int, Checkpoint] = {}
    sources = set()
    for checkpoint in db.session.scalars(sa.select(Checkpoint).where(Checkpoint.country_code == country_code)
                                         .order_by(Checkpoint.tree_size)):
        report.checkpoints += 1
        label = f"checkpoint #{checkpoint.id} (size {checkpoint.tree_size})"
        try:
            signed = checkpoint_format.parse(checkpoint.text)
        except checkpoint_format.CheckpointError as exc:
            report.problems.append(Problem("checkpoint_malformed", f"{label}: {exc}"))
            continue
        if (signed.body.tree_size, signed.body.root_hash, signed.kid, signed.country_code) != (
                checkpoint.tree_size, bytes(checkpoint.root_hash), checkpoint.kid, country_code):
            report.problems.append(Problem("checkpoint_altered", f"{label}: its columns differ from its signed text"))
            continue
        public_key, source = resolve(signed.kid, country_code)
        sources.add(source)
        if public_key is None:
            report.problems.append(Problem("checkpoint_unknown_key", f"{label}: key {signed.kid} is not in {source}"))
            continue
        try:
            checkpoint_format.verify(signed, public_key)
        except checkpoint_format.CheckpointError:
            report.problems.append(Problem("checkpoint_signature", f"{label}: the signature does not verify"))
            continue
        by_size[checkpoint.tree_size] = checkpoint
    if "the database" in sources:
        report.notes.append("some checkpoint keys were taken from the database, not from a key file or a JWKS")
    return by_size


def _rows(country_code: str, chunk: int):
    entries = ledger.ENTRIES
    cylinders = EntryCylinder.__table__
    last = -1
    while True:
        rows = db.session.execute(sa.select(entries).where(entries.c.country_code == country_code,
                                                           entries.c.seq > last)
                                  .order_by(entries.c.seq).limit(chunk)).mappings().all()
        if not rows:
            return
        serials: dict[int, list[str]] = defaultdict(list)
        ids = [r["id"] for r in rows]
        for entry_id, serial in db.session.execute(
                sa.select(cylinders.c.entry_id, cylinders.c.serial).where(cylinders.c.entry_id.in_(ids))
                .order_by(cylinders.c.entry_id, cylinders.c.position)):
            serials[entry_id].append(serial)
        for row in rows:
            yield row, serials.get(row["id"], [])
        last = rows[-1]["seq"]


def _entry_leaves(country_code: str, chunk: int):
    """``(seq, recomputed leaf, stored leaf, mac, entry id, None)`` of the country's entries, in ``seq`` order."""
    for row, cylinders in _rows(country_code, chunk):
        try:
            leaf = canonical.leaf_hash(canonical.canonical_bytes(row, cylinders))
        except (TypeError, ValueError):
            leaf = b""
        yield row["seq"], leaf, bytes(row["leaf_hash"]), bytes(row["mac"]), row["id"], None


def _linked_leaves(link: links.Link, country_code: str, chunk: int, report: Report):
    """``(seq, recomputed leaf, stored leaf, mac, None, label)`` of a linked feature's leaves, in ``seq`` order;
    rows outside the log (no position) are problems of their own."""
    table = link.table
    unsealed = db.session.execute(sa.select(table).where(table.c.country_code == country_code,
                                                         table.c.seq.is_(None))).mappings().all()
    for _seq, _leaf, _stored, _mac, label in link.verify_rows(unsealed):
        report.problems.append(Problem(f"{link.name}_unsealed", f"{label}: not in the log"))
    last = -1
    while True:
        rows = db.session.execute(sa.select(table).where(table.c.country_code == country_code, table.c.seq > last)
                                  .order_by(table.c.seq).limit(chunk)).mappings().all()
        if not rows:
            return
        for seq, leaf, stored, mac, label in link.verify_rows(rows):
            yield seq, leaf, stored, mac, None, label
        last = rows[-1]["seq"]


def _other_leaves(source: leaves.LeafSource, country_code: str):
    """The same tuples for a registered source of leaves (the quota ledger's lines)."""
    for item in source.leaves(country_code):
        yield item.seq, item.leaf or b"", item.stored, item.mac, None, item.label


def _checked_leaf(item: leaves.Leaf, key: bytes, country_code: str, entry_id: int | None, report: Report) -> bytes:
    """The recomputed leaf hash, after checking it against the recorded one and its MAC."""
    what = f"{item.label}: " if item.label else ""
    stored = item.stored
    leaf = item.leaf if item.leaf is not None else stored
    if leaf != stored:
        report.problems.append(Problem("entry_changed", what + "its content no longer matches the hash recorded "
                                                               "with it (edited after recording)", item.seq, entry_id))
    elif not canonical.mac_matches(key, country_code, item.seq, stored, item.mac):
        report.problems.append(Problem("entry_mac_invalid", what + "its hash was rewritten, or it was written "
                                                                   "into the database by something other than "
                                                                   "certreg (bad MAC)", item.seq, entry_id))
    return leaf


def verify_log(country_code: str, *, resolve: KeyResolver | None = None, chunk: int = 5000) -> Report:
    """Check the country's log: every leaf, the stored subtrees, the signed checkpoints, the balances."""
    # One piece: one pass over the log in seq order, each leaf checked, hashed into both frontiers and
    # compared with the checkpoint of that size; split, the reader would chase the frontiers' state.
    report = Report(country_code)
    key = ledger.mac_key()
    signed = _signed_checkpoints(country_code, resolve or key_resolver(), report)
    frontier = Frontier()
    recorded = Frontier()  # over the hashes as recorded: what the stored subtrees must give
    expected = 0
    sources = [_entry_leaves(country_code, chunk),
               *(_linked_leaves(link, country_code, chunk, report) for link in links.links()),
               *(_other_leaves(source, country_code) for source in leaves.sources())]
    for seq, leaf, stored, mac, entry_id, label in heapq.merge(*sources, key=lambda leaf: leaf[0]):
        if seq != expected:
            report.problems.append(Problem(
                "entry_missing", f"entries at seq {expected}..{seq - 1} are missing (deleted); "
                f"the next {'entry is id ' + str(entry_id) if label is None else 'leaf is ' + label}",
                seq=expected, entry_id=entry_id))
        expected = seq + 1
        report.entries += 1
        prefix = "entry" if label is None else label.split(" id ")[0].replace(" ", "_")
        where = "" if label is None else f"{label}: "
        if not leaf:
            report.problems.append(Problem(f"{prefix}_unreadable", f"{where}its canonical form cannot be built",
                                           seq, entry_id))
            leaf = stored
        if leaf != stored:
            report.problems.append(Problem(f"{prefix}_changed", f"{where}its content no longer matches the hash "
                                                                "recorded with it (edited after recording)",
                                           seq, entry_id))
        elif not canonical.mac_matches(key, country_code, seq, stored, mac):
            report.problems.append(Problem(f"{prefix}_mac_invalid", f"{where}its hash was rewritten, or it was "
                                                                    "written into the database by something other "
                                                                    "than certreg (bad MAC)", seq, entry_id))
        frontier.append(leaf)
        recorded.append(stored)
        checkpoint = signed.get(frontier.size)
        if checkpoint is not None and frontier.root() != bytes(checkpoint.root_hash):
            report.problems.append(Problem(
                "checkpoint_mismatch", f"the first {frontier.size} entries no longer give the root signed in "
                f"checkpoint #{checkpoint.id} at {checkpoint.signed_at:%Y-%m-%d %H:%M} UTC"))
    for size, checkpoint in signed.items():
        if size > frontier.size:
            report.problems.append(Problem(
                "checkpoint_beyond_log", f"checkpoint #{checkpoint.id} signed {size} entries but only "
                f"{frontier.size} exist (entries removed from the end)", seq=frontier.size))
    head = db.session.get(MerkleLog, country_code)
    report.root_hash = frontier.root()
    if head is not None:
        report.head_size = head.size
        if head.size != expected:
            report.problems.append(Problem("head_size", f"the log head counts {head.size} entries, the table has "
                                                        f"positions up to {expected}",
                                           seq=min(head.size, expected) if head.size < expected else None))
        elif bytes(head.root_hash) != report.root_hash:
            report.problems.append(Problem("head_root", "the log head's root differs from the recomputed root"))
    elif expected:
        report.problems.append(Problem("head_missing", "entries exist but the log head is missing"))
    _check_nodes(country_code, recorded.completed, report)
    _check_balances(country_code, report)
    report.problems.extend(Problem(code, message) for source in leaves.sources() if source.check is not None
                           for code, message in source.check(country_code))
    return report


def _check_nodes(country_code: str, computed: list[tuple[int, int, bytes]], report: Report) -> None:
    """The stored perfect subtrees (``logbook_log_nodes``) against those the entries give."""
    nodes = LogNode.__table__
    expected = {(level, position): node for level, position, node in computed}
    for level, position, stored in db.session.execute(
            sa.select(nodes.c.level, nodes.c.position, nodes.c.hash).where(nodes.c.country_code == country_code)
            .order_by(nodes.c.level, nodes.c.position)):
        if expected.get((level, position)) != bytes(stored):
            first, last = position << level, ((position + 1) << level) - 1
            report.problems.append(Problem(
                "node_changed", f"the stored hash of the subtree of entries {first}..{last} differs from the one "
                "their recorded hashes give (inclusion proofs over them would not verify)"))


def _check_balances(country_code: str, report: Report) -> None:
    """Every stored balance equals the entries' sum (the one place that sums a logbook)."""
    e = ledger.ENTRIES.alias("e")
    o = ledger.ENTRIES.alias("o")
    kind = sa.func.coalesce(o.c.kind, e.c.kind)
    direction = sa.func.coalesce(o.c.direction, e.c.direction)
    reversal = sa.case((e.c.kind == EntryKind.REVERSAL.value, -1), else_=1)
    sign = sa.case(
        (kind.in_([k.value for k in rules.IN_KINDS | rules.PROCESSING_KINDS]), 1),
        (kind.in_([k.value for k in rules.OUT_KINDS]), -1),
        (sa.and_(kind == EntryKind.STOCK_COUNT.value, direction == Direction.IN.value), 1),
        else_=-1,
    )
    base = sa.select(e.c.logbook_id, e.c.substance_code).select_from(e.outerjoin(o, o.c.id == e.c.reverses_id)) \
        .where(e.c.country_code == country_code)
    main = base.add_columns(e.c.condition.label("condition"), (e.c.quantity * sign * reversal).label("delta"))
    processed = base.add_columns(e.c.from_condition.label("condition"), (-e.c.quantity * reversal).label("delta")) \
        .where(kind.in_([k.value for k in rules.PROCESSING_KINDS]))
    moves = sa.union_all(main, processed).subquery()
    computed: dict[tuple[int, str, str], Decimal] = {}
    for logbook_id, code, condition, total in db.session.execute(
            sa.select(moves.c.logbook_id, moves.c.substance_code, moves.c.condition, sa.func.sum(moves.c.delta))
            .group_by(moves.c.logbook_id, moves.c.substance_code, moves.c.condition)):
        computed[(logbook_id, code, condition)] = Decimal(total).quantize(rules.GRAMS)
    stored: dict[tuple[int, str, str], Decimal] = {}
    for balance in db.session.scalars(sa.select(Balance).join(Logbook).where(Logbook.country_code == country_code)):
        stored[(balance.logbook_id, balance.substance_code, Condition(balance.condition).value)] = balance.quantity
    for key in sorted(set(computed) | set(stored)):
        want, have = computed.get(key, Decimal("0.000")), stored.get(key, Decimal("0.000"))
        if want != have:
            logbook_id, code, condition = key
            report.problems.append(Problem(
                "balance_mismatch", f"logbook {logbook_id}: {condition} {code} balance is {have} kg, "
                f"the entries add up to {want} kg"))


def verify_all(*, resolve: KeyResolver | None = None, country_code: str | None = None) -> list[Report]:
    """Verify every country's log (or one)."""
    if country_code:
        countries = [country_code.upper()]
    else:
        countries = sorted(set(db.session.scalars(sa.select(MerkleLog.country_code)))
                           | set(db.session.scalars(sa.select(Checkpoint.country_code).distinct()))
                           | set(db.session.scalars(sa.select(ledger.ENTRIES.c.country_code).distinct())))
    resolve = resolve or key_resolver()
    return [verify_log(code, resolve=resolve) for code in countries]

