#!/usr/bin/env python3
"""The public scan ``/v/<token>`` under load from outside (``wrk``), beside a bare Flask JSON hello.

The app and the hello are served the same way (gunicorn on 127.0.0.1, ``--workers`` sync
workers), side by side, and loaded in turn by ``wrk`` in ``--rounds`` interleaved rounds
(bench/wrk.py: a Lua script walks the list of paths, so every request can be a different card).
Every verify request counts against the client's rate limit, is recorded as a scan (both written
behind the request, see certreg/certificates/scanlog.py), checks the signature (ES256) and reads
the certificate's live status. Two cases:

* ``different_card``: each request a different one of ``--certificates`` cards, the page and
  signature caches off (``VERIFY_PAGE_CACHE_SIZE=0``), as on a market day when each card is
  scanned once: every request verifies ES256 and renders the page;
* ``same_card``: one card scanned again and again (the signature check and the rendered page
  are reused, as at a counter or a border post; the status is still read live).

Two reference cases show where the floor is (bench/_apps.py), beside the hello:

* ``same_bytes``: a bare Flask app sending the same-card page's own bytes (what the page's size costs);
* ``certreg_hello``: the whole certreg app (extensions, hooks, session, security headers) answering the
  hello's JSON from one more route: what certreg's request cycle costs before a scan does anything;
* ``status_read``: that, after reading a card's live status (a different card on every request, the same
  statement on the same connections as ``/v/``): no scan that reads the status live can beat it.

Prints, per case, the requests/s of every round, the p50/p99 latency (median of rounds), the
ratio to the hello of the same round (median of rounds, with the range) and the p99 as a
multiple of the hello's. Goals: different card >= 0.4x, same card >= 0.7x, p99 <= 3x.

    python bench/verify.py                     # SQLite file database; installs wrk if missing
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/certreg_bench python bench/verify.py
    python bench/verify.py --smoke             # bench/smoke.py: 1 round of 1 s (a dry run without wrk)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402

GOALS = {"different_card": 0.4, "same_card": 0.7}
P99_GOAL = 3.0


def fresh_database(database_url: str) -> None:
    """Drop and create the PostgreSQL database of ``database_url`` (nothing to do for SQLite)."""
    if not database_url.startswith("postgresql"):
        return
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def prepare(database_url: str, keys_dir: str, count: int = 1) -> list[str]:
    """Migrate a fresh database, create keys and ``count`` certificates; return their tokens."""
    from datetime import date

    from flask_migrate import upgrade

    from certreg import create_app
    from certreg.actors import Actor
    from certreg.certificates import lifecycle as certificates
    from certreg.extensions import db
    from certreg.keys import services as keys
    from certreg.registry import services as registry

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SIGNING_KEYS_DIR": keys_dir})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        system = Actor.system("bench")
        keys.ensure(system, ["KG"])
        today = date.today()
        tokens = []
        for n in range(count):
            technician = registry.create_technician(system, registry.TechnicianData(
                country_code="KG", full_name=f"Асанов Нурлан {n}", full_name_latin=f"Asanov Nurlan {n}",
                national_id=f"B-{n}", date_of_birth=date(1990, 1, 1)))
            cert = certificates.issue(system, certificates.IssueData(
                holder_kind="technician", holder_id=technician.id, categories=["A1", "B"], valid_from=today,
                valid_until=today.replace(year=today.year + 5)))
            tokens.append(cert.token)
        db.session.commit()
        db.engine.dispose()
    return tokens


def column(database_url: str, sql: str) -> list:
    """The first column of ``sql``'s rows (e.g. the items :func:`prepare` made, for a floor case's paths)."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        found = list(conn.execute(sa.text(sql)).scalars())
    engine.dispose()
    return found


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration per case and round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (the median is the figure)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for every app")
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (open at once)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--certificates", type=int, default=1000, help="distinct cards in the different-card case")
    parser.add_argument("--compare-with", metavar="DIR",
                        help="also serve another checkout of certreg (e.g. the main branch's, with its .mo files "
                             "compiled) in the same rounds, as cases *_other")
    parser.add_argument("--smoke", action="store_true",
                        help="1 round of 1 s for bench/smoke.py; never installs wrk (a dry run without it)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.seconds = 1, 1.0

    with tempfile.TemporaryDirectory(prefix="certreg-bench-") as tmp:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        fresh_database(database_url)
        keys_dir = f"{tmp}/keys"
        tokens = prepare(database_url, keys_dir, args.certificates)
        env = {**os.environ, "DATABASE_URL": database_url, "SIGNING_KEYS_DIR": keys_dir,
               "CERTREG_INSTANCE_PATH": tmp, "SECRET_KEY": "b" * 64, "CERTREG_CONFIG": "development",
               "VERIFY_RATE_LIMIT": str(10**9), "PYTHONPATH": str(ROOT)}

        def valid(body: str) -> bool:
            return 'data-verdict="VALID"' in body

        cases = [
            wrk.Case("hello", "bench._apps:hello()", ["/"]),
            wrk.Case("different_card", "bench._apps:certreg()", [f"/v/{t}" for t in tokens],
                     {"VERIFY_PAGE_CACHE_SIZE": "0"}, valid),
            wrk.Case("same_card", "bench._apps:certreg()", [f"/v/{tokens[0]}"], {}, valid),
            wrk.same_bytes_case(env, f"/v/{tokens[0]}", tmp),
            wrk.Case("certreg_hello", "bench._apps:certreg_hello()", ["/bench-hello/x"]),
            wrk.Case("status_read", "bench._apps:certreg_reads()", [
                f"/bench-status/{n}" for n in column(database_url, "SELECT number FROM certificates ORDER BY id")]),
        ]
        if args.compare_with:
            cases += [wrk.Case(f"{case.name}_other", case.app_spec, case.paths, case.env, case.check,
                               Path(args.compare_with).resolve()) for case in cases[1:]]
        if args.smoke and wrk.ensure_wrk(install=False) is None:
            wrk.smoke(cases, env, workers=args.workers, worker_class=args.worker_class)
            return {}
        database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
        summary = wrk.compare(cases, env, rounds=args.rounds, seconds=args.seconds, workers=args.workers,
                              worker_class=args.worker_class, connections=args.connections, threads=args.threads,
                              header=f"database={database} cards={len(tokens)}", warm_up=not args.smoke)
    if args.smoke:
        return summary  # too short and too small to judge the goals
    for name, goal in GOALS.items():
        figures = summary[name]
        met = figures["ratio"] >= goal and figures["p99_ratio"] <= P99_GOAL
        print(f"goal {name}: ratio >= {goal} and p99 <= {P99_GOAL:g}x hello's: {'met' if met else 'NOT met'}")
    return summary


if __name__ == "__main__":
    main()
