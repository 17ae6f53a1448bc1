#!/usr/bin/env python3
"""Cylinder figures (issue 12 acceptance 5, measured as issue 11 sets out).

Part 1, the label scan ``/c/<token>`` under load from outside (``wrk``, bench/wrk.py), beside a bare
Flask JSON hello served the same way (gunicorn, ``--workers`` sync workers), in ``--rounds``
interleaved rounds: ``different_cylinder``, a different one of ``--cylinders`` labels on every
request (as at a market, where each cylinder is scanned once). Every scan counts against the
client's rate limit, checks the ES256 signature, reads the cylinder and logs the scan (a
``cylinder_scans`` row, written behind the request); the signature cache off (``VERIFY_PAGE_CACHE_SIZE=0``).
``same_cylinder``: one label scanned again and again (its signature check remembered, the cylinder read live).
Goals: >= 0.4x the hello's requests/s for a different cylinder, >= 0.7x for the same, p99 <= 3x the hello's.
Reference cases (bench/_apps.py): ``same_bytes``, ``certreg_hello`` and ``page_read`` (certreg's request cycle
after reading a different cylinder's page row on every request, as ``/c/`` does: no scan that reads the
cylinder live can beat it).

Part 2, the custody-history read (:func:`certreg.cylinders.lookup.history`, what the lookup page
and API show): the history of a random cylinder (10 events each) read in-process from a database
with ``--small`` cylinder events and from one with ``--large``, in ``--history-rounds`` interleaved
rounds. Goal: the median of the rounds' ratios (large / small) <= 1.2.

    python bench/cylinders.py                  # SQLite file database; installs wrk if missing
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/certreg_bench python bench/cylinders.py
    python bench/cylinders.py --smoke          # bench/smoke.py: tiny sizes, 1 round of 1 s (no wrk needed)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402
from bench.verify import column, fresh_database  # noqa: E402

SCAN_GOAL, SAME_GOAL, P99_GOAL, HISTORY_GOAL = 0.4, 0.7, 3.0, 1.2
EVENTS_PER_CYLINDER = 10


def prepare(database_url: str, keys_dir: str, count: int) -> list[str]:
    """Migrate a fresh database, create a key, an owner and ``count`` labelled cylinders; their tokens."""
    from decimal import Decimal

    from flask_migrate import upgrade

    from certreg import create_app
    from certreg.actors import Actor
    from certreg.cylinders.events import FillData
    from certreg.cylinders.models import ContentCondition, CylinderKind
    from certreg.cylinders.registration import RegisterData, register
    from certreg.extensions import db
    from certreg.keys import services as keys
    from certreg.registry import services as registry

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SIGNING_KEYS_DIR": keys_dir})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        system = Actor.system("bench")
        keys.ensure(system, ["KG"])
        owner = registry.create_company(system, registry.CompanyData(
            country_code="KG", legal_name="ОсОО «Бишкек Суук»", name_latin="Bishkek Suuk LLC",
            registration_number="BENCH-1", address="Bishkek", activities=["importer", "dealer"]))
        tokens = []
        for n in range(count):
            cylinder = register(system, RegisterData(
                owner_company_id=owner.id, kind=CylinderKind.REFILLABLE, water_capacity_l=Decimal("13.6"),
                tare_kg=Decimal("6.5"), manufacturer="Worthington", stamp_number=f"W{n:07d}",
                contents=FillData("HFC-134a", Decimal("12"), ContentCondition.VIRGIN, origin_country="CN")))
            tokens.append(cylinder.token)
        db.session.commit()
        db.engine.dispose()
    return tokens


def scan_part(args, database_url: str, keys_dir: str, tmp: str) -> dict:
    tokens = prepare(database_url, keys_dir, args.cylinders)
    env = {**os.environ, "DATABASE_URL": database_url, "SIGNING_KEYS_DIR": keys_dir, "CERTREG_INSTANCE_PATH": tmp,
           "SECRET_KEY": "b" * 64, "CERTREG_CONFIG": "development", "VERIFY_RATE_LIMIT": str(10**9),
           "PYTHONPATH": str(ROOT)}

    def genuine(body: str) -> bool:
        return 'data-verdict="genuine"' in body

    cases = [
        wrk.Case("hello", "bench._apps:hello()", ["/"]),
        wrk.Case("different_cylinder", "bench._apps:certreg()", [f"/c/{t}" for t in tokens],
                 {"VERIFY_PAGE_CACHE_SIZE": "0"}, genuine),
        wrk.Case("same_cylinder", "bench._apps:certreg()", [f"/c/{tokens[0]}"], {}, genuine),
        wrk.same_bytes_case(env, f"/c/{tokens[0]}", tmp),
        wrk.Case("certreg_hello", "bench._apps:certreg_hello()", ["/bench-hello/x"]),
        wrk.Case("page_read", "bench._apps:certreg_reads()", [
            f"/bench-cylinder/{s}" for s in column(database_url, "SELECT serial FROM cylinders ORDER BY id")]),
    ]
    if args.smoke and wrk.ensure_wrk(install=False) is None:
        wrk.smoke(cases, env, workers=args.workers, worker_class=args.worker_class)
        return {}
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    summary = wrk.compare(cases, env, rounds=args.rounds, seconds=args.seconds, workers=args.workers,
                          worker_class=args.worker_class, connections=args.connections, threads=args.threads,
                          header=f"database={database} cylinders={len(tokens)}", warm_up=not args.smoke)
    if not args.smoke:
        for name, goal in (("different_cylinder", SCAN_GOAL), ("same_cylinder", SAME_GOAL)):
            figures = summary[name]
            met = figures["ratio"] >= goal and figures["p99_ratio"] <= P99_GOAL
            print(f"goal {name}: ratio >= {goal} and p99 <= {P99_GOAL:g}x hello's: {'met' if met else 'NOT met'}")
    return summary


def _grow(events_wanted: int, start: int, owner_id: int) -> int:
    """Add cylinders with EVENTS_PER_CYLINDER events each (bulk, no signing: the read does not look at
    labels) until the events table holds ``events_wanted`` rows; returns the next cylinder number."""
    import sqlalchemy as sa

    from certreg.cylinders.models import Cylinder, CylinderEvent
    from certreg.db import utcnow
    from certreg.extensions import db

    cylinders, events = Cylinder.__table__, CylinderEvent.__table__
    have = db.session.scalar(sa.select(sa.func.count()).select_from(events))  # the scan part's too
    n = start
    chunk = 2000
    now = utcnow()
    while have < events_wanted:
        count = min(chunk, (events_wanted - have + EVENTS_PER_CYLINDER - 1) // EVENTS_PER_CYLINDER)
        db.session.execute(cylinders.insert(), [{
            "country_code": "KG", "serial": f"KG-B-{n + i:09d}", "kind": "refillable", "water_capacity_l": 13.6,
            "tare_kg": 6.5, "owner_company_id": owner_id, "custodian_company_id": owner_id, "status": "in_stock",
            "substance_code": "HFC-134a", "net_kg": 2, "condition": "virgin", "fills": 1,
            "status_index": 10_000_000 + n + i, "kid": "bench", "token": "bench"} for i in range(count)])
        ids = db.session.scalars(sa.select(cylinders.c.id).where(
            cylinders.c.serial.in_([f"KG-B-{n + i:09d}" for i in range(count)]))).all()
        rows = []
        for cylinder_id in ids:
            rows.append({"cylinder_id": cylinder_id, "at": now, "kind": "fill", "kg": 12, "net_kg_after": 12,
                         "substance_code": "HFC-134a", "actor_label": "bench", "to_company_id": None})
            for step in range(1, EVENTS_PER_CYLINDER):
                rows.append({"cylinder_id": cylinder_id, "at": now, "kind": "charge", "kg": -1,
                             "net_kg_after": 12 - step, "substance_code": "HFC-134a", "actor_label": "bench",
                             "to_company_id": owner_id})
        db.session.execute(events.insert(), rows)
        db.session.commit()
        have += len(rows)
        n += count
    return n


def _time_reads(ids: list[int], reads: int, pick: random.Random) -> list[float]:
    """Microseconds of ``reads`` history reads of random cylinders among ``ids``."""
    from certreg.cylinders import lookup
    from certreg.extensions import db

    took = []
    for _ in range(reads):
        cylinder_id = pick.choice(ids)
        start = time.perf_counter()
        lines = lookup.history(cylinder_id)
        took.append((time.perf_counter() - start) * 1e6)
        assert len(lines) == EVENTS_PER_CYLINDER
        db.session.rollback()  # a request's session ends: nothing kept in the identity map
    return took


def _history_database(url: str, keys_dir: str, events: int, *, migrated: bool):
    """An app over a database whose cylinder_events table holds ``events`` rows; the bench cylinders' ids."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from certreg import create_app
    from certreg.actors import Actor
    from certreg.cylinders.models import Cylinder
    from certreg.extensions import db
    from certreg.registry import services as registry

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SIGNING_KEYS_DIR": keys_dir})
    with app.app_context():
        if not migrated:
            upgrade(directory=str(ROOT / "migrations"))
        owner = registry.create_company(Actor.system("bench"), registry.CompanyData(
            country_code="KG", legal_name="Holder", name_latin="Holder", registration_number="BENCH-2", address="Osh",
            activities=["dealer"]))
        db.session.commit()
        _grow(events, 0, owner.id)
        if url.startswith("postgresql"):
            db.session.execute(sa.text("ANALYZE cylinder_events"))
            db.session.commit()
        ids = db.session.scalars(sa.select(Cylinder.id).where(Cylinder.serial.like("KG-B-%"))).all()
        db.session.remove()
    return app, ids


