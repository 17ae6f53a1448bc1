#!/usr/bin/env python3
"""Logbook benchmarks, printed as ratios measured in one run.

1. ``append``: recording an entry through the service (rules, stock check, balance, Merkle log
   head, hash and MAC; an export of 1 kg, one transaction each) vs a bare ORM insert of the same
   row (``session.add(Entry(...))``, one transaction each). Goal >= 0.3.
2. ``stock read``: reading a holder's stock (``queries.balances``) when the logs hold ``--large``
   entries vs ``--small`` entries. Goal <= 1.2.
3. ``import``: ``imports.import_csv`` of a ``--lines``-line CSV file (every rule, hash, MAC, balances,
   one transaction) vs its floor: writing the import's own resulting rows into ``logbook_entries``,
   ``logbook_entry_cylinders`` and ``cylinders`` (the serials no cylinder had, which the import records as
   unregistered cylinders) themselves (every index, check and foreign key; PostgreSQL ``COPY``, SQLite
   ``executemany``; rolled back), the least any import of that file must cost. Goal <= 1.5. The floor
   without the cylinders (as it was before wave 2 added them) is printed too.
   For reference: the import vs loading the same file into a plain table with the same columns
   (``COPY``; SQLite ``executemany``), the retired goal (<= 10; the floor alone is ~18 on PostgreSQL,
   set by the per-row foreign-key checks), and on PostgreSQL ``COPY`` of the resulting entry rows
   into a copy of ``logbook_entries`` (its indexes, not its foreign keys).

The ``--large`` log is reached by the import of part 3 (and a padding import if needed), so a full
run imports ``--lines`` lines once.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/certreg_bench python bench/logbook.py
    python bench/logbook.py --appends 2000 --small 10000 --large 1000000 --lines 1000000   # the defaults
    python bench/logbook.py --smoke        # tiny sizes, SQLite unless BENCH_DATABASE_URL is set
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = ("date,kind,substance,quantity_kg,condition,cylinders,import_licence,customs_declaration,origin_country,"
          "exporter,export_licence,destination_country,documents\n")
COLUMNS = HEADER.strip().split(",")


def csv_text(lines: int, start: int = 0) -> str:
    """Imports (with proof of origin) and every tenth line an export; stock never runs out."""
    first = date.today() - timedelta(days=lines // 200 + 2)
    out = io.StringIO()
    out.write(HEADER)
    for i in range(start, start + lines):
        day = first + timedelta(days=(i - start) // 200)
        if i % 10 == 9:
            out.write(f"{day},export,HCFC-22,5.5,virgin,,,,,,KZ-EXP-{i},UZ,INV-{i}\n")
        else:
            cylinders = f"CYL-{i}-A;CYL-{i}-B" if i % 7 == 0 else ""
            out.write(f"{day},import,{'R-404A' if i % 3 else 'HCFC-22'},{10 + i % 13}.250,virgin,{cylinders},"
                      f"LIC-{i // 100},DECL-{i},CN,Example Chemical Co.,,,INV-{i}\n")
    return out.getvalue()


def database(url: str | None):
    """(url, cleanup): the given database, a fresh PostgreSQL one, or a temporary SQLite file."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    if url and url.startswith("postgresql"):
        base = make_url(url)
        name = f"{base.database}_logbook"
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

        def drop():
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return base.set(database=name).render_as_string(hide_password=False), drop
    tmp = tempfile.mkdtemp(prefix="certreg-bench-logbook-")
    return f"sqlite:///{tmp}/bench.sqlite3", lambda: None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--appends", type=int, default=2000, help="entries appended (and bare inserts) in part 1")
    parser.add_argument("--small", type=int, default=10_000, help="log size of the first stock read")
    parser.add_argument("--large", type=int, default=1_000_000, help="log size of the second stock read")
    parser.add_argument("--lines", type=int, default=1_000_000, help="CSV lines imported in part 3")
    parser.add_argument("--reads", type=int, default=2000, help="stock reads timed at each size")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (bench/smoke.py)")
    args = parser.parse_args()
    if args.smoke:
        args.appends, args.small, args.large, args.lines, args.reads = 100, 500, 3000, 2000, 200
    args.large = max(args.large, args.small + args.lines)

    url, cleanup = database(args.database_url)
    os.environ["DATABASE_URL"] = url
    keys_dir = tempfile.mkdtemp(prefix="certreg-bench-keys-")
    from certreg import create_app

    app = create_app({"CONFIG": "development", "SQLALCHEMY_DATABASE_URI": url, "SIGNING_KEYS_DIR": keys_dir,
                      "LOGBOOK_MAC_KEY": "bench-mac-key", "LOGBOOK_CHECKPOINT_EVERY_ENTRIES": 0,
                      "LOGBOOK_CHECKPOINT_EVERY_SECONDS": 0, "SECRET_KEY": "bench" * 8,
                      # the CSV dates its lines up to years back (200 a day): no late-entry reason asked
                      "LOGBOOK_LATE_ENTRY_DAYS": 36500, "LOGBOOK_APPROVAL_DAYS": 36500})
    try:
        with app.app_context():
            return run(app, args, url)
    finally:
        with app.app_context():
            from certreg.extensions import db

            db.session.remove()
            db.engine.dispose()
        cleanup()


