"""Small helpers shared by the web views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import Response, current_app, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from certreg.actors import Actor
from certreg.errors import CertregError, Conflict, ValidationFailed, roll_back
from certreg.extensions import db
from certreg.forms import BaseForm
from certreg.inputs import parse_id

T = TypeVar("T")


@dataclass
class Done(Generic[T]):
    result: T


def submit(form: BaseForm, action: Callable[[], T]) -> Done[T] | None:
    """Validate ``form``; if valid, run the service call and commit once.

    A refusal by the service is rolled back and shown on the form (on its field, or at
    the top for conflicts). Returns ``Done(result)`` on success, ``None`` otherwise.
    """
    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except ValidationFailed as exc:
        roll_back(exc)
        form.apply(exc)
        return None
    except Conflict as exc:
        roll_back(exc)
        form.form_errors.append(exc.message)
        return None
    db.session.commit()
    return Done(result)


def form_status(*forms: BaseForm) -> int:
    """422 when a submitted form was refused, so tests and clients can tell."""
    if request.method == "POST" and any(f.errors or f.form_errors for f in forms):
        return 422
    return 200


def page_arg() -> int:
    """``?page=``: 1 unless a page number (a whole number, at most a 4-byte integer) is given."""
    return parse_id(request.args.get("page")) or 1


def args_str(name: str, default: str = "", max_length: int = 120) -> str:
    value = request.args.get(name, default)
    return value[:max_length] if isinstance(value, str) else default


def actor() -> Actor:
    """The :class:`~certreg.actors.Actor` for the signed-in user (views use this)."""
    return Actor.of(current_user._get_current_object())


def signed_in() -> bool:
    """Whether a user is signed in; without a session cookie this is known without loading anything
    (the public verification page runs this on every scan)."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return False
    return current_user.is_authenticated


# --- the phones' offline queues (static/js/offline-queue.js) -----------------------------------------


def sync_token() -> Response:
    """A fresh CSRF token for an offline queue's sync (its page may have been opened hours ago, offline)."""
    response = jsonify({"csrf_token": generate_csrf()})
    response.headers["Cache-Control"] = "no-store"
    return response


def sync_answer(action: Callable[[], tuple[dict, bool]]) -> tuple[Response, int]:
    """Run one queued record's sync and commit once: 201 recorded now, 200 recorded before (``action`` returns
    the answer and whether it was recorded now); a refusal is rolled back (nothing of it is written) and
    answered like the API, ``{"error": {"code", "message", "fields"}}``, for the queue to show."""
    try:
        payload, created = action()
    except CertregError as exc:
        roll_back(exc)
        fields = {name: [{"code": getattr(e, "code", exc.code), "message": str(e)} for e in errors]
                  for name, errors in getattr(exc, "fields", {}).items()}
        return jsonify({"error": {"code": exc.code, "message": exc.message, "fields": fields}}), exc.status
    db.session.commit()
    return jsonify(payload), 201 if created else 200
