"""Security headers and safe redirects."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask, request

from certreg.application import lean_noop

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def is_safe_next(target: str | None) -> bool:
    """True when ``target`` is a path on this site (never another host, scheme or ``//``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 32 for ch in target):
        return False
    ref = urlsplit(request.host_url)
    test = urlsplit(urljoin(request.host_url, target))
    return test.scheme in ("http", "https") and ref.netloc == test.netloc


class SecurityHeaders:
    """WSGI middleware: the security headers every response gets, unless the view set its own.

    Added to the header list the app hands to ``start_response``, as plain tuples: through Flask's
    ``after_request`` and werkzeug's ``Headers`` (each value validated again, every request) they
    cost the public scan about 20 µs of its ~400 µs in-process (docs/benchmarks.md).
    ``Cache-Control: no-store`` goes on every response that has no ``Cache-Control`` of its own:
    pages may show personal data, so they stay out of shared caches; static files (``send_file``)
    always carry their own.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], headers: list[tuple[str, str]]) -> None:
        self.wsgi_app = wsgi_app
        self.headers = [(name.lower(), (name, value)) for name, value in [*headers, NO_STORE]]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        wanted = self.headers

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _value in headers}
            headers.extend(header for lowered, header in wanted if lowered not in present)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.wsgi_app(environ, start)


NO_STORE = ("Cache-Control", "no-store")


def register_security_headers(app: Flask) -> None:
    headers_for_all = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        # Verification URLs carry a token: never leak them to other sites.
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", "camera=(self), geolocation=(), microphone=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if app.config.get("HSTS"):
        headers_for_all.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    app.wsgi_app = SecurityHeaders(app.wsgi_app, headers_for_all)  # type: ignore[method-assign]


def check_csrf(app: Flask, csrf: Any) -> None:
    """Flask-WTF's CSRF check, asked only for the methods it checks (``WTF_CSRF_METHODS``).

    Flask-WTF's own ``before_request`` resolves the view's exemptions before it looks at the method:
    on every GET (every scan) for nothing. ``WTF_CSRF_CHECK_DEFAULT = False`` turns that hook into a
    no-op, as Flask-WTF documents for calling ``protect()`` yourself; this one calls the same
    ``protect(apply_exemptions=True)`` for a POST, PUT, PATCH or DELETE, exemptions included.
    """
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    methods = frozenset(app.config["WTF_CSRF_METHODS"])

    for hook in app.before_request_funcs.get(None, ()):
        if hook.__module__ == "flask_wtf.csrf":  # Flask-WTF's own: a no-op with the setting above
            lean_noop(hook)

    @app.before_request
    @lean_noop  # a lean request is a GET
    def csrf_protect() -> None:
        if request.method in methods and app.config["WTF_CSRF_ENABLED"]:
            csrf.protect(apply_exemptions=True)
