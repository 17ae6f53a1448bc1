#!/usr/bin/env python3
"""What the composite foreign key ``(logbook_id, country_code) -> logbooks (id, country_code)`` does to the
logbook import's floor (issue 11: "try the composite foreign key if it lowers the floor and guarantees more";
it did, and migration 0016ck adopted it).

The floor of the CSV import is the writing of its rows into the append-only tables, set by the per-row
foreign-key checks (docs/benchmarks.md, "The CSV import"). ``logbook_entries`` checks ``country_code`` against
``countries`` and ``logbook_id`` against ``logbooks``, separately: an entry may name one country and a logbook of
another. One composite key against ``logbooks (id, country_code)`` (``logbooks.country_code`` already points at
``countries``) checks both in one look-up, and refuses that mismatch. This script measures both on tables of the
same shape (not the app's schema), in a fresh database, in the same run:

* ``none``: no foreign keys (reference);
* ``separate``: country, logbook and substance keys, as ``logbook_entries`` had them before 0016ck;
* ``composite``: the composite key and the substance key.

It prints the seconds of ``INSERT ... SELECT`` of ``--rows`` rows into each (best of ``--rounds``, alternated),
``composite / separate`` (below 1: a lower floor), and whether each refused an entry whose country is not its
logbook's.

    python bench/composite_fk.py                      # SQLite file database, 1,000,000 rows
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/certreg_bench python bench/composite_fk.py
    python bench/composite_fk.py --smoke              # bench/smoke.py: 2,000 rows, 1 round
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.verify import fresh_database  # noqa: E402

COLUMNS = "country_code, logbook_id, substance_code, qty"
KEYS = {
    "none": "",
    "separate": ", FOREIGN KEY (country_code) REFERENCES countries (code), FOREIGN KEY (logbook_id) REFERENCES "
                "logbooks (id), FOREIGN KEY (substance_code) REFERENCES substances (code)",
    "composite": ", FOREIGN KEY (logbook_id, country_code) REFERENCES logbooks (id, country_code), "
                 "FOREIGN KEY (substance_code) REFERENCES substances (code)",
}


def _schema(connection: sa.Connection, rows: int) -> None:
    run = connection.exec_driver_sql
    run("CREATE TABLE countries (code CHAR(2) PRIMARY KEY)")
    run("INSERT INTO countries VALUES ('KG'), ('KZ'), ('UZ')")
    run("CREATE TABLE substances (code VARCHAR(32) PRIMARY KEY)")
    run("CREATE TABLE logbooks (id INTEGER PRIMARY KEY, country_code CHAR(2) NOT NULL REFERENCES countries (code),"
        " UNIQUE (id, country_code))")
    run("CREATE TABLE src (n INTEGER PRIMARY KEY, country_code CHAR(2), logbook_id INTEGER, substance_code"
        " VARCHAR(32))")
    connection.execute(sa.text("INSERT INTO substances VALUES (:code)"), [{"code": f"S{i}"} for i in range(50)])
    countries = ("KG", "KZ", "UZ")
    connection.execute(sa.text("INSERT INTO logbooks VALUES (:id, :country)"),
                       [{"id": i, "country": countries[i % 3]} for i in range(3000)])
    connection.execute(sa.text("INSERT INTO src VALUES (:n, :country, :logbook, :substance)"),
                       [{"n": n, "country": countries[n % 3000 % 3], "logbook": n % 3000, "substance": f"S{n % 50}"}
                        for n in range(rows)])
    for name, keys in KEYS.items():
        run(f"CREATE TABLE entries_{name} (id INTEGER PRIMARY KEY, country_code CHAR(2) NOT NULL, logbook_id INTEGER"
            f" NOT NULL, substance_code VARCHAR(32) NOT NULL, qty NUMERIC(14, 3){keys})")


def _insert(engine: sa.Engine, name: str) -> float:
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM entries_{name}")
    start = time.perf_counter()
    with engine.begin() as connection:
        connection.exec_driver_sql(f"INSERT INTO entries_{name} (id, {COLUMNS}) SELECT n, country_code, logbook_id,"
                                   " substance_code, 1.5 FROM src")
    return time.perf_counter() - start


def _refuses_mismatch(engine: sa.Engine, name: str) -> bool:
    try:
        with engine.begin() as connection:  # logbook 1 is KZ's (1 % 3): an entry of UZ's in it
            connection.exec_driver_sql(f"INSERT INTO entries_{name} (id, {COLUMNS}) VALUES (-1, 'UZ', 1, 'S1', 1)")
    except sa.exc.IntegrityError:
        return True
    return False


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="2,000 rows, 1 round (bench/smoke.py)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rows, args.rounds = 2000, 1
    with tempfile.TemporaryDirectory(prefix="certreg-bench-") as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/fk.sqlite3"
        fresh_database(url)
        engine = sa.create_engine(url)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA foreign_keys=ON"))
        with engine.begin() as connection:
            _schema(connection, args.rows)
        best = {name: min(_insert(engine, name) for _ in range(args.rounds)) for name in KEYS}
        refused = {name: _refuses_mismatch(engine, name) for name in KEYS}
        engine.dispose()
    ratio = best["composite"] / best["separate"]
    print(f"database={engine.dialect.name} rows={args.rows} rounds={args.rounds}")
    for name in KEYS:
        print(f"{name}: {best[name]:.2f} s | refuses an entry of another country's logbook: {refused[name]}")
    print(f"composite / separate: {ratio:.2f} (below 1: a lower floor)")
    assert refused["composite"] and not refused["separate"], refused
    return {"ratio": ratio, **best}


if __name__ == "__main__":
    main()
