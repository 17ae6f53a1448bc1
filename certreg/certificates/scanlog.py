"""Scan records and the verification rate limit, written behind the request.

Every public verification is counted against the client's rate limit (shared by all
workers through the database table ``verify_throttle``) and recorded as a scan
(``certificate_scans``, what an inspector's "my checks" lists). Writing both in each
request would cost a write transaction per scan: on SQLite every worker queues for the
one write lock, on PostgreSQL each commit waits for a WAL flush.

So each process buffers them, and a background thread writes the buffer every
``VERIFY_LOG_FLUSH_SECONDS`` in one transaction: the scans with one multi-row INSERT,
the counts with one ``INSERT ... ON CONFLICT DO UPDATE SET hits = hits + n RETURNING``
per client. The totals returned are the shared view of every client's count; a request
is refused when that total plus this process's unwritten hits exceeds the limit. The
price, documented in docs/certificates.md: a crash loses at most one interval of scan
records, and the limit is enforced across workers with at most one interval of delay.

``VERIFY_LOG_FLUSH_SECONDS = 0`` (the tests) writes both in the request's own
transaction instead.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects import postgresql, sqlite

from certreg.certificates.models import CertificateScan, VerifyThrottle
from certreg.db import utcnow

logger = logging.getLogger(__name__)


class ScanLog:
    """Per-process write-behind buffer of scans and rate-limit hits (see the module docstring)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.scans: list[dict[str, Any]] = []
        self.hits: Counter[str] = Counter()
        # client -> (hits in the current window across all workers, window start), as of the last flush
        self.known: dict[str, tuple[int, datetime]] = {}
        self.thread: threading.Thread | None = None
        self.pid: int | None = None

    # --- called by requests ------------------------------------------------------------------

    def count(self, client: str, now: datetime, limit: int, window: timedelta) -> tuple[bool, int]:
        """Count one hit of ``client``; return (allowed, seconds until the window ends).

        The first time this process sees a client it reads the client's shared count, so a
        client new to this worker cannot start a fresh allowance here.
        """
        if client not in self.known:
            shared = self._read(client, now - window)
            with self.lock:
                self.known.setdefault(client, shared or (0, now))
        with self.lock:
            self.hits[client] += 1
            known, started = self.known.get(client, (0, now))
            if started < now - window:  # the window of the last known total has ended
                known, started = 0, now
            total = known + self.hits[client]
        self._ensure_thread()
        retry = max(1, int((started + window - now).total_seconds()))
        return total <= limit, retry

    def record(self, row: dict[str, Any]) -> None:
        with self.lock:
            self.scans.append(row)
        self._ensure_thread()

    def _read(self, client: str, cutoff: datetime) -> tuple[int, datetime] | None:
        from certreg.extensions import db

        table = VerifyThrottle.__table__
        with db.engine.connect() as connection:
            row = connection.execute(
                sa.select(table.c.hits, table.c.window_started_at).where(table.c.client == client[:64])
            ).first()
        if row is None or _aware(row.window_started_at) < cutoff:
            return None
        return row.hits, _aware(row.window_started_at)

    # --- the writer ---------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self.thread is not None and self.pid == os.getpid() and self.thread.is_alive():
            return
        with self.lock:
            if self.thread is not None and self.pid == os.getpid() and self.thread.is_alive():
                return
            self.pid = os.getpid()
            self.thread = threading.Thread(target=self._run, name="certreg-scanlog", daemon=True)
            self.thread.start()
            atexit.register(self.flush)

    def _run(self) -> None:
        interval = self.app.config["VERIFY_LOG_FLUSH_SECONDS"]
        while True:
            time.sleep(interval)
            try:
                self.flush()
            except Exception:  # keep the writer alive; the rows stay buffered for the next try
                logger.exception("could not write scan records")

    def flush(self) -> int:
        """Write what is buffered and refresh the shared totals; returns the number of scans written."""
        with self.lock:
            scans, self.scans = self.scans, []
            hits, self.hits = self.hits, Counter()
            watched = [client for client in self.known if client not in hits]
        if not scans and not hits and not watched:
            return 0
        try:
            with self.app.app_context():
                from certreg.extensions import db

                totals = self._write(db.engine, scans, hits, watched)
        except Exception:
            with self.lock:  # put them back, in order, for the next attempt
                self.scans[:0] = scans
                self.hits.update(hits)
            raise
        with self.lock:
            for client, total in totals.items():
                if total is None:
                    self.known.pop(client, None)  # its window has ended: stop watching it
                else:
                    self.known[client] = total
        return len(scans)

    def _write(self, engine: sa.Engine, scans: list[dict[str, Any]], hits: Counter[str], watched: list[str]
               ) -> dict:
        config = self.app.config
        now = utcnow()
        cutoff = now - timedelta(seconds=config["VERIFY_RATE_WINDOW_SECONDS"])
        totals: dict[str, tuple[int, datetime] | None] = {}
        with engine.begin() as connection:
            if scans:
                connection.execute(sa.insert(CertificateScan.__table__), scans)
            for client, n in sorted(hits.items()):
                totals[client] = throttle_upsert(connection, client, n, now, cutoff)
            if watched:
                # Clients this process saw in the window: the other workers' hits count too.
                table = VerifyThrottle.__table__
                rows = connection.execute(
                    sa.select(table.c.client, table.c.hits, table.c.window_started_at)
                    .where(table.c.client.in_(watched))
                ).all()
                current = {client: (hits_, _aware(started)) for client, hits_, started in rows}
                for client in watched:
                    total = current.get(client)
                    totals[client] = total if total is not None and total[1] >= cutoff else None
        return totals


def throttle_upsert(connection: sa.Connection, client: str, n: int, now: datetime, cutoff: datetime
                    ) -> tuple[int, datetime]:
    """Add ``n`` hits to ``client``'s fixed window atomically; returns (hits in the window, window start)."""
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
    return hits, _aware(started)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def scan_log() -> ScanLog:
    """This process's buffer for the current app."""
    app = current_app._get_current_object()
    log = app.extensions.get("certreg_scanlog")
    if log is None:
        log = app.extensions["certreg_scanlog"] = ScanLog(app)
    return log


def buffered() -> bool:
    return current_app.config["VERIFY_LOG_FLUSH_SECONDS"] > 0
