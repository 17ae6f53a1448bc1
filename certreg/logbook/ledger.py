"""Appending entries: ids, log positions, hashes, MACs, balances and the log head, in one transaction.

Every transaction that appends to a country's log first locks that country's log head
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the transaction already holds the
database's write lock, ``BEGIN IMMEDIATE``), then the holder's balance rows. Appends of
one country are therefore serialised, the ``seq`` numbers have no gaps, and a balance is
read and written by one transaction at a time: stock can never go negative, however many
requests arrive at once. Nothing here checks rules or permissions: see ``services``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached

from certreg.extensions import db
from certreg.logbook import canonical
from certreg.logbook.merkle import EMPTY_ROOT, Frontier
from certreg.logbook.models import Balance, Condition, Entry, EntryCylinder, LogNode, MerkleLog
from certreg.logbook.rules import Effect

logger = logging.getLogger(__name__)

ENTRIES = Entry.__table__
CYLINDERS = EntryCylinder.__table__
BALANCES = Balance.__table__
LOGS = MerkleLog.__table__
NODES = LogNode.__table__
ENTRY_COLUMNS = [c.name for c in ENTRIES.columns]


def mac_key() -> bytes:
    """``LOGBOOK_MAC_KEY``, or (outside production) a key derived from ``SECRET_KEY``."""
    configured = current_app.config.get("LOGBOOK_MAC_KEY")
    if configured:
        return configured.encode("utf-8") if isinstance(configured, str) else bytes(configured)
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(secret, b"certreg logbook entry MAC key v1", hashlib.sha256).digest()


def dialect() -> str:
    return db.session.get_bind().dialect.name


def insert_or_ignore(table: sa.Table, **values: Any) -> sa.Executable:
    """``INSERT ... ON CONFLICT DO NOTHING`` on either database."""
    insert = postgresql.insert if dialect() == "postgresql" else sqlite.insert
    return insert(table).values(**values).on_conflict_do_nothing()


# --- the log head ------------------------------------------------------------------------


@dataclass
class Head:
    country_code: str
    frontier: Frontier
    checkpoint_size: int
    checkpoint_at: datetime | None
    next_id: int | None = None  # an entry id drawn in the same round trip as the lock

    @property
    def size(self) -> int:
        return self.frontier.size


_NEXT_ID = sa.func.nextval(sa.func.pg_get_serial_sequence("logbook_entries", "id"))
_HEAD = sa.select(LOGS.c.size, LOGS.c.frontier, LOGS.c.checkpoint_size, LOGS.c.checkpoint_at)
# The statements of every append are built once (building them costs more than running them).
_LOCK_HEAD = {
    "postgresql": _HEAD.add_columns(_NEXT_ID.label("next_id")),
    # SQLite: this transaction holds the write lock, so MAX(id) + 1 is ours
    "sqlite": _HEAD.add_columns(sa.select(sa.func.coalesce(sa.func.max(ENTRIES.c.id), 0) + 1).scalar_subquery()
                                .label("next_id")),
}
_LOCK_HEAD = {dialect: query.where(LOGS.c.country_code == sa.bindparam("log")).with_for_update(of=LOGS)
              for dialect, query in _LOCK_HEAD.items()}
_SAVE_HEAD = LOGS.update().where(LOGS.c.country_code == sa.bindparam("log"))


def lock_head(country_code: str) -> Head:
    """Lock the country's log head for this transaction (creating it for the first entry).

    The same statement also draws the next entry id (one round trip less per entry).
    """
    query = _LOCK_HEAD["postgresql" if dialect() == "postgresql" else "sqlite"]
    row = db.session.execute(query, {"log": country_code}).first()
    if row is None:
        db.session.execute(insert_or_ignore(LOGS, country_code=country_code, size=0, frontier=b"",
                                            root_hash=EMPTY_ROOT, checkpoint_size=0))
        row = db.session.execute(query, {"log": country_code}).one()
    return Head(country_code, Frontier.from_bytes(row.size, bytes(row.frontier)), row.checkpoint_size,
                row.checkpoint_at, row.next_id)


def lock(country_code: str) -> None:
    """Lock the country's log head for this transaction without drawing an entry id (a check that must not
    race another writer of the log, e.g. whether a client id was recorded meanwhile)."""
    row = db.session.execute(sa.select(LOGS.c.country_code).where(LOGS.c.country_code == country_code)
                             .with_for_update()).first()
    if row is None:
        lock_head(country_code)


def save_head(head: Head, now: datetime) -> None:
    """Write the head, and the perfect subtrees the appends completed (see ``merkle.Frontier``)."""
    if head.frontier.completed:
        db.session.execute(NODES.insert(), [{"country_code": head.country_code, "level": level, "position": position,
                                             "hash": node} for level, position, node in head.frontier.completed])
        head.frontier.completed.clear()
    db.session.execute(_SAVE_HEAD, {
        "log": head.country_code, "size": head.size, "frontier": head.frontier.to_bytes(),
        "root_hash": head.frontier.root(), "updated_at": now, "checkpoint_size": head.checkpoint_size,
        "checkpoint_at": head.checkpoint_at,
    })


# --- balances ----------------------------------------------------------------------------


_LOCK_BALANCES = (sa.select(BALANCES.c.substance_code, BALANCES.c.condition, BALANCES.c.quantity)
                  .where(BALANCES.c.logbook_id == sa.bindparam("logbook")).with_for_update())
_UPDATE_BALANCE = BALANCES.update().where(
    BALANCES.c.logbook_id == sa.bindparam("logbook"), BALANCES.c.substance_code == sa.bindparam("substance"),
    BALANCES.c.condition == sa.bindparam("balance_condition"))
_INSERT_BALANCE = BALANCES.insert()


class Stock:
    """A holder's balances, read under lock, changed in memory and written back by :meth:`save`."""

    def __init__(self, logbook_id: int) -> None:
        self.logbook_id = logbook_id
        rows = db.session.execute(_LOCK_BALANCES, {"logbook": logbook_id}).all()
        self.values: dict[tuple[str, Condition], Decimal] = {
            (r.substance_code, Condition(r.condition)): Decimal(r.quantity) for r in rows
        }
        self.stored = set(self.values)
        self.last_entry: dict[tuple[str, Condition], int] = {}

    def get(self, substance_code: str, condition: Condition) -> Decimal:
        return self.values.get((substance_code, condition), Decimal("0.000"))

    def apply(self, moves: Iterable[Effect], entry_id: int) -> None:
        for code, condition, delta in moves:
            key = (code, condition)
            value = self.get(code, condition) + delta
            if value < 0:
                raise AssertionError(f"balance of {key} would go negative: rules were not checked")
            self.values[key] = value
            self.last_entry[key] = entry_id

    def save(self, now: datetime) -> None:
        for key, entry_id in sorted(self.last_entry.items()):
            code, condition = key
            values = {"quantity": self.values[key], "last_entry_id": entry_id, "updated_at": now}
            if key in self.stored:
                db.session.execute(_UPDATE_BALANCE, {"logbook": self.logbook_id, "substance": code,
                                                     "balance_condition": condition.value, **values})
            else:
                db.session.execute(_INSERT_BALANCE, {"logbook_id": self.logbook_id, "substance_code": code,
                                                     "condition": condition.value, **values})
                self.stored.add(key)
        self.last_entry.clear()


