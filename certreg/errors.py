"""The one exception tree of certreg, and how it is turned into an answer.

Services raise these; the handlers registered by :func:`register_error_handlers`
roll the transaction back and answer with an HTML page or, under ``/api/``, with
``{"error": {"code": ..., "message": ..., "fields": {...}}}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from certreg.extensions import db

logger = logging.getLogger(__name__)


class FieldError(str):
    """An error message that also carries a stable machine-readable code."""

    code: str

    def __new__(cls, message: str, code: str = "invalid") -> FieldError:
        obj = super().__new__(cls, message)
        obj.code = code
        return obj


class CertregError(Exception):
    status = 400
    code = "bad_request"
    default_message = _l("The request could not be processed.")

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message or str(self.default_message))
        self.message = message or str(self.default_message)
        if code:
            self.code = code
        #: Work that must outlive the refused transaction (e.g. keeping a record of the refused
        #: attempt): run by :func:`roll_back` after the rollback, then committed on its own.
        self.after_rollback: list[Callable[[], None]] = []

    def payload(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class NotFound(CertregError):
    status = 404
    code = "not_found"
    default_message = _l("Not found.")


class Unauthenticated(CertregError):
    status = 401
    code = "unauthenticated"
    default_message = _l("Sign in or give a valid API token.")


class Forbidden(CertregError):
    status = 403
    code = "forbidden"
    default_message = _l("You are not allowed to do this.")


class Conflict(CertregError):
    status = 409
    code = "conflict"
    default_message = _l("This conflicts with existing data.")


class InvalidState(Conflict):
    code = "invalid_state"
    default_message = _l("This is not possible in the current state.")


class RateLimited(CertregError):
    status = 429
    code = "rate_limited"
    default_message = _l("Too many requests. Try again later.")

    def __init__(self, message: str | None = None, *, retry_after: int | None = None, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class ValidationFailed(CertregError):
    """Input was refused. ``fields`` maps a field name to its error messages."""

    status = 422
    code = "validation_failed"
    default_message = _l("Some fields are not valid.")

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.fields = fields or {}

    @classmethod
    def for_field(cls, field: str, message: str, code: str) -> ValidationFailed:
        return cls(message, code=code, fields={field: [FieldError(message, code)]})

    def payload(self) -> dict[str, Any]:
        data = super().payload()
        data["fields"] = {
            name: [{"code": getattr(m, "code", "invalid"), "message": str(m)} for m in messages]
            for name, messages in self.fields.items()
        }
        return data


def roll_back(exc: BaseException | None = None) -> None:
    """Roll the request's transaction back; then run and commit ``exc.after_rollback``, if any."""
    db.session.rollback()
    follow_up = getattr(exc, "after_rollback", None)
    if not follow_up:
        return
    keep_after_rollback(follow_up, getattr(exc, "code", None))
    try:
        db.session.commit()
    except Exception:
        logger.exception("LOST the record(s) of a refused request (%s): the commit failed", getattr(exc, "code", None))
        db.session.rollback()


def keep_after_rollback(actions: list[Callable[[], None]], code: str | None = None) -> int:
    """Run each action (e.g. keeping a refused attempt) in a savepoint of its own; the caller commits.

    A failing action never passes silently: it is logged as an error with its traceback, and
    the other actions are still kept. Returns how many failed.
    """
    failed = 0
    for action in actions:
        try:
            with db.session.begin_nested():
                action()
        except Exception:
            failed += 1
            logger.exception("LOST the record of a refused request (%s)", code)
    return failed


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.path.startswith("/.well-known/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(exc: CertregError) -> Response | tuple[str, int]:
    if wants_json():
        response = jsonify({"error": exc.payload()})
        response.status_code = exc.status
    else:
        response = Response(render_template("errors/error.html", error=exc), status=exc.status)
    if isinstance(exc, RateLimited) and exc.retry_after:
        response.headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unauthenticated) and wants_json():
        response.headers["WWW-Authenticate"] = 'Bearer realm="certreg"'
    return response


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CertregError)
    def handle_certreg_error(exc: CertregError):
        roll_back(exc)
        return error_response(exc)

    @app.errorhandler(CSRFError)
    def handle_csrf(exc: CSRFError):
        db.session.rollback()
        error = CertregError(
            _("The form expired or was sent from another site. Reload the page and try again."),
            code="csrf_failed",
        )
        return error_response(error)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        db.session.rollback()
        status = exc.code or 500
        error = CertregError(exc.description if status != 404 else str(NotFound.default_message))
        error.status = status
        error.code = _HTTP_CODES.get(status, "http_error")
        response = error_response(error)
        if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    if app.testing:
        return  # let unexpected errors surface in tests instead of becoming a polite 500 page

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        db.session.rollback()
        logger.exception("unhandled error on %s %s", request.method, request.path)
        error = CertregError(_("Something went wrong on our side. The error was logged."), code="internal_error")
        error.status = 500
        return error_response(error)
