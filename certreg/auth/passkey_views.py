"""Passkeys (WebAuthn): add one to an account with two-step sign-in, sign in with one.

The browser side is ``static/js/passkeys.js``; these endpoints answer JSON.
"""

from __future__ import annotations

from flask import Response, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from certreg.auth import passkeys, services, signin, twofactor
from certreg.auth.blueprint import bp
from certreg.auth.forms import EmptyForm
from certreg.errors import Unauthenticated
from certreg.extensions import db
from certreg.web import actor, submit


def _json(body: str) -> Response:
    return Response(body, mimetype="application/json")


def _payload() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@bp.post("/account/passkeys/options")
@login_required
def passkey_options():
    """Options for ``navigator.credentials.create`` (the challenge waits in the session)."""
    return _json(passkeys.registration_options(actor(), actor().user))


@bp.post("/account/passkeys")
@login_required
def add_passkey():
    """Store the passkey the browser created; answers ``{"redirect": url}``."""
    data = _payload()
    passkeys.register(actor(), actor().user, data.get("credential") or {}, str(data.get("name") or ""))
    db.session.commit()
    flash(_("Passkey added. You can sign in with it instead of a code."), "success")
    return jsonify(redirect=url_for("auth.two_factor"))


@bp.post("/account/passkeys/<int:passkey_id>/remove")
@login_required
def remove_passkey(passkey_id: int):
    if submit(EmptyForm(), lambda: passkeys.remove(actor(), passkey_id)):
        flash(_("Passkey removed."), "success")
    return redirect(url_for("auth.two_factor"))


def _pending():
    user, target = signin.pending_user()
    if user is None or not user.passkeys:
        raise Unauthenticated(_("Sign in with your e-mail and password first."), code="no_pending_sign_in")
    return user, target


@bp.post("/login/passkey/options")
def login_passkey_options():
    """Options for ``navigator.credentials.get`` for the user whose password was right."""
    user, _target = _pending()
    return _json(passkeys.authentication_options(user))


@bp.post("/login/passkey")
def login_passkey():
    """Step two of sign-in with a passkey (attempts throttled like codes); answers ``{"redirect": url}``."""
    user, target = _pending()
    attempt = services.count_sign_in_attempt(twofactor.throttle_key(user))
    db.session.commit()
    services.refuse_if_throttled(attempt)
    passkeys.authenticate(user, _payload().get("credential") or {})
    response = signin.complete(user, second_factor="passkey", target=target)
    location = response.headers.pop("Location")
    response.status_code = 200
    response.mimetype = "application/json"
    response.set_data(jsonify(redirect=location).get_data())
    return response
