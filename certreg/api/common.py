"""Request parsing and answers shared by the API modules."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.errors import CertregError, Unauthenticated, ValidationFailed
from certreg.extensions import db
from certreg.inputs import INT32_MAX


def api_actor() -> Actor:
    """The token's user as an :class:`Actor`.

    :raise Unauthenticated: no token, or a wrong or revoked one.
    """
    user = getattr(g, "api_user", None)
    if user is None:
        if getattr(g, "api_token_given", False):
            raise Unauthenticated(_("The API token is wrong or was revoked."), code="invalid_token")
        raise Unauthenticated(_("This endpoint needs an API token: Authorization: Bearer <token>."))
    return Actor.of(user)


def optional_actor() -> Actor | None:
    user = getattr(g, "api_user", None)
    if user is None and getattr(g, "api_token_given", False):
        raise Unauthenticated(_("The API token is wrong or was revoked."), code="invalid_token")
    return Actor.of(user) if user is not None else None


def json_body() -> dict[str, Any]:
    """The request's JSON object.

    :raise CertregError 415: not ``application/json``.
    :raise ValidationFailed: not valid JSON, or not an object.
    """
    if not request.is_json:
        error = CertregError(_("Send the body as application/json."), code="unsupported_media_type")
        error.status = 415
        raise error
    data = request.get_json(silent=True)
    if data is None:
        raise ValidationFailed(_("The body is not valid JSON."), code="invalid_json")
    if not isinstance(data, dict):
        raise ValidationFailed(_("The request body must be a JSON object."), code="invalid_json")
    return data


def done(payload: Any, status: int = 200, headers: dict[str, str] | None = None):
    """Commit the request's transaction once, if it began one, and answer with JSON. (A request whose reads all
    ran outside it, as a border check's, never touched the session: nothing to commit, no session to make.)"""
    if db.session.registry.has() and db.session().get_transaction() is not None:
        db.session.commit()
    response = jsonify(payload)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def int_arg(name: str, default: int, *, minimum: int = 1, maximum: int = INT32_MAX) -> int:
    """The query parameter ``name`` as a whole number from ``minimum`` to ``maximum`` (at most a 4-byte integer).

    :raise ValidationFailed: ``wrong_type`` (not a whole number), ``out_of_range``.
    """
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"-?[0-9]+", raw.strip()):
        raise ValidationFailed.for_field(name, _("Must be a whole number."), "wrong_type")
    digits = raw.strip().lstrip("-").lstrip("0")
    if len(digits) > 19:  # too large for any column, and int() of thousands of digits is refused
        raise ValidationFailed.for_field(name, _("Out of range."), "out_of_range")
    value = int(raw)
    if value < minimum or value > min(maximum, INT32_MAX):
        raise ValidationFailed.for_field(name, _("Out of range."), "out_of_range")
    return value


def paginated(pagination, serialize) -> dict[str, Any]:
    return {
        "items": [serialize(item) for item in pagination.items],
        "page": pagination.page,
        "per_page": pagination.per_page,
        "total": pagination.total,
        "pages": pagination.pages,
    }


def page_args() -> tuple[int, int]:
    return int_arg("page", 1), int_arg("per_page", current_app.config["PAGE_SIZE"], maximum=500)


#: Formats of the list endpoints that can also be downloaded.
FORMATS = {"json": "application/json", "csv": "text/csv",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def output_format() -> str:
    """``format`` if given, else the best of JSON, CSV and XLSX the ``Accept`` header asks for.

    :raise ValidationFailed: ``format`` is not json, csv or xlsx.
    """
    asked = request.args.get("format")
    if asked is not None:
        if asked not in FORMATS:
            raise ValidationFailed.for_field("format", _("Use json, csv or xlsx."), "invalid_choice")
        return asked
    best = request.accept_mimetypes.best_match(list(FORMATS.values()), default="application/json")
    return next(name for name, mimetype in FORMATS.items() if mimetype == best)