# --- entries -----------------------------------------------------------------------------


def next_ids(count: int) -> list[int]:
    """``count`` fresh entry ids (the id is part of the hashed canonical form, so it is chosen first)."""
    if count <= 0:
        return []
    if dialect() == "postgresql":  # one array rather than a row per id
        return db.session.scalar(sa.text(
            "SELECT array_agg(id ORDER BY id) FROM (SELECT nextval(pg_get_serial_sequence('logbook_entries', 'id')) "
            "AS id FROM generate_series(1, :n)) AS drawn"
        ), {"n": count})
    first = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(ENTRIES.c.id), 0) + 1))
    return list(range(first, first + count))


def seal(values: dict[str, Any], cylinders: Sequence[str], key: bytes) -> None:
    """Fill ``leaf_hash`` and ``mac`` of a complete set of entry values."""
    leaf = canonical.leaf_hash(canonical.canonical_bytes(values, cylinders))
    values["leaf_hash"] = leaf
    values["mac"] = canonical.entry_mac(key, values["country_code"], values["seq"], leaf)


_ENUM_COLUMNS = ("kind", "condition", "from_condition", "direction", "channel", "exempted_use")


def _storable(values: dict[str, Any]) -> dict[str, Any]:
    """The values with enum members as their stored strings."""
    row = dict(values)
    for column in _ENUM_COLUMNS:
        value = row[column]
        if isinstance(value, Enum):
            row[column] = value.value
    return row


def append(head: Head, values: dict[str, Any], cylinders: Sequence[str]) -> dict[str, Any]:
    """Append one entry to the locked log; returns the stored values (with id, seq, hashes).

    ``values`` holds every entry column except ``id``, ``seq``, ``leaf_hash``, ``mac``.
    """
    values = dict(values)
    values["id"] = head.next_id if head.next_id is not None else next_ids(1)[0]
    head.next_id = None  # each id is used once
    values["seq"] = head.size
    seal(values, cylinders, mac_key())
    db.session.execute(_INSERT_ENTRY, _storable(values))
    if cylinders:
        db.session.execute(CYLINDERS.insert(), [{"entry_id": values["id"], "position": i, "serial": s}
                                                for i, s in enumerate(cylinders)])
    head.frontier.append(values["leaf_hash"])
    return values


_INSERT_ENTRY = ENTRIES.insert()


def as_entry(values: dict[str, Any]) -> Entry:
    """The just-inserted entry as a persistent ORM object, without reading it back."""
    entry = Entry(**{column: values[column] for column in ENTRY_COLUMNS})
    make_transient_to_detached(entry)
    return db.session.merge(entry, load=False)
