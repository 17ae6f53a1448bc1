"""Small SELECTs run again and again in autocommit, on connections of their own.

The public scan pages' status reads (certificates, cylinder labels, licences), the API token look-up and the
border check's facts: each is one statement whose answer needs no transaction around it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import weakref
from collections import namedtuple
from typing import Any

from flask import current_app
from psycopg import errors as psycopg_errors
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq import ExecStatus
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy import types as sa_types
from sqlalchemy.engine import Engine

from certreg.extensions import db

#: PostgreSQL's type OIDs of ``numeric`` and ``float8``: SQLAlchemy's numeric result processors on PostgreSQL
#: ask which one the driver returned (a cursor's description says; a statement prepared here is not described).
_NUMERIC_OID, _FLOAT8_OID = 1700, 701


def _type_oid(type_: Any, dialect: Any) -> int | None:
    """The type OID a column of ``type_`` comes back as, where a result processor asks for it (numbers)."""
    impl = getattr(type_, "impl", type_)  # a TypeDecorator's underlying type
    if dialect.name != "postgresql" or not isinstance(impl, sa_types.Numeric):
        return None
    return _FLOAT8_OID if isinstance(impl, sa_types.Float) else _NUMERIC_OID


class AutocommitQuery:
    """One small SELECT run again and again outside any transaction, on connections kept for it.

    The public verification page reads one indexed row on every scan. Checking a connection out
    of the pool (with ``pool_pre_ping``'s round trip on PostgreSQL), switching it to autocommit
    and back, and SQLAlchemy's execution machinery cost several times the read itself
    (``bench/verify.py``). An ``AutocommitQuery`` compiles its statement once per engine, keeps its own
    DBAPI connections (outside the pool, in autocommit: each read sees the latest committed data;
    as many as reads ran at once, reused last-in first-out) and converts the row with the
    columns' own SQLAlchemy result processors, so the values are those an ORM query returns. A
    connection that fails is dropped and the read retried once on a new one; the connections are
    closed when the engine is disposed. A forked process never uses its parent's connections.

    On PostgreSQL the read goes through psycopg's libpq layer (``pgconn.exec_prepared`` on a statement
    prepared once per connection, the parameters dumped and the row loaded by psycopg's own
    ``Transformer`` with the connection's adapters: the same values a cursor gives). A cursor's
    Python-level machinery cost ~45 µs of CPU per read, three times the read itself
    (``bench/profile_scan.py``, docs/benchmarks.md "Session 5").
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
                if isinstance(sql, _Prepared):
                    row = sql.first(connection, arguments)
                else:
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

    def read(self, **params: Any) -> Any:
        """The first row (as :meth:`first`), outside any transaction when the app's ``AUTOCOMMIT_READS`` is on;
        otherwise in the session's transaction (flushed first), as any other read of the request."""
        if current_app.config["AUTOCOMMIT_READS"]:
            return self.first(db.engine, **params)
        db.session.flush()
        return db.session.execute(self.statement, params).first()

    def idle_connections(self, engine: Engine) -> int:
        """Connections kept for ``engine`` in this process, not in use."""
        with self._lock:
            return sum(1 for pid, _ in self._idle.get(engine, []) if pid == os.getpid())

    def _prepare(self, engine: Engine) -> tuple:
        prepared = self._prepared.get(engine)
        if prepared is not None:
            return prepared
        dialect = engine.dialect
        libpq = dialect.driver == "psycopg"
        # libpq's own placeholders ($1) for exec_prepared; the same dialect otherwise.
        compiled = self.statement.compile(dialect=type(dialect)(paramstyle="numeric_dollar") if libpq else dialect)
        names = list(compiled.positiontup or ()) if compiled.positional else None

        def bind(params: dict) -> Any:
            values = compiled.construct_params(params)
            return tuple(values[name] for name in names) if names is not None else values

        columns = list(self.statement.selected_columns)
        processors = [column.type._cached_result_processor(dialect, _type_oid(column.type, dialect))
                      for column in columns]
        row_type = namedtuple("Row", [column.key for column in columns])  # type: ignore[misc]
        sql = _Prepared(compiled.string) if libpq else compiled.string
        prepared = (sql, bind, processors, row_type)
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


class _Prepared:
    """One statement run through psycopg's libpq layer: prepared once per connection (under a name of its
    own, beside psycopg's), then ``exec_prepared``; psycopg's ``Transformer`` dumps the parameters and loads
    the row with the connection's adapters, as a cursor does. Errors are psycopg's own (a
    ``psycopg.Error``), and a lost connection leaves it ``closed``, as after a cursor's failure."""

    _names = itertools.count(1)

    def __init__(self, sql: str) -> None:
        self.sql = sql.encode()
        self.name = f"certreg_read_{next(self._names)}".encode()
        # Per connection: its Transformer (adapters and loaders, made once) and whether the statement is prepared.
        self._ready: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        # Connections whose Transformer has the result's row loaders: a prepared statement's columns and their
        # types never change, so they are looked up on its first row only (~20 µs a read for 45 columns).
        self._loaders_set: weakref.WeakSet[Any] = weakref.WeakSet()

    def first(self, connection: Any, arguments: tuple) -> tuple | None:
        pgconn = connection.pgconn
        transformer = self._ready.get(connection)
        fresh = transformer is None
        if fresh:
            transformer = Transformer(connection)
        values = transformer.dump_sequence(arguments, [PyFormat.AUTO] * len(arguments))
        if fresh:
            self._check(connection, pgconn.prepare(self.name, self.sql, transformer.types), ExecStatus.COMMAND_OK)
            self._ready[connection] = transformer
        result = pgconn.exec_prepared(self.name, values, transformer.formats)
        self._check(connection, result, ExecStatus.TUPLES_OK)
        if not result.ntuples:
            return None
        set_loaders = connection not in self._loaders_set
        transformer.set_pgresult(result, set_loaders=set_loaders)
        row = transformer.load_row(0, tuple)
        if set_loaders:
            self._loaders_set.add(connection)
        return row

    @staticmethod
    def _check(connection: Any, result: Any, expected: int) -> None:
        if result.status != expected:
            raise psycopg_errors.error_from_result(result, encoding=connection.info.encoding)
