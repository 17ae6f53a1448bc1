#!/usr/bin/env python3
"""Where one border check, licence check or cylinder label scan spends its time, in-process.

As bench/profile_verify.py for ``/v/``: prepares a database with the page's own bench script
(bench/border.py, bench/licences.py, bench/cylinders.py), builds the app as gunicorn does, then calls
the WSGI app directly: a different item on every call (``--cold``: page and signature caches off) or
the same item again. Prints CPU µs per request (best of ``--batches`` batches) for the page and for the
bare Flask JSON hello; ``--profile`` adds a cProfile listing, ``--pyinstrument`` a call tree.

    python bench/profile_scan.py --page border --cold
    python bench/profile_scan.py --page licence --cold --pyinstrument
    python bench/profile_scan.py --page cylinder --cold --profile --sort cumulative
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import border, cylinders, licences  # noqa: E402
from bench.profile_verify import _call, per_request, statements, write_behind  # noqa: E402
from bench.verify import fresh_database  # noqa: E402


def _paths(page: str, database_url: str, keys_dir: str, count: int) -> tuple[list[str], dict, bytes]:
    """The page's paths, extra app settings, and a marker its good answer holds."""
    if page == "border":
        token, ids = border.prepare(database_url, keys_dir, count)
        os.environ["BENCH_AUTHORIZATION"] = f"Bearer {token}"
        return [f"/api/v1/shipments/{i}/check" for i in ids], {}, b'"passed":true'
    if page == "licence":
        return [f"/l/{t}" for t in licences.prepare(database_url, keys_dir, count)], {}, b'data-verdict="VALID"'
    return [f"/c/{t}" for t in cylinders.prepare(database_url, keys_dir, count)], {}, b'data-verdict="genuine"'


def build(page: str, database_url: str, keys_dir: str, cold: bool):
    from certreg import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SIGNING_KEYS_DIR": keys_dir,
                      "SECRET_KEY": "b" * 64, "VERIFY_RATE_LIMIT": 10**9,
                      **({"VERIFY_PAGE_CACHE_SIZE": 0} if cold else {})})
    if page == "border":
        header, inner = os.environ["BENCH_AUTHORIZATION"], app.wsgi_app

        def with_token(environ, start_response):
            environ["HTTP_AUTHORIZATION"] = header
            return inner(environ, start_response)

        app.wsgi_app = with_token
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--page", choices=["border", "licence", "cylinder"], required=True)
    parser.add_argument("--cold", action="store_true", help="a different item every request, caches off")
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=10)
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
        paths, _, marker = _paths(args.page, database_url, keys_dir, args.items if args.cold else 1)
        from bench import _apps

        app, hello = build(args.page, database_url, keys_dir, args.cold), _apps.hello()
        assert marker in _call(app, paths[0]).replace(b" ", b""), _call(app, paths[0])[:500]
        per_request(app, paths, min(len(paths), 200))  # every item's first-time costs
        per_request(hello, ["/"], 200)
        hello_us = per_request(hello, ["/"], args.requests, batches=args.batches)
        if args.statements:
            print("\n".join(statements(app, paths[-1])))
        if args.profile:
            import cProfile  # only when asked: the listing
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            page_us = per_request(app, paths, args.requests)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.limit)
        elif args.pyinstrument:
            from pyinstrument import Profiler  # only when asked: an optional tool

            profiler = Profiler(interval=0.0001)
            profiler.start()
            page_us = per_request(app, paths, args.requests)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=args.show_all))
        else:
            page_us = per_request(app, paths, args.requests, batches=args.batches)
        print(f"page={args.page} case={'every item different' if args.cold else 'same item'} "
              f"page={page_us:.0f}us hello={hello_us:.0f}us ratio={hello_us / page_us:.2f}")
        write_behind(app)


if __name__ == "__main__":
    main()
