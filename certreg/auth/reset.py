"""Password reset by e-mail: single-use, short-lived links whose secret is stored only as SHA-256.

:func:`request_reset` answers the same, and queues no mail, for an address without an
active account (no account enumeration); the mail itself goes out after the response
(see :func:`certreg.notify.outbox.send_soon`), so the answer's timing does not tell either.
Using a link ends every session of the account.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.auth import services
from certreg.auth.models import LoginThrottle, PasswordResetToken, User
from certreg.auth.passwords import check_password_strength
from certreg.db import utcnow
from certreg.errors import NotFound
from certreg.extensions import db
from certreg.notify import outbox
from certreg.notify.models import NoticeKind

logger = logging.getLogger(__name__)


def request_reset(email: str) -> int | None:
    """Queue a reset link for the account of ``email``, if there is an active one; returns the outbox id.

    Requests per address are counted in the sign-in throttle (key ``reset:<e-mail>``); beyond
    ``LOGIN_MAX_ATTEMPTS`` in the window no more mail goes out (nobody's inbox is flooded),
    with the same answer.
    """
    address = services.normalise_email(email)
    token = secrets.token_urlsafe(32)  # drawn either way: the same work for unknown addresses
    attempt = services.count_sign_in_attempt("reset:" + address)
    user = db.session.scalar(sa.select(User).where(User.email == address, User.is_active.is_(True)))
    if user is None:
        logger.info("password reset asked for an unknown address")
        return None
    if attempt.number > current_app.config["LOGIN_MAX_ATTEMPTS"]:
        logger.warning("password reset requests throttled for %s", address)
        return None
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    row = PasswordResetToken(user_id=user.id, token_hash=services.sha256_hex(token),
                             expires_at=utcnow() + timedelta(minutes=minutes))
    db.session.add(row)
    db.session.flush()
    link = outbox.link("auth.reset_password", token=token)
    return outbox.enqueue(user, NoticeKind.PASSWORD_RESET, f"password_reset:{row.id}",
                          {"reset_link": link, "minutes": minutes}, secret=True)


def _valid_token(token: str) -> PasswordResetToken:
    row = db.session.scalar(sa.select(PasswordResetToken).where(
        PasswordResetToken.token_hash == services.sha256_hex(token or "")))
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or not row.user.is_active:
        raise NotFound(_("This link is not valid any more. Ask for a new one."), code="reset_link_invalid")
    return row


def check_token(token: str) -> User:
    """:raise NotFound: ``reset_link_invalid`` (unknown, used or expired)."""
    return _valid_token(token).user


def reset_password(token: str, password: str) -> User:
    """Set a new password with a reset link (spent by one conditional UPDATE); ends every session."""
    row = _valid_token(token)
    user = row.user
    check_password_strength(password, official=user.is_official)
    spent = db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise NotFound(_("This link is not valid any more. Ask for a new one."), code="reset_link_invalid")
    # Every other link of the account dies with this one.
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    user.password_hash = services.hash_password(password)
    services.end_all_sessions(user)
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.account == user.email))
    db.session.flush()
    actor = Actor.of(user)  # the link's holder acts
    audit.record(actor, "user.password_reset", user,
                 summary=audit.msg("Password reset by e-mail for %(email)s", email=user.email))
    return user
