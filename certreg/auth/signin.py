"""Finishing a sign-in, and the rules every signed-in request passes (web pages only, not the API).

* After the password (and the code, with a second factor) :func:`complete` starts the
  server-side session, records the sign-in and, for a browser new to the account, queues a notice.
* :func:`guard` runs before each page: an official idle for ``OFFICIAL_IDLE_MINUTES`` is signed
  out (the time of the last request is kept in the signed session cookie), and a user who must
  use a second factor but has none can reach only the enrolment page and sign-out.
"""

from __future__ import annotations

import secrets
import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from certreg.application import lean_noop
from certreg.auth import services, sessions, twofactor
from certreg.auth.models import User
from certreg.extensions import db
from certreg.notify import outbox

PENDING = "pending_second_step"
PENDING_SECONDS = 300
SEEN = "seen"
#: What a user who still has to set up a second factor may reach.
ENROLMENT_ENDPOINTS = {"auth.two_factor", "auth.logout", "privacy.notice", "i18n.set_language", "static"}


def complete(user: User, *, second_factor: str | None, target: str | None, message: str | None = None):
    """Start the session, record the sign-in, answer with the redirect (and the browser cookie)."""
    browser_id = request.cookies.get(sessions.BROWSER_COOKIE) or secrets.token_urlsafe(24)
    services.start_session(user, user_agent=request.user_agent.string, ip_address=request.remote_addr)
    session.clear()  # no session fixation: a fresh cookie after sign-in
    login_user(user)
    session[SEEN] = int(time.time())
    if message:
        flash(message, "info")
    notice = sessions.record_sign_in(user, ip_address=request.remote_addr, user_agent=request.user_agent.string,
                                     browser_id=browser_id, second_factor=second_factor)
    db.session.commit()
    outbox.send_soon([notice])
    if twofactor.needs_enrolment(user):
        flash(_("Your account needs two-step sign-in. Set it up now to continue."), "info")
        response = redirect(url_for("auth.two_factor"))
    else:
        response = redirect(target or url_for("auth.home"))
    response.set_cookie(sessions.BROWSER_COOKIE, browser_id, max_age=400 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def pending_user() -> tuple[User | None, str | None]:
    """The user whose password was right and who still owes a code (for ``PENDING_SECONDS``)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.is_active or not user.has_second_factor:
        return None, None
    return user, pending.get("next")


@lean_noop  # a lean request has no session cookie
def guard():
    """Before each web request of a signed-in user (see the module docstring)."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return None  # nobody signed in (every anonymous scan): known without loading anything
    if request.blueprint == "api" or request.endpoint in (None, "static") or not current_user.is_authenticated:
        return None
    now = int(time.time())
    seen = session.get(SEEN)
    if current_user.is_official and seen is not None \
            and now - seen > current_app.config["OFFICIAL_IDLE_MINUTES"] * 60:
        services.end_session(current_user.get_id())
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You were signed out after a time without activity. Sign in again."), "info")
        return redirect(url_for("auth.login", next=request.path if request.method == "GET" else None))
    if seen is None or now - seen >= 60:
        session[SEEN] = now
    if current_user.session_row is not None:
        sessions.touch(current_user.session_row)
    if request.endpoint not in ENROLMENT_ENDPOINTS and twofactor.needs_enrolment(current_user):
        return redirect(url_for("auth.two_factor"))
    return None
