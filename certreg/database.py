"""Engine set-up per database.

SQLite (the embedded default): foreign keys on, WAL journal, a busy timeout, and
transactions that intend to write start with ``BEGIN IMMEDIATE`` so concurrent writers
queue up instead of failing with "database is locked" when a read transaction tries to
upgrade to a write lock. Read-only requests (GET/HEAD without the :func:`writes` mark)
begin a deferred transaction so readers never wait for writers.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_begin_immediate", default=True)

F = TypeVar("F", bound=Callable[..., Any])


def writes(view: F | None = None, *, when: Callable[[], bool] | None = None):
    """Mark a GET view that writes to the database (it begins an immediate transaction).

    ``@writes(when=predicate)``: only when ``predicate()`` is true for the request.
    """

    def mark(func: F) -> F:
        func._certreg_writes = when or True  # type: ignore[attr-defined]
        return func

    return mark(view) if view is not None else mark


@contextmanager
def read_only() -> Iterator[None]:
    token = _immediate.set(False)
    try:
        yield
    finally:
        _immediate.reset(token)


@contextmanager
def immediate() -> Iterator[None]:
    """SQLite transactions begun inside begin ``BEGIN IMMEDIATE`` (they are going to write),
    whatever the request's mode; e.g. a short write on a connection of its own in a GET view."""
    token = _immediate.set(True)
    try:
        yield
    finally:
        _immediate.reset(token)


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Let SQLAlchemy's "begin" event below emit BEGIN, so savepoints and
    # transactional DDL work and we can choose IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.execute("PRAGMA journal_mode").fetchone()
    if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _on_begin(conn: Any) -> None:
    if conn.dialect.name == "sqlite" and not conn.get_execution_options().get("certreg_no_begin"):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def autocommit_read_options(connection: Any) -> dict[str, Any]:
    """Execution options for a lone read outside any transaction (no BEGIN, no ROLLBACK round trips).

    SQLite connections are already in the driver's autocommit mode (see ``_on_connect``): only
    skip our BEGIN. Elsewhere use the driver's autocommit isolation level.
    """
    if connection.dialect.name == "sqlite":
        return {"certreg_no_begin": True}
    return {"isolation_level": "AUTOCOMMIT"}


def init_app(app: Flask) -> None:
    @app.before_request
    def choose_transaction_mode() -> None:
        view = app.view_functions.get(request.endpoint or "")
        marker = getattr(view, "_certreg_writes", False)
        immediate = request.method not in ("GET", "HEAD", "OPTIONS") or (marker() if callable(marker) else marker)
        _immediate.set(immediate)

    @app.teardown_request
    def reset_transaction_mode(exc: BaseException | None) -> None:
        _immediate.set(True)


class LoneRead:
    """One small SELECT run again and again outside any transaction, on connections kept for it.

    The public verification page reads one indexed row on every scan. Checking a connection out
    of the pool (with ``pool_pre_ping``'s round trip on PostgreSQL), switching it to autocommit
    and back, and SQLAlchemy's execution machinery cost several times the read itself
    (``bench/verify.py``). A ``LoneRead`` compiles its statement once per engine, keeps its own
    DBAPI connections (outside the pool, in autocommit: each read sees the latest committed data;
    as many as reads ran at once, reused last-in first-out) and converts the row with the
    columns' own SQLAlchemy result processors, so the values are those an ORM query returns. A
    connection that fails is dropped and the read retried once on a new one; the connections are
    closed when the engine is disposed. A forked process never uses its parent's connections.
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._prepared: weakref.WeakKeyDictionary[Engine, tuple] = weakref.WeakKeyDictionary()
        self._idle: weakref.WeakKeyDictionary[Engine, list] = weakref.WeakKeyDictionary()  # [(pid, connection)]
        self._lock = threading.Lock()

    def first(self, engine: Engine, **params: Any) -> Any:
        """The first row as a named tuple (``row.column``), or ``None``."""
        sql, bind, processors, row_type = self._prepare(engine)
        arguments = bind(params)
        dbapi_error = engine.dialect.loaded_dbapi.Error
        for attempt in (1, 2):
            connection, cursor = self._acquire(engine), None
            try:
                cursor = connection.cursor()
                cursor.execute(sql, arguments)
                row = cursor.fetchone()
                cursor.close()
            except dbapi_error as exc:
                with contextlib.suppress(Exception):  # broken: not given back
                    connection.close()
                if attempt == 1 and engine.dialect.is_disconnect(exc, connection, cursor):
                    continue
                raise sa_exc.DBAPIError.instance(sql, arguments, exc, dbapi_error) from exc
            self._release(engine, connection)
            if row is None:
                return None
            return row_type(*(value if process is None else process(value) for value, process in zip(row, processors)))
        raise AssertionError("unreachable")

    def idle_connections(self, engine: Engine) -> int:
        """Connections kept for ``engine`` in this process, not in use."""
        with self._lock:
            return sum(1 for pid, _ in self._idle.get(engine, []) if pid == os.getpid())

    def _prepare(self, engine: Engine) -> tuple:
        prepared = self._prepared.get(engine)
        if prepared is not None:
            return prepared
        dialect = engine.dialect
        compiled = self.statement.compile(dialect=dialect)
        names = list(compiled.positiontup or ()) if compiled.positional else None

        def bind(params: dict) -> Any:
            values = compiled.construct_params(params)
            return tuple(values[name] for name in names) if names is not None else values

        columns = list(self.statement.selected_columns)
        processors = [column.type._cached_result_processor(dialect, None) for column in columns]
        row_type = namedtuple("Row", [column.key for column in columns])  # type: ignore[misc]
        prepared = (compiled.string, bind, processors, row_type)
        with self._lock:
            if engine not in self._idle:
                self._idle[engine] = []
                event.listen(engine, "engine_disposed", self._close_all)
            self._prepared[engine] = prepared
        return prepared

    def _acquire(self, engine: Engine) -> Any:
        pid = os.getpid()
        with self._lock:
            idle = self._idle.setdefault(engine, [])
            while idle:
                owner, connection = idle.pop()
                if owner == pid:
                    return connection
                # the parent's (before a fork): left alone, never closed from here
        fairy = engine.raw_connection()  # runs the pool's connect events (SQLite pragmas)
        connection = fairy.driver_connection
        fairy.detach()  # ours from now on, not the pool's
        if engine.dialect.name != "sqlite":  # SQLite connections are in autocommit already (_on_connect)
            connection.autocommit = True
        return connection

    def _release(self, engine: Engine, connection: Any) -> None:
        with self._lock:
            self._idle.setdefault(engine, []).append((os.getpid(), connection))

    def _close_all(self, engine: Engine) -> None:
        """On ``engine.dispose()``: close this process's idle connections."""
        pid = os.getpid()
        with self._lock:
            idle, self._idle[engine] = self._idle.get(engine, []), []
            self._prepared.pop(engine, None)
        for owner, connection in idle:
            if owner == pid:
                with contextlib.suppress(Exception):
                    connection.close()
