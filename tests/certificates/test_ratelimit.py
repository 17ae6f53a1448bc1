"""The verification rate limit's reserved shares, without a server: several workers, one shared row."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from certreg.certificates.ratelimit import RateBudget, share

WINDOW = timedelta(seconds=60)
START = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


class SharedRow:
    """What ``verify_throttle`` holds for one client, updated as the upsert does."""

    def __init__(self) -> None:
        self.hits, self.started, self.writes = 0, None, 0

    def reserve(self, k: int, now: datetime) -> tuple[int, datetime]:
        self.writes += 1
        if self.started is None or self.started < now - WINDOW:
            self.hits, self.started = k, now
        else:
            self.hits += k
        return self.hits, self.started


class Worker(RateBudget):
    def __init__(self, row: SharedRow, fraction: float) -> None:
        super().__init__(SimpleNamespace(config={"VERIFY_RATE_SHARE": fraction}))
        self.row = row

    def _reserve(self, client, k, limit, now, window):  # the database's answer, without a database
        hits, started = self.row.reserve(k, now)
        return max(0, min(k, limit - (hits - k))), started


def test_workers_together_admit_the_limit_and_no_more_with_one_write_per_share():
    limit, fraction = 120, 0.025
    k = share(limit, fraction)
    row = SharedRow()
    workers = [Worker(row, fraction) for _ in range(4)]
    rng = random.Random(9)
    admitted = sum(rng.choice(workers).admit("ip:1", START, limit, WINDOW)[0] for _ in range(1000))
    assert k == 3
    assert admitted == limit  # every worker got requests again, so no share was left unspent
    assert row.writes <= limit // k + len(workers)  # then each worker stopped asking


def test_a_share_left_with_a_worker_the_client_never_returns_to_is_at_most_k_minus_1_refused_early():
    limit, fraction = 120, 0.025
    row = SharedRow()
    idle, busy = Worker(row, fraction), Worker(row, fraction)
    assert idle.admit("ip:1", START, limit, WINDOW) == (True, 60)  # reserves 3, spends 1
    admitted = 1 + sum(busy.admit("ip:1", START, limit, WINDOW)[0] for _ in range(500))
    assert admitted == limit - 2


def test_the_window_ends_for_everybody_and_what_was_left_of_a_share_is_void():
    limit, fraction = 10, 0.25
    row = SharedRow()
    worker = Worker(row, fraction)
    assert [worker.admit("ip:1", START, limit, WINDOW)[0] for _ in range(12)] == [True] * 10 + [False] * 2
    allowed, retry = worker.admit("ip:1", START + timedelta(seconds=45), limit, WINDOW)
    assert (allowed, retry) == (False, 15)
    writes = row.writes
    assert [worker.admit("ip:1", START + timedelta(seconds=50), limit, WINDOW)[0] for _ in range(5)] == [False] * 5
    assert row.writes == writes  # refused without asking the database again
    later = START + WINDOW + timedelta(seconds=1)
    assert worker.admit("ip:1", later, limit, WINDOW) == (True, 60)
    assert row.hits == share(limit, fraction)  # a new window, a new share


def test_a_share_is_a_fraction_of_the_limit_and_at_least_one():
    assert share(120, 0.025) == 3 and share(10, 0.025) == 1 and share(10**9, 0.025) == 25_000_000
