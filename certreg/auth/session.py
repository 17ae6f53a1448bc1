"""Flask-Login wiring: the cookie holds a server-side session id, revoked at sign-out."""

from __future__ import annotations

from flask import Flask, flash, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l

from certreg.auth import services, signin
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

        flash(str(login_manager.login_message), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
