#!/usr/bin/env python3
"""Run every benchmark with tiny sizes, to prove they still work (``make test`` runs this; < 30 s).

Add a line to BENCHES for each new bench script: its path and the arguments of a tiny run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BENCHES = [
    ("bench/verify.py", ["--seconds", "1", "--certificates", "5", "--smoke"]),
    ("bench/logbook.py", ["--smoke"]),
    ("bench/reports.py", ["--smoke"]),
    ("bench/licences.py", ["--seconds", "1", "--licences", "5", "--smoke"]),
    ("bench/federation.py", ["--smoke"]),
    ("bench/border.py", ["--shipments", "5", "--smoke"]),
    ("bench/cylinders.py", ["--smoke"]),
    ("bench/composite_fk.py", ["--smoke"]),
    ("bench/sqlite_gil.py", ["--rows", "2000"]),
]


def main() -> int:
    failures = 0
    for script, args in BENCHES:
        start = time.monotonic()
        result = subprocess.run([sys.executable, script, *args], cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
        took = time.monotonic() - start
        status = "ok" if result.returncode == 0 else f"FAILED ({result.returncode})"
        print(f"{script}: {status} in {took:.1f}s")
        print("  " + result.stdout.strip().replace("\n", "\n  "))
        if result.returncode != 0:
            print(result.stderr[-3000:], file=sys.stderr)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
