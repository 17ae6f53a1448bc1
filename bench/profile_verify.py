#!/usr/bin/env python3
"""Where one public scan ``/v/<token>`` spends its time, in-process (no HTTP server, no load generator).

Prepares a database like bench/verify.py, builds the app as gunicorn does (development
configuration, scans written behind), then calls the WSGI app directly: a different card on
every call (``--cold``: page and signature caches off) or the same card again. Prints µs per
request for the verify page and for the bare Flask JSON hello, and with ``--profile`` a
cProfile listing (``--sort tottime|cumulative``) or, with ``--pyinstrument``, a call tree.

    python bench/profile_verify.py --cold --profile
    python bench/profile_verify.py --cold --pyinstrument
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/certreg_bench python bench/profile_verify.py
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.verify import fresh_database, prepare  # noqa: E402


def _environ(path: str) -> dict:
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000", "HTTP_ACCEPT_LANGUAGE": "ru,en;q=0.8",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }


def _call(app, path: str) -> bytes:
    status = []
    body = b"".join(app(_environ(path), lambda s, h, exc_info=None: status.append(s)))
    if not status[0].startswith("200"):
        raise RuntimeError(f"{path}: {status[0]}")
    return body


def statements(app, path: str) -> list[str]:
    """The SQL statements one request to ``path`` sends (each a round trip on PostgreSQL)."""
    import sqlalchemy as sa  # only when asked

    from certreg.extensions import db

    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(" ".join(statement.split())[:160])

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        _call(app, path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return sent


def per_request(app, paths: list[str], n: int, batches: int = 1) -> float:
    """CPU µs per request, the best of ``batches`` batches of ``n // batches`` requests (process time and
    the best batch: the least disturbed by the other work on this shared machine)."""
    size, best, turn = max(1, n // batches), float("inf"), 0
    for _ in range(batches):
        start = time.thread_time()
        for _ in range(size):
            _call(app, paths[turn % len(paths)])
            turn += 1
        best = min(best, (time.thread_time() - start) / size)
    return best * 1e6


def write_behind(app) -> None:
    """Write the scans still buffered while the database still exists (a worker writes them when it stops;
    here the temporary database would be gone by then)."""
    with app.app_context():
        for key, log in list(app.extensions.items()):
            if key.startswith("certreg_scanlog"):
                log.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", action="store_true", help="a different card every request, caches off")
    parser.add_argument("--certificates", type=int, default=200)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true", help="cProfile listing")
    parser.add_argument("--pyinstrument", action="store_true", help="pyinstrument call tree")
    parser.add_argument("--show-all", action="store_true", help="pyinstrument: show library frames too")
    parser.add_argument("--statements", action="store_true", help="print the SQL one request sends")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="certreg-profile-") as tmp:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        fresh_database(database_url)
        keys_dir = f"{tmp}/keys"
        tokens = prepare(database_url, keys_dir, args.certificates if args.cold else 1)
        # The configuration classes read the environment when imported (prepare() did): pass the settings.
        from bench import _apps
        from certreg import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SIGNING_KEYS_DIR": keys_dir,
                          "SECRET_KEY": "b" * 64, "VERIFY_RATE_LIMIT": 10**9,
                          **({"VERIFY_PAGE_CACHE_SIZE": 0} if args.cold else {})})
        hello = _apps.hello()
        paths = [f"/v/{t}" for t in tokens]
        assert b'data-verdict="VALID"' in _call(app, paths[0])
        per_request(app, paths, min(len(paths), 200))  # warm every card's first-time costs (cold: none cached)
        per_request(hello, ["/"], 200)
        hello_us = per_request(hello, ["/"], args.requests, batches=10)
        if args.statements:
            print("\n".join(statements(app, paths[-1])))
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            verify_us = per_request(app, paths, args.requests)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.limit)
        elif args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0001)
            profiler.start()
            verify_us = per_request(app, paths, args.requests)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=args.show_all))
        else:
            verify_us = per_request(app, paths, args.requests, batches=10)
        print(f"case={'every card different' if args.cold else 'same card'} verify={verify_us:.0f}us "
              f"hello={hello_us:.0f}us ratio={hello_us / verify_us:.2f}")
        write_behind(app)


if __name__ == "__main__":
    main()
