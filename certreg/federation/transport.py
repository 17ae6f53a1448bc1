"""HTTP between installations (the standard library's client; nothing here is signed or checked:
:mod:`certreg.federation.wire` does that)."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from flask import current_app

from certreg.federation.wire import MAX_BYTES, MESSAGE_TYP

WELL_KNOWN = "/.well-known/certreg/"
USER_AGENT = "certreg-federation/1"


class NoAnswer(Exception):  # noqa: N818
    """The peer could not be reached, timed out, or answered with an HTTP error or too much."""


@dataclass(frozen=True)
class Reply:
    status: int  # 200 or 304
    body: bytes
    etag: str | None


def _timeout() -> float:
    return current_app.config["FEDERATION_TIMEOUT_SECONDS"]


def _url(base_url: str, name: str) -> str:
    if not base_url.startswith(("https://", "http://")):
        raise NoAnswer("not an http(s) address")
    return base_url + WELL_KNOWN + name


def _read(response) -> bytes:
    body = response.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        raise NoAnswer("answer too large")
    return body


def get_document(base_url: str, kind: str, etag: str | None) -> Reply:
    """``GET {base}/.well-known/certreg/{kind}``, conditional on ``etag``."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/cose"}
    if etag:
        headers["If-None-Match"] = etag
    request = urllib.request.Request(_url(base_url, kind), headers=headers)  # noqa: S310 - checked by _url
    try:
        with urllib.request.urlopen(request, timeout=_timeout()) as response:  # noqa: S310 - http(s) only
            return Reply(response.status, _read(response), response.headers.get("ETag"))
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Reply(304, b"", exc.headers.get("ETag") or etag)
        raise NoAnswer(f"HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:  # refused, reset, timed out, bad URL
        raise NoAnswer(str(exc) or type(exc).__name__) from None


def post_message(base_url: str, raw: bytes) -> tuple[int, bytes]:
    """``POST {base}/.well-known/certreg/ask``; returns the HTTP status and body (errors included)."""
    request = urllib.request.Request(_url(base_url, "ask"), data=raw, method="POST", headers={  # noqa: S310
        "User-Agent": USER_AGENT, "Content-Type": MESSAGE_TYP, "Accept": MESSAGE_TYP})
    try:
        with urllib.request.urlopen(request, timeout=_timeout()) as response:  # noqa: S310
            return response.status, _read(response)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(64 * 1024)
    except (OSError, ValueError) as exc:
        raise NoAnswer(str(exc) or type(exc).__name__) from None
