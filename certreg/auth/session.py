"""Flask-Login wiring: the cookie holds a server-side session id, revoked at sign-out."""

from __future__ import annotations

from flask import Flask, current_app, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from certreg.errors import Unauthenticated, wants_json
from certreg.extensions import login_manager


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, with its serializer built once per secret, not per request."""

    def get_signing_serializer(self, app: Flask):
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = getattr(self, "_serializer", None)
        if cached is None or cached[0] != key:
            cached = self._serializer = (key, super().get_signing_serializer(app))
        return cached[1]


def init_app(app: Flask) -> None:
    from certreg.auth import services, signin

    app.session_interface = SessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    # Strong protection drops the session when the browser fingerprint changes.
    login_manager.session_protection = "strong"

    app.before_request(signin.guard)

    @login_manager.user_loader
    def load_user(session_token: str):
        return services.user_for_session(session_token)

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            raise Unauthenticated()
        from flask import flash

        flash(str(login_manager.login_message), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def actor():
    """The :class:`~certreg.actors.Actor` for the signed-in user (views use this)."""
    from certreg.actors import Actor

    return Actor.of(current_user._get_current_object())


def signed_in() -> bool:
    """Whether a user is signed in; without a session cookie this is known without loading anything
    (the public verification page runs this on every scan)."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return False
    return current_user.is_authenticated
