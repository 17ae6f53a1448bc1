"""A small per-process cache of rendered verification pages.

The public ``/v/<token>`` page is a pure function of the token, the verdict (read live
from the database on every request, so a revocation shows at once), the reason, the day
and the language. Rendering it costs more than everything else the page does, and the
same card is scanned again and again (at the counter, at the border), so a page is kept
for ``VERIFY_PAGE_CACHE_SECONDS`` (category names may be renamed meanwhile) in an LRU of
``VERIFY_PAGE_CACHE_SIZE`` entries. Pages for signed-in inspectors are never cached.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app

_pages: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
_lock = threading.Lock()


def get_or_render(key: Hashable, render: Callable[[], str]) -> str:
    size = current_app.config["VERIFY_PAGE_CACHE_SIZE"]
    ttl = current_app.config["VERIFY_PAGE_CACHE_SECONDS"]
    if size <= 0 or ttl <= 0:
        return render()
    now = time.monotonic()
    with _lock:
        hit = _pages.get(key)
        if hit is not None and hit[0] > now:
            _pages.move_to_end(key)
            return hit[1]
    page = render()
    with _lock:
        _pages[key] = (now + ttl, page)
        _pages.move_to_end(key)
        while len(_pages) > size:
            _pages.popitem(last=False)
    return page


def clear() -> None:
    with _lock:
        _pages.clear()
