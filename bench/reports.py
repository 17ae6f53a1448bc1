#!/usr/bin/env python3
"""Reports at scale: Article 7 time vs the bare GROUP BY, and memory of the streamed raw export.

1. Builds a database of its own (``flask db upgrade``) and bulk-loads synthetic logbook
   entries of one country with COPY (PostgreSQL) or executemany (SQLite): imports,
   exports, sales, purchases, charges, recoveries, destruction, stock counts and
   reversals (5 %), pure substances and blends, about ``--entries`` in one calendar year.
2. Times the Article 7 report of that year (``certreg.reports.figures.article7``: the
   grouped query, the blend split by join, the tonnes) against the bare
   ``SELECT substance_code, kind, condition, sum(quantity) ... GROUP BY`` over the same
   rows, alternately, ``--repeat`` times each after a warm-up; prints the medians and
   ``ratio=<report/bare>`` (goal <= 1.5).
3. Grows the table to ``--export-large`` entries and streams the raw-entries CSV export
   (``certreg.reports.entries.stream`` -> ``exports.csv_lines``, to /dev/null) of the first
   ``--export-small`` entries and of all of them, each in a fresh process, measuring the
   process's peak resident memory while exporting (Linux VmHWM, reset before the export);
   prints both and ``memory_ratio=<large/small>`` (goal <= 1.2).

    python bench/reports.py                                   # 1,000,000 / 500,000 / 5,000,000 on PostgreSQL
    python bench/reports.py --entries 200000 --export-small 100000 --export-large 1000000
    python bench/reports.py --smoke                           # tiny sizes on SQLite (bench/smoke.py)

The database is ``BENCH_DATABASE_URL`` (or ``--database-url``), default
``postgresql+psycopg://postgres@127.0.0.1:5432/certreg_bench_reports``; it is dropped and
created again (``--keep`` leaves it afterwards).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/certreg_bench_reports"
COUNTRY = "KZ"
YEAR = 2021
HOLDERS = 40
#: One cycle of 20 entries: what a busy country's logbooks hold. Index 17 reverses index 16.
PATTERN = ["import", "sale", "purchase", "charge", "import", "export", "sale", "purchase", "recovery", "import",
           "charge", "sale", "destroyed", "purchase", "stock_count", "import", "sale", "reversal", "charge",
           "purchase"]
SUBSTANCES = ["HCFC-22", "R-404A", "R-410A", "HFC-134a", "R-407C", "HFC-32", "R-502", "CFC-12", "R-507A",
              "HCFC-141b", "R-408A", "HFC-125", "CTC"]
COLUMNS = ["id", "country_code", "seq", "logbook_id", "kind", "operation_date", "substance_code", "quantity",
           "condition", "direction", "counted_quantity", "book_quantity", "import_licence", "customs_declaration",
           "origin_country", "exporter_name", "export_licence", "destination_country", "reverses_id", "reason",
           "channel", "recorded_at", "recorded_by_label", "leaf_hash", "mac", "counterparty_name"]
HASH = "\\\\x" + "00" * 32  # bytea in COPY text format


# --- database ---------------------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).unlink(missing_ok=True)
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def drop_database(url: str) -> None:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).unlink(missing_ok=True)
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def make_app(url: str):
    from certreg import create_app

    return create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url, "LOGBOOK_MAC_KEY": "bench-mac-key"})


def prepare(app) -> list[int]:
    """Migrate, register holders, return their logbook ids."""
    from flask_migrate import upgrade

    from certreg.actors import Actor
    from certreg.extensions import db
    from certreg.logbook import holders
    from certreg.registry import services as registry
    from certreg.vocabulary import HolderKind

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        system = Actor.system("bench")
        ids = []
        for n in range(HOLDERS):
            company = registry.create_company(system, registry.CompanyData(
                country_code=COUNTRY, legal_name=f"ТОО «Бенч {n}»", name_latin=f"Bench {n} LLP",
                registration_number=f"BENCH-{n:05d}", address="Almaty", activities=["importer", "dealer"],
                email=None, phone=None))
            ids.append(holders.logbook_for(holders.holder(HolderKind.COMPANY, company.id), create=True).id)
        db.session.commit()
        return ids


def synthetic_rows(start: int, count: int, logbooks: list[int], per_day: int):
    """Entry rows ``start`` .. ``start + count - 1`` (ids and log positions from 1 and 0)."""
    first_day = date(YEAR, 1, 1)
    recorded = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    for i in range(start, start + count):
        kind = PATTERN[i % len(PATTERN)]
        substance = SUBSTANCES[(i // len(PATTERN)) % len(SUBSTANCES)]
        quantity = f"{1 + (i * 7919) % 4000 / 100:.3f}"
        condition = "recovered" if kind == "recovery" or (kind == "import" and i % 7 == 0) else "virgin"
        row = {
            "id": i + 1, "country_code": COUNTRY, "seq": i, "logbook_id": logbooks[i % len(logbooks)], "kind": kind,
            "operation_date": (first_day + timedelta(days=i // per_day)).isoformat(), "substance_code": substance,
            "quantity": quantity, "condition": condition, "channel": "csv", "recorded_at": recorded,
            "recorded_by_label": "cli:bench", "leaf_hash": HASH, "mac": HASH,
        }
        if kind == "import":
            row.update(import_licence=f"LIC-{i // 1000}", customs_declaration=f"DECL-{i}", origin_country="CN",
                       exporter_name="Example Chemical Co.")
        elif kind == "export":
            row.update(export_licence=f"EXP-{i // 1000}", destination_country="UZ")
        elif kind == "stock_count":
            row.update(direction="out", counted_quantity="10.000", book_quantity=f"{10 + float(quantity):.3f}",
                       reason="Annual count")
        elif kind == "reversal":
            previous = i - 1  # a sale (PATTERN[16])
            row.update(reverses_id=previous + 1, reason="Wrong quantity",
                       substance_code=SUBSTANCES[(previous // len(PATTERN)) % len(SUBSTANCES)],
                       quantity=f"{1 + (previous * 7919) % 4000 / 100:.3f}")
        elif kind == "purchase":
            row["counterparty_name"] = "Market seller"
        yield row


def load(app, start: int, count: int, logbooks: list[int], per_day: int) -> float:
    """Bulk-load entries; returns seconds."""
    import sqlalchemy as sa

    from certreg.extensions import db

    began = time.monotonic()
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                raw = conn.connection.driver_connection
                with raw.cursor() as cursor, cursor.copy(
                        f"COPY logbook_entries ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    buffer = io.StringIO()
                    for n, row in enumerate(synthetic_rows(start, count, logbooks, per_day), 1):
                        buffer.write("\t".join(str(row.get(c, "\\N")) for c in COLUMNS))
                        buffer.write("\n")
                        if n % 20000 == 0:
                            copy.write(buffer.getvalue())
                            buffer = io.StringIO()
                    copy.write(buffer.getvalue())
                conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('logbook_entries', 'id'), :n)"),
                             {"n": start + count})
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE logbook_entries"))
        else:
            table = sa.table("logbook_entries", *(sa.column(c) for c in COLUMNS))
            with engine.begin() as conn:
                batch = []
                for row in synthetic_rows(start, count, logbooks, per_day):
                    row = {c: row.get(c) for c in COLUMNS}
                    row["leaf_hash"] = row["mac"] = b"\0" * 32
                    batch.append(row)
                    if len(batch) == 5000:
                        conn.execute(table.insert(), batch)
                        batch = []
                if batch:
                    conn.execute(table.insert(), batch)
            with engine.connect() as conn:
                conn.execute(sa.text("ANALYZE"))
        engine.dispose()
    return time.monotonic() - began


# --- 2. Article 7 against the bare GROUP BY ----------------------------------------------------------


def time_article7(app, repeat: int) -> dict:
    import sqlalchemy as sa

    from certreg.actors import Actor
    from certreg.extensions import db
    from certreg.reports import services
    from certreg.reports.figures import Period

    bare = sa.text("SELECT substance_code, kind, condition, sum(quantity) FROM logbook_entries "
                   "WHERE country_code = :c AND operation_date BETWEEN :a AND :b "
                   "GROUP BY substance_code, kind, condition")
    # The same grouping over only the kinds Article 7 reads (imports, exports, destruction): stricter.
    bare_kinds = sa.text("SELECT substance_code, kind, condition, sum(quantity) FROM logbook_entries "
                         "WHERE country_code = :c AND operation_date BETWEEN :a AND :b "
                         "AND kind IN ('import', 'export', 'destroyed') GROUP BY substance_code, kind, condition")
    params = {"c": COUNTRY, "a": date(YEAR, 1, 1), "b": date(YEAR, 12, 31)}
    period = Period.year(YEAR)
    system = Actor.system("bench")
    with app.app_context():
        rows = db.session.scalar(sa.text("SELECT count(*) FROM logbook_entries WHERE operation_date "
                                         "BETWEEN :a AND :b"), params)

        def run_bare(query=bare) -> float:
            began = time.perf_counter()
            db.session.execute(query, params).all()
            return time.perf_counter() - began

        def run_report() -> float:
            began = time.perf_counter()
            report = services.article7(system, COUNTRY, period)
            report.totals_by_group()
            report.grand_total()
            return time.perf_counter() - began

        run_bare(), run_bare(bare_kinds), run_report()  # warm the cache and the plans
        bares, strict, reports = [], [], []
        for _ in range(repeat):
            bares.append(run_bare())
            strict.append(run_bare(bare_kinds))
            reports.append(run_report())
        substances = len(services.article7(system, COUNTRY, period).rows)
        db.session.remove()
        db.engine.dispose()
    bare_s, strict_s, report_s = statistics.median(bares), statistics.median(strict), statistics.median(reports)
    return {"entries_in_year": rows, "bare_s": bare_s, "strict_s": strict_s, "report_s": report_s,
            "ratio": report_s / bare_s, "strict_ratio": report_s / strict_s, "substance_rows": substances}


# --- 3. memory of the streamed raw export ------------------------------------------------------------


def _status(field: str) -> int:
    """A line of /proc/self/status in kB (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure_export(url: str, date_from: str, date_to: str) -> dict:
    """In this (fresh) process: stream the CSV export of the period to /dev/null; peak RSS while exporting."""
    from certreg.actors import Actor
    from certreg.reports import entries, exports, services
    from certreg.reports.figures import Period

    app = make_app(url)
    selection = entries.Selection(COUNTRY, Period(date.fromisoformat(date_from), date.fromisoformat(date_to)))
    with app.app_context():
        # warm up: modules, connection, compiled query (a one-day export)
        warm = entries.Selection(COUNTRY, Period(selection.period.date_from, selection.period.date_from))
        for _chunk in exports.csv_lines(entries.fields(warm), exports.dict_rows(entries.fields(warm),
                                                                                  entries.stream(warm))):
            pass
        baseline = _status("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
        began = time.monotonic()
        lines = 0
        with open(os.devnull, "w", encoding="utf-8") as sink:
            names = entries.fields(selection)
            for chunk in exports.csv_lines(names, exports.dict_rows(
                    names, services.entry_rows(Actor.system("bench"), selection))):
                sink.write(chunk)
                lines += chunk.count("\r\n")
        took = time.monotonic() - began
        peak = _status("VmHWM")
    return {"rows": lines - 1, "seconds": took, "baseline_rss_kb": baseline, "peak_rss_kb": peak,
            "growth_kb": peak - baseline}


def export_in_subprocess(url: str, date_from: date, date_to: date) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--database-url", url, "--measure-export", date_from.isoformat(),
         date_to.isoformat()], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def last_day(rows: int, per_day: int) -> date:
    return date(YEAR, 1, 1) + timedelta(days=(rows - 1) // per_day)


# --- main -------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries in the Article 7 year")
    parser.add_argument("--export-small", type=int, default=500_000)
    parser.add_argument("--export-large", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, SQLite unless a URL is given")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--measure-export", nargs=2, metavar=("FROM", "TO"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure_export:
        print(json.dumps(measure_export(args.database_url, *args.measure_export)))
        return 0
    tmpdir = None
    if args.smoke:
        args.entries, args.export_small, args.export_large, args.repeat = 4000, 2000, 8000, 3
        if not args.database_url:
            tmpdir = tempfile.mkdtemp(prefix="certreg-bench-")
            args.database_url = f"sqlite:///{tmpdir}/bench.sqlite3"
    url = args.database_url or DEFAULT_URL
    if args.export_small > args.export_large:
        parser.error("--export-small must not exceed --export-large")

    fresh_database(url)
    try:
        app = make_app(url)
        logbooks = prepare(app)
        per_day = -(-args.entries // 365)  # the first --entries rows fill the year
        print(f"database: {url.split('@')[-1]}")
        took = load(app, 0, args.entries, logbooks, per_day)
        print(f"loaded {args.entries:,} entries in {took:.1f}s")
        a7 = time_article7(app, args.repeat)
        print(f"article7: {a7['entries_in_year']:,} entries in {YEAR}, {a7['substance_rows']} substance rows; "
              f"bare GROUP BY {a7['bare_s'] * 1000:.1f} ms, report {a7['report_s'] * 1000:.1f} ms "
              f"(median of {args.repeat})")
        print(f"ratio={a7['ratio']:.2f} (goal <= 1.5); against the GROUP BY of only the import, export and "
              f"destruction rows ({a7['strict_s'] * 1000:.1f} ms): {a7['strict_ratio']:.2f}")

        total = max(args.export_large, args.entries)
        if total > args.entries:
            took = load(app, args.entries, total - args.entries, logbooks, per_day)
            print(f"loaded {total - args.entries:,} more entries in {took:.1f}s ({total:,} in all)")
        small = export_in_subprocess(url, date(YEAR, 1, 1), last_day(args.export_small, per_day))
        large = export_in_subprocess(url, date(YEAR, 1, 1), last_day(args.export_large, per_day))
        for label, m in (("small", small), ("large", large)):
            print(f"export {label}: {m['rows']:,} rows in {m['seconds']:.1f}s "
                  f"({m['rows'] / max(m['seconds'], 1e-9):,.0f} rows/s); RSS before "
                  f"{m['baseline_rss_kb'] / 1024:.1f} MiB, peak {m['peak_rss_kb'] / 1024:.1f} MiB, "
                  f"growth {m['growth_kb'] / 1024:.1f} MiB")
        print(f"memory_ratio={large['peak_rss_kb'] / small['peak_rss_kb']:.3f} (peak RSS, goal <= 1.2); "
              f"growth ratio {large['growth_kb'] / max(small['growth_kb'], 1):.2f}")
        return 0
    finally:
        if not args.keep:
            drop_database(url)
        if tmpdir:
            import shutil

            shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