def run(app, args, url: str) -> int:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from certreg.actors import Actor
    from certreg.cylinders.models import Cylinder
    from certreg.extensions import db
    from certreg.logbook import drafts, holders, imports, ledger, queries, recording
    from certreg.logbook.models import Channel, Entry, ImportBatch
    from certreg.registry import services as registry
    from certreg.vocabulary import HolderKind

    upgrade()
    system = Actor.system("bench")
    companies = {}
    for country in ("KZ", "UZ"):
        company = registry.create_company(system, registry.CompanyData(
            country_code=country, legal_name=f"Bench {country}", name_latin=f"Bench {country}",
            registration_number=f"BENCH-{country}", address="-", activities=["dealer", "importer", "exporter"]))
        companies[country] = holders.holder(HolderKind.COMPANY, company.id)
    db.session.commit()
    dealer, bare_holder = companies["KZ"], companies["UZ"]
    postgres = url.startswith("postgresql")
    print(f"database: {'PostgreSQL' if postgres else 'SQLite'}; appends={args.appends} small={args.small} "
          f"large={args.large} lines={args.lines}")

    # --- 1. append vs bare ORM insert ----------------------------------------------------------
    recording.record_entry(system, dealer, drafts.EntryData(
        kind="import", operation_date=date.today(), substance="HCFC-22", quantity=Decimal("99999999"),
        import_licence="L", customs_declaration="D", origin_country="CN", exporter_name="E"))
    db.session.commit()
    export = drafts.EntryData(kind="export", operation_date=date.today(), substance="HCFC-22",
                                quantity=Decimal("1"), export_licence="KZ-EXP-1", destination_country="UZ",
                                document_numbers="INV-1")
    sample = recording.record_entry(system, dealer, export)
    db.session.commit()
    template = {c: getattr(sample, c) for c in ledger.ENTRY_COLUMNS}
    bare_logbook = holders.logbook_for(bare_holder, create=True)
    db.session.commit()
    template.update(country_code="UZ", logbook_id=bare_logbook.id)

    def appends(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            recording.record_entry(system, dealer, export, channel=Channel.CLI)
            db.session.commit()
        return time.perf_counter() - start

    next_seq = [0]
    next_id = [-1]  # ids of their own (the service takes MAX(id) + 1 on SQLite)

    def bare(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            row = dict(template, id=next_id[0], seq=next_seq[0])
            next_id[0] -= 1
            next_seq[0] += 1
            db.session.add(Entry(**row))
            db.session.commit()
        return time.perf_counter() - start

    rounds = 8 if args.appends >= 400 else 2
    per_round = max(args.appends // rounds, 1)
    appends(min(50, per_round)), bare(min(50, per_round))  # warm up
    ratios, t_append, t_bare = [], 0.0, 0.0
    for _ in range(rounds):  # interleaved, so that a busy moment of the machine hits both sides
        a, b = appends(per_round), bare(per_round)
        t_append, t_bare = t_append + a, t_bare + b
        ratios.append(b / a)
    append_rate, bare_rate = rounds * per_round / t_append, rounds * per_round / t_bare
    print(f"append: {append_rate:.0f} entries/s, bare ORM insert: {bare_rate:.0f} rows/s, "
          f"ratio={median(ratios):.2f} (median of {rounds} interleaved rounds; goal >= 0.3)")

    # --- 2 and 3. stock read at small and large logs; CSV import vs COPY ---------------------
    def log_size() -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(Entry))

    def import_lines(lines: int, start: int, name: str) -> float:
        data = csv_text(lines, start).encode()
        begin = time.perf_counter()
        result = imports.import_csv(system, dealer, data, name)
        assert result.ok, result.errors[:3]
        db.session.commit()
        return time.perf_counter() - begin

    if log_size() < args.small:
        import_lines(args.small - log_size(), 10_000_000, "pad-small.csv")

    def stock_read() -> float:
        """Median over 5 batches of the time to read the holder's stock (after settling the database)."""
        db.session.commit()
        # Settle the database after a big import, as it settles by itself in service: PostgreSQL's
        # autovacuum and statistics, SQLite's WAL checkpoint (otherwise they run during the measurement).
        if postgres:
            connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(sa.text("VACUUM ANALYZE"))
            connection.close()
        else:
            db.session.remove()
            raw = db.engine.raw_connection()  # no BEGIN: the driver connection is in autocommit mode
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.driver_connection.execute("ANALYZE")
            raw.close()
        for _ in range(50):
            queries.balances(system, dealer)
            db.session.commit()
        batches = []
        for _ in range(5):
            begin = time.perf_counter()
            for _ in range(max(args.reads // 5, 1)):
                queries.balances(system, dealer)
                db.session.commit()
            batches.append((time.perf_counter() - begin) / max(args.reads // 5, 1))
        return median(batches)

    def flagged_count() -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(Cylinder).where(
            Cylinder.needs_registration, Cylinder.stamp_number.in_(
                sa.select(ledger.CYLINDERS.c.serial).join(Entry, Entry.id == ledger.CYLINDERS.c.entry_id)
                .join(ImportBatch, ImportBatch.id == Entry.import_id).where(ImportBatch.filename == "bench.csv"))))

    small_size, t_small = log_size(), stock_read()
    text = csv_text(args.lines)
    t_import = import_lines(args.lines, 0, "bench.csv")
    t_copy = baseline_copy(text, postgres)
    t_rows = baseline_entry_rows(postgres)
    t_tables, t_flagged = baseline_real_tables(postgres)
    if log_size() < args.large:
        import_lines(args.large - log_size(), 20_000_000, "pad-large.csv")
    large_size, t_large = log_size(), stock_read()
    print(f"stock read: {t_small * 1e6:.0f} us at {small_size} entries, {t_large * 1e6:.0f} us at {large_size} "
          f"entries, ratio={t_large / t_small:.2f} (goal <= 1.2)")
    print(f"import: {args.lines} lines in {t_import:.2f} s ({args.lines / t_import:.0f} lines/s), its own rows "
          f"into logbook_entries, logbook_entry_cylinders and cylinders (the floor: every index, check and foreign "
          f"key; {'COPY' if postgres else 'executemany'}; rolled back) {t_tables:.2f} s, "
          f"ratio={t_import / t_tables:.2f} (goal <= 1.5)")
    print(f"  of the floor, the {flagged_count()} serials no cylinder had (unregistered cylinders): {t_flagged:.2f} s; "
          f"without them (the floor before wave 2's cylinders) {t_tables - t_flagged:.2f} s, "
          f"ratio={t_import / (t_tables - t_flagged):.2f}")
    print(f"  for reference: {'COPY' if postgres else 'executemany (SQLite has no COPY)'} of the same file into a "
          f"plain table {t_copy:.2f} s, import / that = {t_import / t_copy:.2f}, the floor / that = "
          f"{t_tables / t_copy:.2f}")
    if t_rows:
        print(f"  and COPY of the resulting {args.lines} entry rows (hashes included) into a copy of "
              f"logbook_entries with its indexes, not its foreign keys {t_rows:.2f} s; import / that = "
              f"{t_import / t_rows:.2f}")
    return 0


def baseline_entry_rows(postgres: bool) -> float | None:
    """PostgreSQL: COPY the imported entries' final rows into a table like logbook_entries (same indexes)."""
    if not postgres:
        return None
    import sqlalchemy as sa

    from certreg.extensions import db
    from certreg.logbook.models import ImportBatch

    batch = db.session.scalar(sa.select(ImportBatch.id).where(ImportBatch.filename == "bench.csv"))
    db.session.execute(sa.text("CREATE TABLE bench_entries (LIKE logbook_entries INCLUDING ALL)"))
    db.session.commit()
    raw = db.session.connection().connection.driver_connection
    buffer = io.BytesIO()
    with raw.cursor() as cursor, cursor.copy(
            f"COPY (SELECT * FROM logbook_entries WHERE import_id = {int(batch)}) TO STDOUT") as copy:
        for chunk in copy:
            buffer.write(chunk)
    db.session.commit()
    raw = db.session.connection().connection.driver_connection
    begin = time.perf_counter()
    with raw.cursor() as cursor, cursor.copy("COPY bench_entries FROM STDIN") as copy:
        copy.write(buffer.getvalue())
    db.session.commit()
    took = time.perf_counter() - begin
    db.session.execute(sa.text("DROP TABLE bench_entries"))
    db.session.commit()
    return took


def baseline_real_tables(postgres: bool) -> tuple[float, float]:
    """The import's floor: its own rows written into the real tables again, as new rows, and rolled back
    (PostgreSQL ``COPY``; SQLite ``executemany`` in one transaction). Returns ``(all of them, the flagged
    cylinders' share)``.

    What any import must at least write: the same rows with every index, check and foreign
    key of ``logbook_entries`` and ``logbook_entry_cylinders``, and of ``cylinders`` for the
    serials no cylinder had, which the import records as unregistered cylinders (ids shifted, and
    the cylinders' stamp numbers prefixed, so that they do not collide with the imported ones).
    """
    import sqlalchemy as sa

    from certreg.extensions import db
    from certreg.logbook import ledger
    from certreg.logbook.models import ImportBatch

    batch = int(db.session.scalar(sa.select(ImportBatch.id).where(ImportBatch.filename == "bench.csv")))
    shift = 10**12
    columns = ", ".join(f"{c} + {shift}" if c in ("id", "seq") else c for c in ledger.ENTRY_COLUMNS)
    queries = (
        ("logbook_entries", ledger.ENTRY_COLUMNS,
         f"SELECT {columns} FROM logbook_entries WHERE import_id = {batch}"),  # noqa: S608
        ("logbook_entry_cylinders", ("entry_id", "position", "serial"),
         f"SELECT entry_id + {shift}, position, serial FROM logbook_entry_cylinders "  # noqa: S608
         f"WHERE entry_id IN (SELECT id FROM logbook_entries WHERE import_id = {batch})"),
        ("cylinders", FLAGGED_COLUMNS,
         # stamp numbers changed as little as the partial unique index (country, stamp) of unregistered ones asks
         f"SELECT id + {10**9}, country_code, 'F' || stamp_number, {', '.join(FLAGGED_COLUMNS[3:])} "  # noqa: S608
         f"FROM cylinders "
         f"WHERE needs_registration AND stamp_number IN (SELECT serial FROM logbook_entry_cylinders "
         f"WHERE entry_id IN (SELECT id FROM logbook_entries WHERE import_id = {batch}))"),
    )
    took: dict[str, float] = {}
    if not postgres:
        db.session.commit()
        raw = db.engine.raw_connection()
        connection = raw.driver_connection  # autocommit mode: the transaction is ours to begin and roll back
        rows = {table: connection.execute(query).fetchall() for table, _, query in queries}
        connection.execute("BEGIN IMMEDIATE")
        for table, names, _ in queries:
            begin = time.perf_counter()
            connection.executemany(f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608
                                   f"VALUES ({', '.join('?' * len(names))})", rows[table])
            took[table] = time.perf_counter() - begin
        connection.execute("ROLLBACK")
        raw.close()
        return sum(took.values()), took["cylinders"]
    dumps = {}
    raw = db.session.connection().connection.driver_connection
    for table, names, query in queries:
        buffer = io.BytesIO()
        with raw.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
            for chunk in copy:
                buffer.write(chunk)
        dumps[table] = (names, buffer.getvalue())
    db.session.commit()
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        for table, (names, data) in dumps.items():
            begin = time.perf_counter()
            # the columns named as the dump has them (the table's own order may differ: columns added later)
            with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                copy.write(data)
            took[table] = time.perf_counter() - begin
    db.session.rollback()
    return sum(took.values()), took["cylinders"]


#: The columns the import sets on an unregistered cylinder (certreg.cylinders.logbook_link), the id first.
FLAGGED_COLUMNS = ("id", "country_code", "stamp_number", "needs_registration", "custodian_company_id",
                   "custodian_technician_id", "status", "net_kg", "fills", "mixed", "created_at", "updated_at")


def baseline_copy(text: str, postgres: bool) -> float:
    """Load the same CSV into a plain table with the same columns, the fastest way the database offers."""
    import csv

    import sqlalchemy as sa

    from certreg.extensions import db

    columns = ("date date, kind varchar(32), substance varchar(32), quantity_kg numeric(14,3), "
               "condition varchar(16), cylinders text, import_licence varchar(64), customs_declaration varchar(64), "
               "origin_country varchar(2), exporter varchar(255), export_licence varchar(64), "
               "destination_country varchar(2), documents varchar(255)")
    db.session.execute(sa.text(f"CREATE TABLE bench_copy ({columns})"))
    db.session.commit()
    begin = time.perf_counter()
    raw = db.session.connection().connection.driver_connection
    if postgres:
        with raw.cursor() as cursor, cursor.copy(
                f"COPY bench_copy ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            copy.write(text)
    else:
        rows = [[v or None for v in row] for row in csv.reader(io.StringIO(text))][1:]
        cursor = raw.cursor()
        cursor.executemany(f"INSERT INTO bench_copy VALUES ({', '.join('?' * len(COLUMNS))})", rows)
        cursor.close()
    db.session.commit()
    took = time.perf_counter() - begin
    db.session.execute(sa.text("DROP TABLE bench_copy"))
    db.session.commit()
    return took


if __name__ == "__main__":
    sys.exit(main())
