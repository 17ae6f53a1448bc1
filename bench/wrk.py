"""Load from outside with ``wrk``: gunicorn servers, a URL-walking Lua script, interleaved rounds.

Every scan bench works the same way (bench/verify.py is the example):

* the app and a bare Flask JSON hello (:func:`bench._apps.hello`) are served the same way by
  gunicorn (same workers, same worker class), side by side on 127.0.0.1 (:func:`serve`);
* ``wrk`` drives each in turn with a Lua script that walks a list of paths, so every request can
  ask for a different card (each wrk thread starts at its own place in the list) and reports,
  from its ``done`` callback, the requests, the non-2xx answers and the latency percentiles;
* the cases are loaded in interleaved rounds (hello, case 1, case 2, hello, ...) and the figures
  are the median of the rounds' ratios to the hello of the same round, with their range: this
  machine is shared and its speed drifts within a minute, a slow patch slows every case alike.

``wrk`` is the Debian package ``wrk``: :func:`ensure_wrk` installs it with apt-get when missing
(``make bench`` does the same); ``make test`` never does, and the smoke run (bench/smoke.py)
falls back to fetching each case's first page once when wrk is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The Lua script given to wrk. ``setup`` numbers the threads; each thread reads the path list
#: and starts at its own share of it; ``request`` walks the list round; ``done`` prints the
#: figures as one JSON line (latencies in microseconds).
LUA = r"""
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  local threads = tonumber(args[2]) or 1
  i = math.floor(#paths * (id or 0) / threads)
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def ensure_wrk(install: bool = True) -> str | None:
    """The path of ``wrk``; installs the Debian package when missing and ``install`` (root or sudo)."""
    found = shutil.which("wrk")
    if found or not install:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("wrk is missing: installing the Debian package wrk", file=sys.stderr)
    result = subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True)
    if result.returncode != 0:  # the package lists may be missing on a fresh machine
        subprocess.run([*sudo, "apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed and could not be installed: apt-get install wrk")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app_spec: str, port: int, workers: int, worker_class: str, env: dict, cwd: str | Path = ROOT
          ) -> subprocess.Popen:
    """gunicorn serving ``app_spec`` (imported from ``cwd``) on 127.0.0.1:``port``; returns once it answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", worker_class, "--log-level", "warning", "--backlog", "2048", "--chdir", str(cwd),
         app_spec],
        cwd=cwd, env={**env, "PYTHONPATH": str(cwd)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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


@dataclass
class Result:
    """One wrk run: requests/s of 2xx answers, latency percentiles (milliseconds), and the CPU time the
    server's processes spent per request (µs; from /proc, so it does not depend on how much of the
    machine other work took meanwhile)."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    cpu_us: float = 0.0
    database_cpu_us: float = 0.0


