"""Engine set-up per database.

SQLite (the embedded default): foreign keys on, WAL journal, a busy timeout, and
transactions that intend to write start with ``BEGIN IMMEDIATE`` so concurrent writers
queue up instead of failing with "database is locked" when a read transaction tries to
upgrade to a write lock. Read-only requests (GET/HEAD without the :func:`writes` mark)
begin a deferred transaction so readers never wait for writers.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, request
from sqlalchemy import event
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
        # Straight to the driver: BEGIN needs none of SQLAlchemy's statement machinery (every request begins).
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


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
