"""Small shared pieces of the federation's surfaces (page, API, CLI)."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from certreg.errors import CertregError, ValidationFailed


def ask_body(kind: str, query: str | None) -> dict:
    """The body of a question from what a user typed.

    :raise ValidationFailed: a certificate or cylinder question without a number (``required``).
    """
    query = (query or "").strip()
    if kind == "ping":
        return {}
    if not query:
        raise ValidationFailed.for_field("query", _("Type the certificate number or cylinder serial."), "required")
    return {"number": query} if kind == "certificate-status" else {"serial": query}


def json_error(exc: CertregError, headers: dict[str, str] | None = None):
    response = jsonify({"error": exc.payload()})
    response.status_code = exc.status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
