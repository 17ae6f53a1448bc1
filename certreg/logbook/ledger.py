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
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from certreg.extensions import db
from certreg.logbook import canonical
from certreg.logbook.merkle import EMPTY_ROOT, Frontier
from certreg.logbook.models import Balance, Condition, Entry, EntryCylinder, LogNode, MerkleLog, Transfer
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


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def insert_or_ignore(table: sa.Table, **values: Any) -> sa.Executable:
    """``INSERT ... ON CONFLICT DO NOTHING`` on either database."""
    insert = postgresql.insert if _dialect() == "postgresql" else sqlite.insert
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
    query = _LOCK_HEAD["postgresql" if _dialect() == "postgresql" else "sqlite"]
    row = db.session.execute(query, {"log": country_code}).first()
    if row is None:
        db.session.execute(insert_or_ignore(LOGS, country_code=country_code, size=0, frontier=b"",
                                            root_hash=EMPTY_ROOT, checkpoint_size=0))
        row = db.session.execute(query, {"log": country_code}).one()
    return Head(country_code, Frontier.from_bytes(row.size, bytes(row.frontier)), row.checkpoint_size,
                row.checkpoint_at, row.next_id)


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
    if _dialect() == "postgresql":  # one array rather than a row per id
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
    from sqlalchemy.orm import make_transient_to_detached

    entry = Entry(**{column: values[column] for column in ENTRY_COLUMNS})
    make_transient_to_detached(entry)
    return db.session.merge(entry, load=False)


# --- many entries at once (the CSV import) -------------------------------------------------

#: Columns that every entry of one bulk append shares (given once to :class:`BulkAppender`).
BULK_FIXED = ("country_code", "logbook_id", "channel", "import_id", "recorded_at", "recorded_by_user_id",
              "recorded_by_label", "intervention_id", "reverses_id", "counterpart_of_id")
_DRAWN = ("id", "seq", "leaf_hash", "mac")  # set by the appender
#: The columns that differ between the entries.
BULK_VARIABLE = tuple(c for c in ENTRY_COLUMNS if c not in BULK_FIXED and c not in _DRAWN)
CHUNK = 10_000  # rows per COPY (per executemany on SQLite)
FIRST_CHUNK = 1000  # PostgreSQL: the first and the last COPYs are smaller (see BulkAppender._next_limit)


