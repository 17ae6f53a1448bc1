#!/usr/bin/env python3
"""Requests/s of the public verification page ``/v/<token>`` as a ratio to a bare Flask JSON hello.

Both apps are served the same way in the same run: gunicorn on 127.0.0.1, the same number of
workers and the same worker class, loaded by the same generator (bench/load.py). Every verify
request counts against the client's rate limit, is recorded as a scan (both written behind the
request, see certreg/certificates/scanlog.py) and reads the certificate's live status. Two cases:

* ``same card``: one certificate scanned again and again (the signature check and the rendered
  page are reused, as at a counter or a border post);
* ``every card different``: requests cycle through ``--certificates`` certificates with the
  caches off (``VERIFY_PAGE_CACHE_SIZE=0``): every request verifies ES256 and renders the page.

    python bench/verify.py                      # SQLite file database
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/certreg_bench python bench/verify.py
    python bench/verify.py --seconds 1 --smoke  # what bench/smoke.py runs

The three servers run side by side and the load alternates between them for ``--rounds``
rounds (the machine is shared and noisy: a slow patch then slows every case alike). Prints
each round's rates and ``ratio=<verify/hello>``, the median of the rounds' ratios, with their
range; the goal is >= 0.6.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import requests_per_second  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(database_url: str, keys_dir: str, count: int = 1) -> list[str]:
    """Migrate a fresh database, create keys and ``count`` certificates; return their tokens."""
    from datetime import date

    from flask_migrate import upgrade

    from certreg import create_app
    from certreg.actors import Actor
    from certreg.certificates import lifecycle
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
            cert = lifecycle.issue(system, lifecycle.IssueData(
                holder_kind="technician", holder_id=technician.id, categories=["A1", "B"], valid_from=today,
                valid_until=today.replace(year=today.year + 5)))
            tokens.append(cert.token)
        db.session.commit()
        db.engine.dispose()
    return tokens


def serve(app_spec: str, port: int, workers: int, worker_class: str, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", worker_class, "--log-level", "warning", app_spec],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/__ping", timeout=1)
        except urllib.error.HTTPError:
            return proc  # answering (404 is fine)
        except OSError:
            time.sleep(0.2)
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {proc.stderr.read().decode()[-2000:]}") from None
            continue
        return proc
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="load duration per app and round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (the median ratio is the figure)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--clients", type=int, default=4, help="client threads per load process (2 processes)")
    parser.add_argument("--certificates", type=int, default=500, help="distinct cards in the cold case")
    parser.add_argument("--smoke", action="store_true", help="tiny run for bench/smoke.py; no goal check")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds = 1

    with tempfile.TemporaryDirectory(prefix="certreg-bench-") as tmp:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        if database_url.startswith("postgresql"):
            import sqlalchemy as sa
            from sqlalchemy.engine import make_url

            url = make_url(database_url)
            admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
            admin.dispose()
        keys_dir = f"{tmp}/keys"
        tokens = prepare(database_url, keys_dir, args.certificates)
        env = {**os.environ, "DATABASE_URL": database_url, "SIGNING_KEYS_DIR": keys_dir,
               "CERTREG_INSTANCE_PATH": tmp, "SECRET_KEY": "b" * 64, "CERTREG_CONFIG": "development",
               "VERIFY_RATE_LIMIT": str(10**9), "PYTHONPATH": str(ROOT)}
        cases = (
            ("hello", "bench._apps:hello()", ["/"], {}),
            ("verify_same_card", "bench._apps:certreg()", [f"/v/{tokens[0]}"], {}),
            ("verify_every_card_different", "bench._apps:certreg()", [f"/v/{t}" for t in tokens],
             {"VERIFY_PAGE_CACHE_SIZE": "0"}),
        )
        # All three servers run at once (idle while another is loaded); the rounds interleave them,
        # so that a slow patch of this shared machine hits every case alike.
        servers, urls = [], {}
        try:
            for name, spec, paths, extra in cases:
                port = free_port()
                servers.append(serve(spec, port, args.workers, args.worker_class, {**env, **extra}))
                urls[name] = [f"http://127.0.0.1:{port}{path}" for path in paths]
                with urllib.request.urlopen(urls[name][0]) as response:  # warm-up and sanity check
                    body = response.read().decode()
                    assert name == "hello" or 'data-verdict="VALID"' in body, body[:500]
                requests_per_second(urls[name], seconds=min(1.0, args.seconds / 4), processes=1, threads=2)
            rounds: list[dict[str, float]] = []
            for _ in range(args.rounds):
                rounds.append({name: requests_per_second(urls[name], seconds=args.seconds, processes=2,
                                                         threads=args.clients) for name, *_ in cases})
        finally:
            for proc in servers:
                stop(proc)
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    warm = sorted(r["verify_same_card"] / r["hello"] for r in rounds)
    cold = sorted(r["verify_every_card_different"] / r["hello"] for r in rounds)
    print(f"database={database} workers={args.workers} worker_class={args.worker_class} "
          f"rounds={args.rounds} seconds={args.seconds}")
    for name, *_ in cases:
        print(f"{name}_rps=" + " ".join(f"{r[name]:.0f}" for r in rounds))
    print(f"ratio={statistics.median(warm):.2f} (median of {len(warm)} rounds, {warm[0]:.2f}-{warm[-1]:.2f}; "
          "same card scanned again; goal >= 0.6)")
    print(f"ratio_every_card_different={statistics.median(cold):.2f} ({cold[0]:.2f}-{cold[-1]:.2f}; "
          f"{len(tokens)} cards, caches off)")
    return statistics.median(warm)


if __name__ == "__main__":
    main()
