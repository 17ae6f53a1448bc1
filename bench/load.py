"""A small HTTP load generator (keep-alive where the server allows it), bounded in time.

Runs ``processes`` × ``threads`` clients against one URL on 127.0.0.1 for ``seconds`` and
returns requests per second of successful (2xx) answers. Good enough to compare two apps
served the same way in the same run; not a replacement for wrk.
"""

from __future__ import annotations

import http.client
import multiprocessing
import threading
import time
from urllib.parse import urlsplit


def _client(urls: list[str], deadline: float, counts: list[int], index: int) -> None:
    parts = urlsplit(urls[0])
    paths = [urlsplit(u).path + (f"?{urlsplit(u).query}" if urlsplit(u).query else "") for u in urls]
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    ok = 0
    turn = index * 7919  # each client walks the list from a different place
    while time.monotonic() < deadline:
        path = paths[turn % len(paths)]
        turn += 1
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if 200 <= response.status < 300:
                ok += 1
            if response.getheader("Connection", "").lower() == "close" or response.will_close:
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.close()
    counts[index] = ok


def _process(url: str | list[str], seconds: float, threads: int, queue) -> None:
    urls = [url] if isinstance(url, str) else url
    deadline = time.monotonic() + seconds
    counts = [0] * threads
    workers = [threading.Thread(target=_client, args=(urls, deadline, counts, i)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put(sum(counts))


def requests_per_second(url: str | list[str], *, seconds: float = 10.0, processes: int = 2, threads: int = 4
                        ) -> float:
    """Successful requests per second; with a list of URLs, each client cycles through them."""
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_process, args=(url, seconds, threads, queue))
             for _ in range(processes)]
    start = time.monotonic()
    for p in procs:
        p.start()
    total = sum(queue.get() for _ in procs)
    for p in procs:
        p.join()
    return total / (time.monotonic() - start)
