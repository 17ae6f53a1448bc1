#!/usr/bin/env python3
"""The border check ``GET /api/v1/shipments/<id>/check`` under load from outside (``wrk``), beside a bare Flask hello.

As bench/verify.py (bench/wrk.py: gunicorn with ``--workers`` sync workers, a Lua script walking the
paths, interleaved rounds, the median ratio to the hello of the same round). Each request is a customs
officer's border check of one shipment: the API token, the shipment, the HS code rule, the licence in the
register, the would-be import entry through the logbook's ``prepare_entry`` + ``check_entry`` (licence
holder, status, dates, substance, partner, remaining cap; the quota rule lives there too), and the
exporting country's iPIC answer. Nothing is written. Two cases:

* ``different_shipment``: each request another of ``--shipments`` shipments;
* ``same_shipment``: one shipment checked again and again.

And where its floor is (bench/_apps.py), each a different shipment on every request:

* ``certreg_hello``: the whole certreg app answering the hello's JSON (its request cycle alone);
* ``token_read``: that, after reading the API token's user (every API request does);
* ``facts_read``: that, after reading the check's facts (one statement, :mod:`certreg.shipments.facts`);
* ``reads``: both reads, as a check makes them, with no rule judged and no JSON of the verdict. The check
  cannot beat this ratio while it reads live.

The officer's bearer token is added to every request by a WSGI wrapper (:func:`app`), so the Lua script
stays the shared one. Goal (issue 13): >= 0.4x the hello's requests/s.

    python bench/border.py                     # SQLite file database; installs wrk if missing
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/certreg_bench python bench/border.py
    python bench/border.py --smoke             # bench/smoke.py: 1 round of 1 s (a dry run without wrk)
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

GOAL = 0.4


def app():
    """certreg with the officer's ``Authorization`` header on every request (gunicorn: ``bench.border:app()``)."""
    from certreg import create_app

    flask_app = create_app()
    header = os.environ["BENCH_AUTHORIZATION"]
    inner = flask_app.wsgi_app

    def with_token(environ, start_response):
        environ["HTTP_AUTHORIZATION"] = header
        return inner(environ, start_response)

    flask_app.wsgi_app = with_token
    return flask_app


def prepare(database_url: str, keys_dir: str, count: int) -> tuple[str, list[int]]:
    """Migrate a fresh database; a KZ importer with a licence, China's iPIC "yes", ``count`` shipments and a
    KZ inspector's API token. Returns ``(token, shipment ids)``."""
    from datetime import date, timedelta

    from flask_migrate import upgrade

    from certreg import create_app
    from certreg.actors import Actor
    from certreg.auth import services as auth
    from certreg.extensions import db
    from certreg.keys import services as keys
    from certreg.licences import services as licences
    from certreg.registry import services as registry
    from certreg.shipments import expected, ipic
    from certreg.vocabulary import Role

    flask_app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SIGNING_KEYS_DIR": keys_dir})
    with flask_app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        system = Actor.system("bench")
        keys.ensure(system, ["KZ", "CN"])
        today = date.today()
        company = registry.create_company(system, registry.CompanyData(
            country_code="KZ", legal_name="ТОО «Бенч Импорт»", name_latin="Bench Import LLP",
            registration_number="BENCH-IMP-1", address="Almaty", activities=["importer", "dealer"]))
        licences.issue(system, "KZ", licences.LicenceData(
            number="KZ-BENCH-1", company_registration=company.registration_number, direction="import",
            scope=["HCFC-22"], cap_kg="100000", valid_from=today - timedelta(days=30),
            valid_until=today + timedelta(days=300), issuing_authority="Ministry", partner_countries=["CN"]))
        ipic.ask(system, "CN", "KZ", company.registration_number, "HCFC-22", "50000")
        ids = [expected.record(system, "KZ", expected.ShipmentData(
            declaration_number=f"DT-BENCH-{n}", importer_registration=company.registration_number,
            goods="substance", hs_code="2903.71", substance="HCFC-22", kg="40", import_licence="KZ-BENCH-1",
            exporter_name="Exporter", exporting_country="CN", origin_country="CN", transport_mode="road",
            border_post="Khorgos", expected_on=today)).id for n in range(count)]
        user = auth.create_user(system, auth.UserData(email="inspector@bench.example.org",
                                                      display_name="Bench inspector", role=Role.INSPECTOR.value,
                                                      country_code="KZ"), "Bench-inspector-password-2026!")
        token = auth.create_api_token(Actor.of(user), user, "bench")[1]
        db.session.commit()
        db.engine.dispose()
    return token, ids


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration per case and round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (the median is the figure)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for every app")
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (open at once)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--shipments", type=int, default=200, help="distinct shipments in the different case")
    parser.add_argument("--smoke", action="store_true",
                        help="1 round of 1 s for bench/smoke.py; never installs wrk (a dry run without it)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.seconds = 1, 1.0

    with tempfile.TemporaryDirectory(prefix="certreg-bench-") as tmp:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        fresh_database(database_url)
        keys_dir = f"{tmp}/keys"
        token, ids = prepare(database_url, keys_dir, args.shipments)
        env = {**os.environ, "DATABASE_URL": database_url, "SIGNING_KEYS_DIR": keys_dir,
               "CERTREG_INSTANCE_PATH": tmp, "SECRET_KEY": "b" * 64, "CERTREG_CONFIG": "development",
               "BENCH_AUTHORIZATION": f"Bearer {token}", "PYTHONPATH": str(ROOT)}

        def passed(body: str) -> bool:
            return '"passed":true' in body.replace(" ", "")

        cases = [
            wrk.Case("hello", "bench._apps:hello()", ["/"]),
            wrk.Case("different_shipment", "bench.border:app()", [f"/api/v1/shipments/{i}/check" for i in ids],
                     {}, passed),
            wrk.Case("same_shipment", "bench.border:app()", [f"/api/v1/shipments/{ids[0]}/check"], {}, passed),
            # the floor: certreg's request cycle, then what a check reads, alone (bench/_apps.py)
            wrk.Case("certreg_hello", "bench._apps:certreg_hello()", ["/bench-hello/x"]),
            wrk.Case("token_read", "bench._apps:certreg_reads()", ["/bench-token/x"]),
            wrk.Case("facts_read", "bench._apps:certreg_reads()", [f"/bench-facts/{i}" for i in ids]),
            wrk.Case("reads", "bench._apps:certreg_reads()", [f"/bench-reads/{i}" for i in ids]),
        ]
        if args.smoke and wrk.ensure_wrk(install=False) is None:
            wrk.smoke(cases, env, workers=args.workers, worker_class=args.worker_class)
            return {}
        database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
        summary = wrk.compare(cases, env, rounds=args.rounds, seconds=args.seconds, workers=args.workers,
                              worker_class=args.worker_class, connections=args.connections, threads=args.threads,
                              header=f"database={database} shipments={len(ids)}", warm_up=not args.smoke)
    if args.smoke:
        return summary
    for name in ("different_shipment", "same_shipment"):
        met = summary[name]["ratio"] >= GOAL
        print(f"goal {name}: ratio >= {GOAL}: {'met' if met else 'NOT met'}")
    return summary


if __name__ == "__main__":
    main()
