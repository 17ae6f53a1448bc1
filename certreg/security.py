"""Security headers and safe redirects."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from flask import Flask, Response, request

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
    no_store = ("Cache-Control", "no-store")

    @app.after_request
    def set_headers(response: Response) -> Response:
        # One pass over the response's headers (this runs on every request): a view may set its own.
        present = {key.lower() for key in response.headers.keys()}  # noqa: SIM118 - iterating Headers gives pairs
        wanted = headers_for_all
        if request.endpoint and not request.endpoint.startswith("static"):
            # Pages may show personal data: keep them out of shared caches.
            wanted = [*headers_for_all, no_store]
        response.headers.extend([(key, value) for key, value in wanted if key.lower() not in present])
        return response
