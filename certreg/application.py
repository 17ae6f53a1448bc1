"""The Flask class certreg runs on: Flask, with the per-request costs that do not depend on the request
paid once.

Every hook (``before_request``, ``after_request``, ``teardown_request``) and every view goes through
:meth:`flask.Flask.ensure_sync` on every request, which asks :func:`inspect.iscoroutinefunction` each
time: about a dozen calls and 30 µs of the public scan's ~400 µs in-process (docs/benchmarks.md).
The answer for a function never changes, so a plain function is remembered, weakly: the hooks and
views live as long as the app; a function made per request (``after_this_request``) goes when it does.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from typing import Any

from flask import Flask


class Certreg(Flask):
    """:class:`flask.Flask` with :meth:`ensure_sync` remembered for plain (not ``async``) functions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Functions known not to be coroutines (weakly: a set holding only the keys, nothing keeps them).
        self._sync_callables: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            if func in self._sync_callables:
                return func
        except TypeError:  # neither hashable nor weakly referable: asked every time, as Flask does
            return super().ensure_sync(func)
        made = super().ensure_sync(func)
        if made is func:  # an async function's wrapper is made every time, as Flask does
            with contextlib.suppress(TypeError):  # not weakly referable: asked again next time
                self._sync_callables.add(func)
        return made