def server_cpu_seconds(proc: subprocess.Popen) -> float:
    """User + system CPU time of a gunicorn master and its workers so far (Linux /proc)."""
    pids = [proc.pid]
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        children = []
    pids += [int(c) for c in children]
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> float:
    """User + system CPU time so far of every PostgreSQL process on this machine (its backends and its
    background writers): the database server's share of the same two cores (0 without PostgreSQL)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if head.endswith("(postgres"):
            fields = tail.split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def run_wrk(wrk: str, base_url: str, paths: Sequence[str], *, seconds: float, connections: int, threads: int,
            workdir: str, server: subprocess.Popen | None = None) -> Result:
    """Load ``base_url`` for ``seconds`` walking ``paths``; refuses a run with errors or non-2xx answers."""
    script = Path(workdir) / "walk.lua"
    if not script.exists():
        script.write_text(LUA, encoding="utf-8")
    path_file = Path(tempfile.mkstemp(dir=workdir, suffix=".paths")[1])
    path_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", str(script), base_url, "--", str(path_file), str(threads)]
    cpu_before, database_before = (server_cpu_seconds(server) if server else 0.0), database_cpu_seconds()
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    cpu = server_cpu_seconds(server) - cpu_before if server else 0.0
    database_cpu = database_cpu_seconds() - database_before
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK-RESULT ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout[-1500:]} {out.stderr[-1500:]}")
    data = json.loads(line.removeprefix("WRK-RESULT "))
    # gunicorn's sync workers close every connection after the answer: wrk reconnects, and counts
    # the close of a connection it had already reused as a read error only when an answer is lost.
    errors = data["non2xx"] + data["connect"] + data["read"] + data["write"] + data["timeout"]
    if data["non2xx"] or data["timeout"]:
        raise RuntimeError(f"{base_url}{paths[0]}: {data['non2xx']} non-2xx answers, {data['timeout']} timeouts")
    ok = data["requests"] - errors
    return Result(rps=ok / (data["duration_us"] / 1e6), p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000,
                  requests=data["requests"], errors=errors, cpu_us=cpu / max(data["requests"], 1) * 1e6,
                  database_cpu_us=database_cpu / max(data["requests"], 1) * 1e6)


@dataclass
class Case:
    """One thing to load: a name, the gunicorn app spec, the paths to walk and extra environment."""

    name: str
    app_spec: str
    paths: list[str]
    env: dict[str, str] = field(default_factory=dict)
    check: Callable[[str], bool] | None = None  # on the first page's body
    cwd: str | Path = ROOT  # the checkout to serve (another one to compare two versions in the same run)


def same_bytes_case(env: dict[str, str], path: str, workdir: str | Path) -> Case:
    """The page's ceiling: ``path`` fetched once from certreg (served as the cases are), its bytes saved,
    and a case serving those bytes from a bare Flask app (:func:`bench._apps.same_bytes`). The difference
    from the hello is what sending the page costs; no scan of that page can be faster."""
    page_file = Path(workdir) / "page.html"
    proc = serve("bench._apps:certreg()", port := free_port(), 1, "sync", env)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:
            page_file.write_bytes(response.read())
    finally:
        stop(proc)
    return Case("same_bytes", "bench._apps:same_bytes()", [path], {"BENCH_PAGE_FILE": str(page_file)})


def smoke(cases: Sequence[Case], env: dict[str, str], *, workers: int, worker_class: str) -> None:
    """Without wrk: serve each case and fetch its first page once (what ``make test`` can prove)."""
    for case in cases:
        proc = serve(case.app_spec, port := free_port(), workers, worker_class, {**env, **case.env}, case.cwd)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{case.paths[0]}") as response:
                body = response.read().decode()
            assert case.check is None or case.check(body), body[:500]
        finally:
            stop(proc)
        print(f"{case.name}: served and answered (dry run: wrk is not installed)")


def compare(cases: Sequence[Case], env: dict[str, str], *, rounds: int, seconds: float, workers: int,
            worker_class: str, connections: int, threads: int, header: str, warm_up: bool = True
            ) -> dict[str, dict[str, float]]:
    """Serve every case side by side and load them in interleaved rounds; print and return the summary.

    The first case is the baseline (the hello). For every other case: its requests/s in each
    round, the ratio to the baseline of the same round (median and range), and its p50/p99
    latency (median of rounds) with the p99 as a multiple of the baseline's.
    """
    wrk = ensure_wrk()
    servers: list[subprocess.Popen] = []
    by_name: dict[str, subprocess.Popen] = {}
    bases: dict[str, str] = {}
    results: list[dict[str, Result]] = []
    with tempfile.TemporaryDirectory(prefix="certreg-wrk-") as workdir:
        try:
            for case in cases:
                port = free_port()
                servers.append(serve(case.app_spec, port, workers, worker_class, {**env, **case.env}, case.cwd))
                by_name[case.name] = servers[-1]
                bases[case.name] = f"http://127.0.0.1:{port}"
                with urllib.request.urlopen(bases[case.name] + case.paths[0]) as response:  # sanity check
                    body = response.read().decode()
                assert case.check is None or case.check(body), body[:500]
                if warm_up:  # imports, templates, connections of every worker
                    run_wrk(wrk, bases[case.name], case.paths, seconds=1, connections=connections, threads=threads,
                            workdir=workdir)
            for _ in range(rounds):
                results.append({case.name: run_wrk(wrk, bases[case.name], case.paths, seconds=seconds,
                                                   connections=connections, threads=threads, workdir=workdir,
                                                   server=by_name[case.name])
                                for case in cases})
        finally:
            for proc in servers:
                stop(proc)
    base = cases[0].name
    print(f"{header} workers={workers} worker_class={worker_class} rounds={rounds} seconds={seconds:g} "
          f"wrk: threads={threads} connections={connections}")
    summary: dict[str, dict[str, float]] = {}
    for case in cases:
        rps = [r[case.name].rps for r in results]
        p50 = statistics.median(r[case.name].p50_ms for r in results)
        p99 = statistics.median(r[case.name].p99_ms for r in results)
        cpu = statistics.median(r[case.name].cpu_us for r in results)
        database_cpu = statistics.median(r[case.name].database_cpu_us for r in results)
        figures = {"rps": statistics.median(rps), "p50_ms": p50, "p99_ms": p99, "cpu_us": cpu,
                   "database_cpu_us": database_cpu}
        line = (f"{case.name}: req/s " + " ".join(f"{x:.0f}" for x in rps)
                + f" | p50 {p50:.2f} ms p99 {p99:.2f} ms | server CPU {cpu:.0f} us/request")
        if database_cpu >= 1:
            line += f" + PostgreSQL {database_cpu:.0f} us"
        if case.name != base:
            ratios = sorted(r[case.name].rps / r[base].rps for r in results)
            p99s = sorted(r[case.name].p99_ms / r[base].p99_ms for r in results)
            figures.update(ratio=statistics.median(ratios), ratio_min=ratios[0], ratio_max=ratios[-1],
                           p99_ratio=statistics.median(p99s))
            figures["cpu_ratio"] = statistics.median(r[base].cpu_us / r[case.name].cpu_us for r in results)
            line += (f" | ratio {figures['ratio']:.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f})"
                     f" | p99 {figures['p99_ratio']:.1f}x hello's | CPU ratio {figures['cpu_ratio']:.2f}")
        errors = sum(r[case.name].errors for r in results)
        if errors:
            line += f" | {errors} socket errors"
        print(line)
        summary[case.name] = figures
    return summary
