#!/usr/bin/env python3
"""Requests/s of the public verification page ``/v/<token>`` as a ratio to a bare Flask JSON hello.

Both apps are served the same way in the same run: gunicorn on 127.0.0.1, the same number of
workers and the same worker class, loaded by the same generator (bench/load.py). The verify page
does the real work of every scan: the rate-limit upsert, the signature check against the trust
list, the live status query, the scan record, one commit and the page render.

    python bench/verify.py                      # SQLite file database
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/certreg_bench python bench/verify.py
    python bench/verify.py --seconds 2 --smoke  # what bench/smoke.py runs

Prints both rates and ``ratio=<verify/hello>``; the goal is >= 0.6.
"""

from __future__ import annotations

import argparse
import os
import socket
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


def prepare(database_url: str, keys_dir: str) -> str:
    """Migrate a fresh database, create keys and one certificate; return its token."""
    from datetime import date

    from certreg import create_app
    from certreg.actors import Actor
    from certreg.certificates import services as certificates
    from certreg.extensions import db
    from certreg.keys import services as keys
    from certreg.registry import services as registry
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SIGNING_KEYS_DIR": keys_dir})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        system = Actor.system("bench")
        keys.ensure(system, ["KG"])
        technician = registry.create_technician(system, registry.TechnicianData(
            country_code="KG", full_name="Асанов Нурлан", full_name_latin="Asanov Nurlan", national_id="B-1",
            date_of_birth=date(1990, 1, 1)))
        today = date.today()
        cert = certificates.issue(system, certificates.IssueData(
            holder_kind="technician", holder_id=technician.id, categories=["A1", "B"], valid_from=today,
            valid_until=today.replace(year=today.year + 5)))
        db.session.commit()
        token = cert.token
        db.engine.dispose()
    return token


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
                raise RuntimeError(f"gunicorn exited: {proc.stderr.read().decode()[-2000:]}")
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
    parser.add_argument("--seconds", type=float, default=10.0, help="load duration per app")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--clients", type=int, default=4, help="client threads per load process (2 processes)")
    parser.add_argument("--smoke", action="store_true", help="tiny run for bench/smoke.py; no goal check")
    args = parser.parse_args(argv)

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
        token = prepare(database_url, keys_dir)
        env = {**os.environ, "DATABASE_URL": database_url, "SIGNING_KEYS_DIR": keys_dir,
               "CERTREG_INSTANCE_PATH": tmp, "SECRET_KEY": "b" * 64, "CERTREG_CONFIG": "development",
               "VERIFY_RATE_LIMIT": str(10**9), "PYTHONPATH": str(ROOT)}
        results = {}
        for name, spec, path in (("hello", "bench._apps:hello()", "/"),
                                 ("verify", "bench._apps:certreg()", f"/v/{token}")):
            port = free_port()
            proc = serve(spec, port, args.workers, args.worker_class, env)
            try:
                url = f"http://127.0.0.1:{port}{path}"
                with urllib.request.urlopen(url) as response:  # warm-up and sanity check
                    body = response.read().decode()
                    assert name == "hello" or 'data-verdict="VALID"' in body, body[:500]
                requests_per_second(url, seconds=min(1.0, args.seconds / 4), processes=1, threads=2)
                results[name] = requests_per_second(url, seconds=args.seconds, processes=2, threads=args.clients)
            finally:
                stop(proc)
    ratio = results["verify"] / results["hello"]
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    print(f"database={database} workers={args.workers} worker_class={args.worker_class} seconds={args.seconds}")
    print(f"hello_rps={results['hello']:.0f} verify_rps={results['verify']:.0f}")
    print(f"ratio={ratio:.2f} (goal >= 0.6)")
    return ratio


if __name__ == "__main__":
    main()
