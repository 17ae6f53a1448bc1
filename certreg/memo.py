"""What checking a scanned token's signature gave, remembered: the same card, licence or label is scanned again
and again at a counter or a border post, and the answer for one token under one trust list never changes.

Only the signature's outcome is kept, never what the register says: every scan still reads its status live.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from flask import current_app

T = TypeVar("T")


class SignatureMemo(Generic[T]):
    """The last ``VERIFY_PAGE_CACHE_SIZE`` outcomes (0: none kept), each under the trust list it was found with:
    a newer trust list (a key added, revoked or expired) finds nothing and checks again. An exception is never
    kept: a refusal is checked again on the next scan."""

    def __init__(self) -> None:
        self._kept: OrderedDict[Hashable, tuple[object, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, trusted: object, check: Callable[[], T]) -> T:
        """The outcome for ``key`` under ``trusted``: remembered, or ``check()`` (then kept)."""
        size = current_app.config["VERIFY_PAGE_CACHE_SIZE"]
        if size <= 0:
            return check()
        with self._lock:
            hit = self._kept.get(key)
            if hit is not None and hit[0] is trusted:
                self._kept.move_to_end(key)
                return hit[1]
        outcome = check()
        with self._lock:
            self._kept[key] = (trusted, outcome)
            while len(self._kept) > size:
                self._kept.popitem(last=False)
        return outcome

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
