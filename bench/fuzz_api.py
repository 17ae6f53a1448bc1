#!/usr/bin/env python3
"""A larger fuzzing run of the whole API, by hand (``make test`` runs the same test with a few examples).

    python bench/fuzz_api.py                       # 200 examples per operation and role, SQLite
    python bench/fuzz_api.py --examples 1000 -n 2  # more, on two processes
    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/certreg_fuzz python bench/fuzz_api.py

It runs ``tests/test_fuzz_api.py`` (schemathesis against the served OpenAPI document, as an
administrator and as a company user, every write rolled back) with ``FUZZ_EXAMPLES`` set;
any 5xx or answer that does not conform to the document fails, with a curl line to reproduce.
Extra arguments go to pytest (``-k createEntry``, ``-x``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=200, help="generated examples per operation and role")
    parser.add_argument("-n", "--workers", default="0", help="pytest-xdist processes (0: none)")
    args, pytest_args = parser.parse_known_args()
    env = {**os.environ, "FUZZ_EXAMPLES": str(args.examples)}
    command = [sys.executable, "-m", "pytest", "tests/test_fuzz_api.py", "-q", "-p", "no:randomly",
               "-o", "timeout=0", "-n", args.workers, *pytest_args]
    start = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env)
    print(f"fuzz_api: {args.examples} examples per operation and role, {time.monotonic() - start:.0f}s, "
          f"{'ok' if result.returncode == 0 else 'FAILED'}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