class BulkAppender:
    """Appends many entries that share :data:`BULK_FIXED` to the locked log (the CSV import).

    Every entry gets exactly the id, position, canonical form, leaf hash, MAC and row that
    :func:`append` would give it one by one; the work per entry is only cheaper: the
    canonical form comes from a :class:`canonical.Template`, the MAC from a keyed hash
    prepared once, and the rows are written in chunks of up to :data:`CHUNK` (PostgreSQL:
    ``COPY`` in a background thread, so that the database stores one chunk while the next
    is checked and sealed; SQLite: ``executemany``). ``expected`` (an estimate of the
    number of entries) only sizes the chunks and the batches of ids. Everything stays in the caller's
    transaction: while a ``COPY`` runs, any other statement on the connection waits for it
    (the driver connection's lock), and :meth:`finish` waits for the last one.

    Balances and the log head are the caller's (``Stock``, :func:`save_head`).
    """

    def __init__(self, head: Head, fixed: dict[str, Any], *, expected: int = 0, chunk: int | None = None) -> None:
        if set(fixed) != set(BULK_FIXED):
            raise ValueError(f"fixed columns must be {BULK_FIXED}")
        if fixed["country_code"] != head.country_code:
            raise ValueError("entries go into the locked head's log")
        self.head = head
        self.fixed = dict(fixed)
        self.chunk = chunk or CHUNK
        self.count = 0
        self._expected = expected
        self._postgres = _dialect() == "postgresql"
        self._template = canonical.Template(fixed, ("id", "seq", *BULK_VARIABLE))
        self._mac = canonical.MacKey(mac_key(), head.country_code)
        self._limit = min(self.chunk, FIRST_CHUNK) if self._postgres else self.chunk  # rows in this chunk
        self._ids: list[int] = []
        self._next_sqlite_id: int | None = None
        self._rows: list[Any] = []
        self._cylinders: list[Any] = []
        self._transfers: list[tuple[Any, ...]] = []
        self._get_fixed = itemgetter(*BULK_FIXED)
        self._fixed_values = self._get_fixed(fixed)
        self._get_variable = itemgetter(*BULK_VARIABLE)
        self._writer = _CopyWriter() if self._postgres else None
        self._row = (_copy_row_function if self._postgres else _sqlite_row_function)(self.fixed)

    def add(self, values: Mapping[str, Any], cylinders: Sequence[str]) -> int:
        """Append one entry given its columns (as :func:`append` takes them; the fixed ones must match).

        Returns the entry's id.
        """
        if self._get_fixed(values) != self._fixed_values:
            raise ValueError("an entry of a bulk append differs in its fixed columns")
        if not self._ids:
            self._draw_ids(self._limit)
        entry_id = self._ids.pop()
        head = self.head
        seq = head.frontier.size
        full = (entry_id, seq, *self._get_variable(values))
        document, parts = self._template.render_parts(full, cylinders)
        leaf = canonical.leaf_hash(document)
        mac = self._mac.entry_mac(seq, leaf)
        head.frontier.append(leaf)
        self._rows.append(self._row(parts, full, leaf, mac))
        if cylinders:
            self._add_cylinders(entry_id, cylinders)
        self.count += 1
        if len(self._rows) >= self._limit:
            self.flush()
        return entry_id

    def add_transfer(self, kind: Enum, origin_entry_id: int, from_logbook_id: int, to_logbook_id: int,
                     status: Enum, created_at: datetime) -> None:
        """A transfer row for an entry appended here (written after it)."""
        self._transfers.append((kind.value, origin_entry_id, from_logbook_id, to_logbook_id, status.value,
                                created_at))

    def _add_cylinders(self, entry_id: int, cylinders: Sequence[str]) -> None:
        if self._postgres:
            self._cylinders.extend(f"{entry_id}\t{i}\t{_copy_text(str(s))}\n" for i, s in enumerate(cylinders))
        else:
            self._cylinders.extend((entry_id, i, s) for i, s in enumerate(cylinders))

    def _next_limit(self) -> int:
        """The next chunk's size: doubling up to :data:`CHUNK` (so the database starts early) and
        halving towards the expected end (so the last COPY, which nothing overlaps, is short)."""
        limit = min(self.chunk, self._limit * 2)
        remaining = self._expected - self.count
        if remaining > 0:
            limit = min(limit, max(FIRST_CHUNK, (remaining + 1) // 2))
        return limit

    def _draw_ids(self, want: int) -> None:
        """``want`` ids (on PostgreSQL drawn before the current chunk's COPY starts, so it need not wait)."""
        if self._postgres:
            self._wait()  # the statement would wait for the COPY anyway
            self._ids = next_ids(want)
        else:  # this transaction holds SQLite's write lock: the ids after the highest are ours
            first = self._next_sqlite_id or next_ids(1)[0]
            self._ids = list(range(first, first + want))
            self._next_sqlite_id = first + want
        self._ids.reverse()  # popped from the end, in increasing order

    def flush(self) -> None:
        """Write the pending rows (on PostgreSQL: start writing them; :meth:`finish` waits)."""
        rows, cylinders, transfers = self._rows, self._cylinders, self._transfers
        self._rows, self._cylinders, self._transfers = [], [], []
        if not rows and not cylinders and not transfers:
            return
        if self._writer is None:
            _sqlite_insert(ENTRIES, rows)
            _sqlite_insert(CYLINDERS, cylinders)
            _sqlite_insert(TRANSFERS, transfers, TRANSFER_COLUMNS)
            return
        self._limit = self._next_limit()
        if not self._ids and self.count < self._expected:
            self._draw_ids(self._limit)  # now, while the connection is free
        self._wait()
        self._writer.start([
            (f"COPY {ENTRIES.name} ({', '.join(ENTRY_COLUMNS)}) FROM STDIN", "".join(rows)),
            (f"COPY {CYLINDERS.name} (entry_id, position, serial) FROM STDIN", "".join(cylinders)),
            (f"COPY {TRANSFERS.name} ({', '.join(TRANSFER_COLUMNS)}) FROM STDIN", transfers),
        ])

    def _wait(self) -> None:
        if self._writer is not None:
            self._writer.wait()

    def finish(self) -> int:
        """Write everything still pending and wait until it is written. Returns the number of entries."""
        self.flush()
        self._wait()
        return self.count

    def close(self) -> None:
        """Wait for a write in progress; its error, if any, is logged (the caller is leaving anyway)."""
        if self._writer is not None:
            try:
                self._writer.wait()
            except Exception:
                logger.exception("writing logbook entries failed")


TRANSFERS = Transfer.__table__
TRANSFER_COLUMNS = ("kind", "origin_entry_id", "from_logbook_id", "to_logbook_id", "status", "created_at")


class _CopyWriter:
    """Runs COPY statements on the session's driver connection in a background thread, one batch at a time."""

    def __init__(self) -> None:
        self._raw = db.session.connection().connection.driver_connection
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, jobs: list[tuple[str, Any]]) -> None:
        self._thread = threading.Thread(target=self._run, args=(jobs,), name="certreg-logbook-copy", daemon=True)
        self._thread.start()

    def _run(self, jobs: list[tuple[str, Any]]) -> None:
        try:
            with self._raw.cursor() as cursor:
                for statement, data in jobs:
                    if not data:
                        continue
                    with cursor.copy(statement) as copy:
                        if isinstance(data, str):
                            copy.write(data)
                        else:
                            for row in data:
                                copy.write_row(row)
        except BaseException as exc:  # re-raised by wait() in the caller's thread
            self._error = exc

    def wait(self, *, raise_error: bool = True) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        error, self._error = self._error, None
        if error is not None and raise_error:
            raise error


# COPY's text format: tab-separated, \N for NULL, backslash escapes.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]").search


def _copy_text(text: str) -> str:
    return text if _COPY_SPECIAL(text) is None else text.translate(_COPY_ESCAPES)


def _copy_value(value: Any) -> str:
    """A value in COPY's text format (the general path; rows use the generated function below)."""
    if value is None:
        return "\\N"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _copy_text(value)
    raise TypeError(f"cannot write {type(value).__name__} with COPY")


def _copy_row_function(fixed: dict[str, Any]) -> Callable[..., str]:
    """``row(parts, full, leaf, mac)``: an entry's line for ``COPY ... FROM STDIN`` (columns in table order).

    ``full`` is ``(id, seq, *values)`` as given to :meth:`BulkAppender.add` and ``parts``
    their JSON texts from :meth:`canonical.Template.render_parts`. The database gets the
    very text that was hashed: a JSON number as it is, a JSON string without its quotes
    when it holds no escape (no quote, backslash or control character; then it needs no
    escaping in COPY's format either), anything else through ``_copy_value``. Generated
    once per import, like the template.
    """
    position = {column: i for i, column in enumerate(("id", "seq", *BULK_VARIABLE))}
    parts, arguments = [], []
    for column in ENTRIES.columns:
        name = column.name
        if name in fixed:
            parts.append(_copy_value(fixed[name]).replace("%", "%%"))
        elif name in ("leaf_hash", "mac"):
            parts.append("\\\\x%s")
            arguments.append(f"{name}.hex()")
        else:
            parts.append("%s")
            j = f"j{position[name]}"
            if column.type.python_type is int:  # a JSON number is its own COPY text
                arguments.append(f"'\\\\N' if {j} == 'null' else {j} if {j}[0] != '\"' "
                                 f"else _copy_value(full[{position[name]}])")
            else:
                arguments.append(f"'\\\\N' if {j} == 'null' else {j}[1:-1] if {j}[0] == '\"' "
                                 f"and '\\\\' not in {j} else {j} if {j}[0] != '\"' "
                                 f"else _copy_value(full[{position[name]}])")
    names = "".join(f"j{i}, " for i in range(len(position)))
    source = (f"def row(parts, full, leaf_hash, mac):\n"
              f"    {names} = parts\n"
              f"    return _FORMAT % ({''.join(a + ', ' for a in arguments)})\n")
    namespace = {"_FORMAT": "\t".join(parts) + "\n", "_copy_value": _copy_value}
    exec(compile(source, "<ledger COPY row>", "exec"), namespace)  # noqa: S102
    return namespace["row"]


def _sqlite_row_function(fixed: dict[str, Any]) -> Callable[..., tuple[Any, ...]]:
    """``row(parts, full, leaf, mac)``: an entry's parameters for SQLite (columns in table order).

    Each value goes through its column's bind processor, as SQLAlchemy would send it; a
    member of the column's own enum is its value (what the processor returns for it).
    Generated once per import, like the COPY row.
    """
    dialect = db.session.get_bind().dialect
    position = {column: i for i, column in enumerate(("id", "seq", *BULK_VARIABLE))}
    namespace: dict[str, Any] = {}
    items = []
    for i, column in enumerate(ENTRIES.columns):
        name = column.name
        processor = column.type._cached_bind_processor(dialect)
        namespace[f"P{i}"] = processor
        if name in fixed:
            value = fixed[name]
            value = value.value if isinstance(value, Enum) else value
            namespace[f"C{i}"] = processor(value) if processor and value is not None else value
            items.append(f"C{i}")
        elif name in ("leaf_hash", "mac"):
            items.append(name)
        elif processor is None:
            items.append(f"full[{position[name]}]")
        elif isinstance(column.type, sa.Enum) and column.type.enum_class is not None:
            namespace[f"E{i}"] = column.type.enum_class
            items.append(f"None if (x := full[{position[name]}]) is None "
                         f"else x._value_ if type(x) is E{i} else P{i}(x)")
        else:
            items.append(f"None if (x := full[{position[name]}]) is None else P{i}(x)")
    source = ("def row(parts, full, leaf_hash, mac):\n    return (\n"
              + "".join(f"        {a},\n" for a in items) + "    )\n")
    exec(compile(source, "<ledger SQLite row>", "exec"), namespace)  # noqa: S102
    return namespace["row"]


def _sqlite_insert(table: sa.Table, rows: list[tuple[Any, ...]], columns: Sequence[str] | None = None) -> None:
    if not rows:
        return
    names = list(columns) if columns else [c.name for c in table.columns]
    if table is TRANSFERS:
        dialect = db.session.get_bind().dialect
        processors = [table.c[n].type._cached_bind_processor(dialect) for n in names]
        rows = [tuple(p(v) if p and v is not None else v for p, v in zip(processors, r)) for r in rows]
    raw = db.session.connection().connection.driver_connection
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) "  # noqa: S608 (names from our metadata)
                           f"VALUES ({', '.join('?' * len(names))})", rows)
    finally:
        cursor.close()
