"""The Flask class certreg runs on: Flask, with the per-request costs that do not depend on the request
paid once, and a lean dispatch for the public scan pages.

Every hook (``before_request``, ``after_request``, ``teardown_request``) and every view goes through
:meth:`flask.Flask.ensure_sync` on every request, which asks :func:`inspect.iscoroutinefunction` each
time: about a dozen calls and 30 µs of the public scan's ~400 µs in-process (docs/benchmarks.md).
The answer for a function never changes, so a plain function is remembered, weakly: the hooks and
views live as long as the app; a function made per request (``after_this_request``) goes when it does.

**The lean dispatch.** The public scan pages (``/v/``, ``/c/``, ``/l/``: :func:`public_page`) are most of the
traffic and the one request a stranger's phone makes. For an anonymous ``GET`` of one (no query string, no body,
no cookie but the language's, a token of letters and digits) every ``before_request`` and ``after_request``
hook certreg has does nothing: each says so with :func:`lean_noop` and why; the hooks that do something
for it (the transaction mode) still run, and a hook added unmarked turns the lean dispatch off for the
pages it covers. So such a request is dispatched straight to its view, and a ``str`` the view returns is
sent as the bytes of a ``text/html`` page with no ``Response`` object built and no session saved (nothing
read or changed it): 85–100 µs of a `/c/` scan's ~600 in-process (docs/benchmarks.md, "Session 5"). Anything
else (an exception, a redirect, a session touched, an ``after_this_request``) goes the whole way through
:meth:`flask.Flask.finalize_request`. ``LEAN_PUBLIC_PAGES = False`` turns it off (tests compare both ways).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from typing import Any

from flask import Flask, request, request_started
from flask.globals import request_ctx
from flask.signals import request_finished
from werkzeug.utils import get_content_type

#: A view's mark: it may be dispatched lean (:func:`public_page`).
_LEAN = "_certreg_lean"
#: A hook's mark: it does nothing for a lean request (:func:`lean_noop`).
_NOOP = "_certreg_lean_noop"


def public_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a public page's view (an anonymous ``GET /x/<token>``) for the lean dispatch."""
    setattr(view, _LEAN, True)
    return view


def lean_noop(hook: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a request hook that does nothing for a lean request (an anonymous ``GET`` of a public page with
    no query string, no body, no cookie but the language's): the lean dispatch skips it. Say why beside it."""
    setattr(hook, _NOOP, True)
    return hook


class _Page:
    """What a lean view's ``str`` is sent as: the status and headers Flask gives a ``str``, without building a
    ``Response`` (a WSGI app, which is all :meth:`flask.Flask.wsgi_app` asks of a response)."""

    __slots__ = ("body", "headers")
    status_code = 200

    def __init__(self, body: bytes, content_type: str) -> None:
        self.body = body
        # Flask 3.1 says ``Vary: Cookie`` on every response (it reads the session to save it); so does this.
        self.headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Vary", "Cookie")]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", list(self.headers))
        return [self.body]


class Certreg(Flask):
    """:class:`flask.Flask` with :meth:`ensure_sync` remembered for plain (not ``async``) functions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Functions known not to be coroutines (weakly: a set holding only the keys, nothing keeps them).
        self._sync_callables: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()
        #: Cookies a lean request may carry (the language's: :mod:`certreg.i18n` adds it).
        self.lean_cookies: set[str] = set()
        self._lean_plans: dict[str, tuple | None] = {}
        self._page_type = get_content_type(self.response_class.default_mimetype or "text/html", "utf-8")

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

    def full_dispatch_request(self):  # type: ignore[override]
        """Flask's, or for a lean request (see the module docstring) the view and the hooks that act on it."""
        plan = self._lean_plan()
        if plan is None:
            return super().full_dispatch_request()
        view, hooks = plan
        self._got_first_request = True
        try:
            request_started.send(self, _async_wrapper=self.ensure_sync)
            for hook in hooks:
                answer = hook()
                if answer is not None:
                    return self.finalize_request(answer)
            answer = view(**request.view_args)
        except Exception as exc:
            return self.finalize_request(self.handle_user_exception(exc))
        ctx = request_ctx._get_current_object()
        session = ctx._session  # not ``ctx.session``: reading that property marks the session accessed
        if type(answer) is not str or session.accessed or session.modified or ctx._after_request_functions:
            return self.finalize_request(answer)
        response = _Page(answer.encode(), self._page_type)
        request_finished.send(self, _async_wrapper=self.ensure_sync, response=response)
        return response

    def _lean_plan(self) -> tuple | None:
        """``(view, the before_request hooks to run)`` when this request may be dispatched lean, else ``None``."""
        rule = request.url_rule
        if rule is None or request.routing_exception is not None or not self.config["LEAN_PUBLIC_PAGES"]:
            return None
        environ = request.environ
        if (environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING") or environ.get("CONTENT_TYPE")
                or environ.get("CONTENT_LENGTH") not in (None, "", "0") or environ.get("HTTP_TRANSFER_ENCODING")):
            return None
        if environ.get("HTTP_COOKIE") and not request.cookies.keys() <= self.lean_cookies:
            return None
        if not all(type(value) is str and value.isascii() and value.isalnum() for value in request.view_args.values()):
            return None
        endpoint = rule.endpoint
        if endpoint not in self._lean_plans:
            self._lean_plans[endpoint] = self._plan_for(endpoint)
        return self._lean_plans[endpoint]

    def _plan_for(self, endpoint: str) -> tuple | None:
        view = self.view_functions.get(endpoint)
        if view is None or not getattr(view, _LEAN, False):
            return None
        scopes = (None, *request.blueprints[::-1])  # as Flask runs them: the app's, then the blueprints'
        others = [*(hook for scope in scopes for hook in self.after_request_funcs.get(scope, ())),
                  *(hook for scope in scopes for hook in self.url_value_preprocessors.get(scope, ()))]
        if any(not getattr(hook, _NOOP, False) for hook in others):
            return None  # an after_request hook or URL value preprocessor that acts: the whole way
        hooks = [self.ensure_sync(hook) for scope in scopes for hook in self.before_request_funcs.get(scope, ())
                 if not getattr(hook, _NOOP, False)]
        return self.ensure_sync(view), tuple(hooks)
