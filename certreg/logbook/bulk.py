"""Many entries appended at once (the CSV import): rows and hashes from one template, written with COPY
(PostgreSQL) or one executemany (SQLite) by :class:`BulkAppender`, on the same log as :mod:`certreg.logbook.ledger`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from certreg.db import BulkRows, copy_text, copy_value
from certreg.extensions import db
from certreg.logbook import canonical, ledger
from certreg.logbook.models import Transfer

logger = logging.getLogger(__name__)


#: Columns that every entry of one bulk ledger.append shares (given once to :class:`BulkAppender`).
BULK_FIXED = ("country_code", "logbook_id", "channel", "import_id", "recorded_at", "recorded_by_user_id",
              "recorded_by_label", "intervention_id", "reverses_id", "counterpart_of_id")
_DRAWN = ("id", "seq", "leaf_hash", "mac")  # set by the appender
#: The columns that differ between the entries.
BULK_VARIABLE = tuple(c for c in ledger.ENTRY_COLUMNS if c not in BULK_FIXED and c not in _DRAWN)
CHUNK = 10_000  # rows per COPY (per executemany on SQLite)
FIRST_CHUNK = 1000  # PostgreSQL: the first and the last COPYs are smaller (see BulkAppender._next_limit)


class BulkAppender:
    """Appends many entries that share :data:`BULK_FIXED` to the locked log (the CSV import).

    Every entry gets exactly the id, position, canonical form, leaf hash, MAC and row that
    :func:`ledger.append` would give it one by one; the work per entry is only cheaper: the
    canonical form comes from a :class:`canonical.Template`, the MAC from a keyed hash
    prepared once, and the rows are written in chunks of up to :data:`CHUNK` (PostgreSQL:
    ``COPY`` in a background thread, so that the database stores one chunk while the next
    is checked and sealed; SQLite: ``executemany``). ``expected`` (an estimate of the
    number of entries) only sizes the chunks and the batches of ids. Everything stays in the caller's
    transaction: while a ``COPY`` runs, any other statement on the connection waits for it
    (the driver connection's lock), and :meth:`finish` waits for the last one.

    Balances and the log head are the caller's (``ledger.Stock``, :func:`ledger.save_head`).
    """

    def __init__(self, head: ledger.Head, fixed: dict[str, Any], *, expected: int = 0,
                 chunk: int | None = None) -> None:
        if set(fixed) != set(BULK_FIXED):
            raise ValueError(f"fixed columns must be {BULK_FIXED}")
        if fixed["country_code"] != head.country_code:
            raise ValueError("entries go into the locked head's log")
        self.head = head
        self.fixed = dict(fixed)
        self.chunk = chunk or CHUNK
        self.count = 0
        self._expected = expected
        self._postgres = ledger.dialect() == "postgresql"
        self._dialect = db.session.get_bind().dialect
        self._template = canonical.Template(fixed, ("id", "seq", *BULK_VARIABLE))
        self._mac = canonical.MacKey(ledger.mac_key(), head.country_code)
        self._limit = min(self.chunk, FIRST_CHUNK) if self._postgres else self.chunk  # rows in this chunk
        self._ids: list[int] = []
        self._next_sqlite_id: int | None = None
        self._rows: list[Any] = []
        self._cylinders: list[Any] = []
        self._transfers: list[tuple[Any, ...]] = []
        self._other_rows: dict[sa.Table, tuple[BulkRows, list[Any]]] = {}  # add_rows, this chunk (BulkRows.row)
        self._get_fixed = itemgetter(*BULK_FIXED)
        self._fixed_values = self._get_fixed(fixed)
        self._get_variable = itemgetter(*BULK_VARIABLE)
        self._writer = _CopyWriter() if self._postgres else None
        self._row = (_copy_row_function if self._postgres else _sqlite_row_function)(self.fixed)

    def add(self, values: Mapping[str, Any], cylinders: Sequence[str]) -> int:
        """Append one entry given its columns (as :func:`ledger.append` takes them; the fixed ones must match).

        Returns the entry's id.
        """
        if self._get_fixed(values) != self._fixed_values:
            raise ValueError("an entry of a bulk ledger.append differs in its fixed columns")
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

    def add_rows(self, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
        """Rows of another table that refer to none of the entries (:func:`links.rows_ahead`), written with the
        current chunk: on PostgreSQL in its background ``COPY``s, so that they cost no time after the last
        entry. Every row of one table names the same columns."""
        for values in rows:
            pending = self._other_rows.get(table)
            if pending is None:
                pending = self._other_rows[table] = (BulkRows(self._dialect, table, list(values)), [])
            pending[1].append(pending[0].row(values))

    def _add_cylinders(self, entry_id: int, cylinders: Sequence[str]) -> None:
        if self._postgres:
            self._cylinders.extend(f"{entry_id}\t{i}\t{copy_text(str(s))}\n" for i, s in enumerate(cylinders))
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
            self._ids = ledger.next_ids(want)
        else:  # this transaction holds SQLite's write lock: the ids after the highest are ours
            first = self._next_sqlite_id or ledger.next_ids(1)[0]
            self._ids = list(range(first, first + want))
            self._next_sqlite_id = first + want
        self._ids.reverse()  # popped from the end, in increasing order

    def flush(self) -> None:
        """Write the pending rows (on PostgreSQL: start writing them; :meth:`finish` waits)."""
        rows, cylinders, transfers, others = self._rows, self._cylinders, self._transfers, self._other_rows
        self._rows, self._cylinders, self._transfers, self._other_rows = [], [], [], {}
        if not rows and not cylinders and not transfers and not others:
            return
        if self._writer is None:
            _sqlite_insert(ledger.ENTRIES, rows)
            _sqlite_insert(ledger.CYLINDERS, cylinders)
            _sqlite_insert(TRANSFERS, transfers, TRANSFER_COLUMNS)
            for writer, made in others.values():
                writer.write(db.session.connection(), made)
            return
        self._limit = self._next_limit()
        if not self._ids and self.count < self._expected:
            self._draw_ids(self._limit)  # now, while the connection is free
        self._wait()
        self._writer.start([
            (f"COPY {ledger.ENTRIES.name} ({', '.join(ledger.ENTRY_COLUMNS)}) FROM STDIN", "".join(rows)),
            (f"COPY {ledger.CYLINDERS.name} (entry_id, position, serial) FROM STDIN", "".join(cylinders)),
            (f"COPY {TRANSFERS.name} ({', '.join(TRANSFER_COLUMNS)}) FROM STDIN", transfers),
            *((writer.statement(self._dialect), "".join(made)) for writer, made in others.values()),
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


def _copy_row_function(fixed: dict[str, Any]) -> Callable[..., str]:
    """``row(parts, full, leaf, mac)``: an entry's line for ``COPY ... FROM STDIN`` (columns in table order).

    ``full`` is ``(id, seq, *values)`` as given to :meth:`BulkAppender.add` and ``parts``
    their JSON texts from :meth:`canonical.Template.render_parts`. The database gets the
    very text that was hashed: a JSON number as it is, a JSON string without its quotes
    when it holds no escape (no quote, backslash or control character; then it needs no
    escaping in COPY's format either), anything else through ``copy_value``. Generated
    once per import, like the template.
    """
    position = {column: i for i, column in enumerate(("id", "seq", *BULK_VARIABLE))}
    parts, arguments = [], []
    for column in ledger.ENTRIES.columns:
        name = column.name
        if name in fixed:
            parts.append(copy_value(fixed[name]).replace("%", "%%"))
        elif name in ("leaf_hash", "mac"):
            parts.append("\\\\x%s")
            arguments.append(f"{name}.hex()")
        else:
            parts.append("%s")
            j = f"j{position[name]}"
            if column.type.python_type is int:  # a JSON number is its own COPY text
                arguments.append(f"'\\\\N' if {j} == 'null' else {j} if {j}[0] != '\"' "
                                 f"else copy_value(full[{position[name]}])")
            else:
                arguments.append(f"'\\\\N' if {j} == 'null' else {j}[1:-1] if {j}[0] == '\"' "
                                 f"and '\\\\' not in {j} else {j} if {j}[0] != '\"' "
                                 f"else copy_value(full[{position[name]}])")
    names = "".join(f"j{i}, " for i in range(len(position)))
    source = (f"def row(parts, full, leaf_hash, mac):\n"
              f"    {names} = parts\n"
              f"    return _FORMAT % ({''.join(a + ', ' for a in arguments)})\n")
    namespace = {"_FORMAT": "\t".join(parts) + "\n", "copy_value": copy_value}
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
    for i, column in enumerate(ledger.ENTRIES.columns):
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
