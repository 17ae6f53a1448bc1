"""Scan records, written behind the request.

Every public verification is recorded as a scan (``certificate_scans``, what an inspector's
"my checks" lists). Writing it in each request would cost a write transaction per scan: on
SQLite every worker queues for the one write lock, on PostgreSQL each commit waits for a WAL
flush.

So each process buffers them, and a background thread writes the buffer every
``VERIFY_LOG_FLUSH_SECONDS`` in one transaction (:class:`certreg.db.BulkRows`): the driver's ``executemany``
on SQLite, a ``COPY`` on PostgreSQL. The flush runs in the worker, beside its requests, and holds the GIL while
its Python runs; so each scan's row is made ready (bound, and on PostgreSQL put in COPY's text) in its own
request, a few µs, and the flush is little more than the driver's C (docs/benchmarks.md, "Session 9"). The price,
documented in docs/certificates.md: a crash loses at most one interval of scan records. (The
rate limit is not written behind: see :mod:`certreg.certificates.ratelimit`.)

``VERIFY_LOG_FLUSH_SECONDS = 0`` (the tests) writes them in the request's own transaction instead.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from certreg.certificates.models import CertificateScan
from certreg.db import BulkRows
from certreg.extensions import db

logger = logging.getLogger(__name__)


class ScanLog:
    """Per-process write-behind buffer of scans (see the module docstring)."""

    def __init__(self, app: Flask, table: sa.Table | None = None) -> None:
        self.app = app
        self.table = CertificateScan.__table__ if table is None else table
        self.lock = threading.Lock()
        self.scans: list[Any] = []  # each made ready for the flush by :attr:`rows` as it is recorded
        self.rows: BulkRows | None = None
        self.thread: threading.Thread | None = None
        self.pid: int | None = None

    def record(self, row: dict[str, Any]) -> None:
        """Buffer one scan (in the request's app context): its row is made ready for the database here, so
        that the flush runs the driver's C and little Python (:class:`certreg.db.BulkRows`)."""
        rows = self.rows
        if rows is None:
            rows = self.rows = BulkRows(db.engine.dialect, self.table, list(row))
        ready = rows.row(row)
        with self.lock:
            self.scans.append(ready)
        self._ensure_thread()

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
        """Write what is buffered; returns the number of scans written."""
        with self.lock:
            scans, self.scans = self.scans, []
        if not scans:
            return 0
        try:
            with self.app.app_context(), db.engine.begin() as connection:
                self.rows.write(connection, scans)
        except Exception:
            with self.lock:  # put them back, in order, for the next attempt
                self.scans[:0] = scans
            raise
        return len(scans)


def scan_log(table: sa.Table | None = None) -> ScanLog:
    """This process's buffer for the current app: of certificate scans, or of the scans kept in
    ``table`` (cylinder label scans, certreg.cylinders.scanning)."""
    app = current_app._get_current_object()
    key = "certreg_scanlog" if table is None else f"certreg_scanlog_{table.name}"
    log = app.extensions.get(key)
    if log is None:
        log = app.extensions[key] = ScanLog(app, table)
    return log


def buffered() -> bool:
    return current_app.config["VERIFY_LOG_FLUSH_SECONDS"] > 0
