#!/usr/bin/env python3
"""The public licence check ``/l/<token>`` under load from outside (``wrk``), beside a bare Flask JSON hello.

Served and measured as bench/verify.py does (gunicorn on 127.0.0.1, interleaved rounds, the median
ratio to the hello of the same round; see bench/wrk.py). Every request counts against the client's
rate limit (written behind, as for certificate checks), verifies the licence token's ES256 signature
against the trust list, reads the licence from the register and renders the page. Two cases:

* ``different_licence``: each request a different one of ``--licences`` licences, the page and signature
  caches off (``VERIFY_PAGE_CACHE_SIZE=0``): every request verifies ES256 and renders the page;
* ``same_licence``: one licence checked again and again (signature and page reused, the status read live).

And where its floor is (bench/_apps.py): ``certreg_hello`` (certreg's request cycle alone) and
``register_read`` (that, after reading a different licence's register row on every request, as ``/l/`` does):
no check that reads the register live can beat ``register_read``'s ratio.

Goals (as for the certificate check): different licence >= 0.4x the hello's requests/s, same licence
>= 0.7x, p99 <= 3x.

    python bench/licences.py                   # SQLite file database; installs wrk if missing
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/certreg_bench python bench/licences.py
    python bench/licences.py --smoke           # bench/smoke.py: 1 round of 1 s (a dry run without wrk)
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
from bench.verify import fresh_database  # noqa: E402

GOALS = {"different_licence": 0.4, "same_licence": 0.7}
P99_GOAL = 3.0


def prepare(database_url: str, keys_dir: str, count: int = 1) -> list[str]:
    """Migrate a fresh database, create KZ's key, ``count`` importers with a licence each; return the tokens."""
    from datetime import date, timedelta

    from flask_migrate import upgrade

    from certreg import create_app
    from certreg.actors import Actor
    from certreg.extensions import db
    from certreg.keys import services as keys
    from certreg.licences import documents
    from certreg.licences import services as licences
    from certreg.registry import services as registry

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SIGNING_KEYS_DIR": keys_dir})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        system = Actor.system("bench")
        keys.ensure(system, ["KZ"])
        today = date.today()
        tokens = []
        for n in range(count):
            company = registry.create_company(system, registry.CompanyData(
                country_code="KZ", legal_name=f"ТОО «Холод Импорт {n}»", name_latin=f"Kholod Import {n} LLP",
                registration_number=f"1205400{n:05d}", address="Almaty", activities=["importer"]))
            licence = licences.issue(system, "KZ", licences.LicenceData(
                number=f"KZ-IMP-2026-{n:04d}", company_registration=company.registration_number,
                direction="import", scope=["HCFC-22", "R-404A"], cap_kg="1500", valid_from=today,
                valid_until=today + timedelta(days=365), issuing_authority="Ministry of Ecology",
                partner_countries=["CN"], hs_codes=["2903.71"]))
            tokens.append(documents.token_for(system, licence))
        db.session.commit()
        db.engine.dispose()
    return tokens


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration per case and round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (the median is the figure)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for every app")
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (open at once)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--licences", type=int, default=300, help="distinct licences in the different-licence case")
    parser.add_argument("--smoke", action="store_true",
                        help="1 round of 1 s for bench/smoke.py; never installs wrk (a dry run without it)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.seconds = 1, 1.0

    with tempfile.TemporaryDirectory(prefix="certreg-bench-") as tmp:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        fresh_database(database_url)
        keys_dir = f"{tmp}/keys"
        tokens = prepare(database_url, keys_dir, args.licences)
        env = {**os.environ, "DATABASE_URL": database_url, "SIGNING_KEYS_DIR": keys_dir,
               "CERTREG_INSTANCE_PATH": tmp, "SECRET_KEY": "b" * 64, "CERTREG_CONFIG": "development",
               "VERIFY_RATE_LIMIT": str(10**9), "PYTHONPATH": str(ROOT)}

        def valid(body: str) -> bool:
            return 'data-verdict="VALID"' in body

        cases = [
            wrk.Case("hello", "bench._apps:hello()", ["/"]),
            wrk.Case("different_licence", "bench._apps:certreg()", [f"/l/{t}" for t in tokens],
                     {"VERIFY_PAGE_CACHE_SIZE": "0"}, valid),
            wrk.Case("same_licence", "bench._apps:certreg()", [f"/l/{tokens[0]}"], {}, valid),
            wrk.same_bytes_case(env, f"/l/{tokens[0]}", tmp),
            wrk.Case("certreg_hello", "bench._apps:certreg_hello()", ["/bench-hello/x"]),
            wrk.Case("register_read", "bench._apps:certreg_reads()",
                     [f"/bench-register/KZ-IMP-2026-{n:04d}" for n in range(len(tokens))]),
        ]
        if args.smoke and wrk.ensure_wrk(install=False) is None:
            wrk.smoke(cases, env, workers=args.workers, worker_class=args.worker_class)
            return {}
        database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
        summary = wrk.compare(cases, env, rounds=args.rounds, seconds=args.seconds, workers=args.workers,
                              worker_class=args.worker_class, connections=args.connections, threads=args.threads,
                              header=f"database={database} licences={len(tokens)}", warm_up=not args.smoke)
    if args.smoke:
        return summary
    for name, goal in GOALS.items():
        figures = summary[name]
        met = figures["ratio"] >= goal and figures["p99_ratio"] <= P99_GOAL
        print(f"goal {name}: ratio >= {goal} and p99 <= {P99_GOAL:g}x hello's: {'met' if met else 'NOT met'}")
    return summary


if __name__ == "__main__":
    main()
