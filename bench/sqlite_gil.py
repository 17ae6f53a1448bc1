#!/usr/bin/env python3
"""Why the CSV import does not write SQLite's chunks in a background thread, as it does PostgreSQL's ``COPY``.

On PostgreSQL the import's writing thread sends a whole chunk as one ``COPY`` (psycopg releases the GIL
for the send), so the database stores one chunk while the import's Python checks the next. On SQLite
the write is ``executemany``: the sqlite3 module binds each row holding the GIL and releases it only
around ``sqlite3_step``. When the other thread runs pure Python, as the import's rules do, the writing
thread gets the GIL back once per switch interval at best, and the insert hardly moves until the
Python stops (the "convoy effect").

This measures it with no certreg code: an ``executemany`` of ``--rows`` rows into a table with two
indexes, alone, then in a thread while the main thread spins Python for as long as the insert took
alone. Printed: the insert alone, the spinning rate alone and during the insert, and the wall time of
both together (the sum of the two when nothing overlaps), with the interpreter's switch interval as
given (``--switch-interval``, Python's default 0.005 s).

    python bench/sqlite_gil.py
    python bench/sqlite_gil.py --switch-interval 0.0001
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path


def spin(seconds: float) -> int:
    """Pure Python for ``seconds``: the number of loop turns."""
    turns, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        turns += 1
    return turns


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--switch-interval", type=float, default=None)
    args = parser.parse_args(argv)
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    with tempfile.TemporaryDirectory(prefix="certreg-sqlite-gil-") as tmp:
        con = sqlite3.connect(Path(tmp) / "gil.sqlite3", check_same_thread=False, isolation_level=None)
        con.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c TEXT, d REAL)")
        con.execute("CREATE INDEX t_b ON t (b)")
        con.execute("CREATE INDEX t_c ON t (c)")
        rows = [(i, f"b{i * 7919 % 100_003}", "c" * 50 + str(i), i * 1.5) for i in range(args.rows)]

        def insert() -> None:
            con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)

        rate = spin(1.0)
        con.execute("BEGIN")
        begin = time.perf_counter()
        insert()
        alone = time.perf_counter() - begin
        con.execute("ROLLBACK")

        con.execute("BEGIN")
        writer = threading.Thread(target=insert)
        begin = time.perf_counter()
        writer.start()
        turns = spin(alone)
        writer.join()
        together = time.perf_counter() - begin
        con.execute("ROLLBACK")
        con.close()
    print(f"switch interval {sys.getswitchinterval():g} s; executemany of {args.rows} rows alone {alone:.2f} s; "
          f"Python alone {rate / 1e6:.1f} M turns/s, during the insert {turns / alone / 1e6:.1f} M turns/s "
          f"({turns / alone / rate:.0%}); both together {together:.2f} s "
          f"(fully overlapped: {alone:.2f} s, not at all: {2 * alone:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
