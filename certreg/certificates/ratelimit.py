"""The public verification rate limit, shared by every worker: shares of the budget reserved in the database.

Every public verification (``/v/<token>``, ``POST /api/v1/verify``, the status by number) counts
against its client's limit: ``VERIFY_RATE_LIMIT`` requests per fixed window of
``VERIFY_RATE_WINDOW_SECONDS``, starting at the client's first request, whichever worker answers.
The count lives in one row per client (``verify_throttle``: ``hits`` reserved in the window, the
window's start).

Writing that row on every request costs a write transaction per scan; counting in each worker and
writing the counts behind let every worker admit what the others had not written yet (a burst of
8 parallel connections against 4 workers got 320 answers under a limit of 120). So a worker
*reserves* a share of ``k`` hits of the client's budget with one atomic statement and spends it
locally, without touching the database, until it is used up::

    INSERT INTO verify_throttle ... ON CONFLICT (client) DO UPDATE
        SET hits = CASE WHEN <window ended> THEN k ELSE hits + k END, window_started_at = ...
        RETURNING hits, window_started_at

(one statement in its own short transaction: a row lock on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite). The reservation is granted only up to what was left before it, ``limit - (hits - k)``,
so all the workers together are never granted more than the limit: the limit holds exactly, at
any burst rate. The opposite error is bounded instead: hits granted to a worker the client does
not come back to are lost for the window, so a client may be refused at most
``workers × (k - 1)`` requests early. ``k`` is ``VERIFY_RATE_SHARE`` of the limit, at least 1:
3 of the default 120 (with 4 workers at most 8 refused early, under 7 %; one write per 3 scans of
a client in each worker); with a limit of 10**9 (``bench/verify.py``) one write per worker per
window. Once the database answers that the budget is spent, the worker refuses the client until
the window ends without asking again, so a flood costs no write at all.

A forked process starts with no reservations (its parent's are not its own). With
``VERIFY_LOG_FLUSH_SECONDS = 0`` (the tests) each request adds its one hit in its own transaction
instead (:func:`throttle_upsert` with ``n = 1``), exactly.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects import postgresql, sqlite

from certreg import transactions
from certreg.certificates.models import VerifyThrottle
from certreg.extensions import db


def throttle_upsert(connection: sa.Connection, client: str, n: int, now: datetime, cutoff: datetime
                    ) -> tuple[int, datetime]:
    """Add ``n`` hits to ``client``'s fixed window atomically; returns (hits in the window, window start).

    A window that started before ``cutoff`` has ended: it is replaced by one starting ``now``.
    """
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(VerifyThrottle)
    table = VerifyThrottle.__table__
    expired = table.c.window_started_at < cutoff
    stmt = (
        insert.values(client=client[:64], hits=n, window_started_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.client],
            set_={"hits": sa.case((expired, n), else_=table.c.hits + n),
                  "window_started_at": sa.case((expired, now), else_=table.c.window_started_at)},
        )
        .returning(table.c.hits, table.c.window_started_at)
    )
    hits, started = connection.execute(stmt).one()
    return hits, aware(started)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def share(limit: int, fraction: float) -> int:
    """Hits a worker reserves at once (``k``): ``fraction`` of the limit, at least 1."""
    return max(1, int(limit * fraction))


@dataclass
class _Allowance:
    started: datetime  # the shared window's start
    left: int = 0  # granted to this process and not yet spent
    spent: bool = False  # the database said the client's budget is used up for this window


class RateBudget:
    """This process's reserved shares of its clients' budgets (see the module docstring)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.allowances: dict[str, _Allowance] = {}
        self.pid = os.getpid()

    def admit(self, client: str, now: datetime, limit: int, window: timedelta) -> tuple[bool, int]:
        """Spend one hit of ``client``'s budget; returns (admitted, seconds until its window ends)."""
        client = client[:64]
        with self.lock:
            allowance = self._current(client, now, window)
            if allowance is not None and (allowance.left > 0 or allowance.spent):
                return self._spend(allowance, now, window)
        k = share(limit, self.app.config["VERIFY_RATE_SHARE"])
        granted, started = self._reserve(client, k, limit, now, window)
        with self.lock:
            allowance = self._current(client, now, window)
            if allowance is None or allowance.started != started:
                allowance = self.allowances[client] = _Allowance(started)
            allowance.left += granted
            allowance.spent = allowance.spent or granted < k
            return self._spend(allowance, now, window)

    def _current(self, client: str, now: datetime, window: timedelta) -> _Allowance | None:
        if self.pid != os.getpid():  # forked: the parent's reservations are not ours to spend
            self.allowances.clear()
            self.pid = os.getpid()
        allowance = self.allowances.get(client)
        if allowance is not None and allowance.started + window <= now:
            del self.allowances[client]  # its window has ended: what is left of it is void
            return None
        if len(self.allowances) > 10_000:  # forget the clients whose windows have ended
            self.allowances = {c: a for c, a in self.allowances.items() if a.started + window > now}
        return allowance

    @staticmethod
    def _spend(allowance: _Allowance, now: datetime, window: timedelta) -> tuple[bool, int]:
        retry = max(1, int((allowance.started + window - now).total_seconds()))
        if allowance.left > 0:
            allowance.left -= 1
            return True, retry
        return False, retry

    def _reserve(self, client: str, k: int, limit: int, now: datetime, window: timedelta) -> tuple[int, datetime]:
        """Reserve ``k`` hits in the shared row; returns (hits granted, the window's start)."""
        with transactions.immediate(), db.engine.begin() as connection:
            hits, started = throttle_upsert(connection, client, k, now, now - window)
        return max(0, min(k, limit - (hits - k))), started


def rate_budget() -> RateBudget:
    """This process's reservations for the current app."""
    app = current_app._get_current_object()
    budget = app.extensions.get("certreg_rate_budget")
    if budget is None:
        budget = app.extensions.setdefault("certreg_rate_budget", RateBudget(app))
    return budget