def history_part(args, database_url: str, keys_dir: str, *, migrated: bool) -> dict:
    """Two databases, ``--small`` and ``--large`` events, read in interleaved rounds (this machine's speed
    drifts: a slow patch slows both alike); the figure is the median of the rounds' ratios."""
    started = time.perf_counter()
    small_url = database_url
    if database_url.startswith("postgresql"):
        from sqlalchemy.engine import make_url

        base = make_url(database_url)
        large_url = base.set(database=f"{base.database}_large").render_as_string(hide_password=False)
    else:
        large_url = database_url.replace(".sqlite3", "-large.sqlite3")
    fresh_database(large_url)
    small_app, small_ids = _history_database(small_url, keys_dir, args.small, migrated=migrated)
    large_app, large_ids = _history_database(large_url, keys_dir, args.large, migrated=False)
    filled = time.perf_counter() - started
    pick = random.Random(7)
    per_round = max(1, args.reads // args.history_rounds)
    smalls, larges, ratios = [], [], []
    for app, ids in ((small_app, small_ids), (large_app, large_ids)):  # warm connections and statement caches
        with app.app_context():
            _time_reads(ids, 50, pick)
    for _ in range(args.history_rounds):
        with small_app.app_context():
            small = statistics.median(_time_reads(small_ids, per_round, pick))
        with large_app.app_context():
            large = statistics.median(_time_reads(large_ids, per_round, pick))
        smalls.append(small)
        larges.append(large)
        ratios.append(large / small)
    for app in (small_app, large_app):
        with app.app_context():
            from certreg.extensions import db

            db.engine.dispose()
    if database_url.startswith("postgresql"):
        fresh_database(large_url)  # drop and recreate empty: the 1M rows are not kept
    ratio = statistics.median(ratios)
    print(f"custody history read, {args.history_rounds} interleaved rounds of {per_round} reads: "
          f"median {statistics.median(smalls):.0f} us at {args.small:,} events, "
          f"{statistics.median(larges):.0f} us at {args.large:,} events: ratio {ratio:.2f} "
          f"({min(ratios):.2f}-{max(ratios):.2f}; tables filled in {filled:.0f} s)")
    if not args.smoke:
        print(f"goal history: ratio <= {HISTORY_GOAL}: {'met' if ratio <= HISTORY_GOAL else 'NOT met'}")
    return {"small_us": statistics.median(smalls), "large_us": statistics.median(larges), "ratio": ratio}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration per case and round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (the median is the figure)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for every app")
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (open at once)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--cylinders", type=int, default=1000, help="distinct labels in the scan case")
    parser.add_argument("--small", type=int, default=10_000, help="cylinder events at the first history read")
    parser.add_argument("--large", type=int, default=1_000_000, help="cylinder events at the second history read")
    parser.add_argument("--reads", type=int, default=2000, help="history reads timed at each size")
    parser.add_argument("--history-rounds", type=int, default=10, help="interleaved rounds of history reads")
    parser.add_argument("--only", choices=["scan", "history"], help="run one part only")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for bench/smoke.py; never installs wrk")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.seconds, args.cylinders = 1, 1.0, min(args.cylinders, 5)
        args.small, args.large, args.reads, args.history_rounds = 200, 2000, 100, 2

    results = {}
    with tempfile.TemporaryDirectory(prefix="certreg-bench-cyl-") as tmp:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        keys_dir = f"{tmp}/keys"
        fresh_database(database_url)
        if args.only in (None, "scan"):
            results["scan"] = scan_part(args, database_url, keys_dir, tmp)
        if args.only in (None, "history"):  # the same database, grown with cylinders of its own
            results["history"] = history_part(args, database_url, keys_dir, migrated=args.only is None)
    return results


if __name__ == "__main__":
    main()
