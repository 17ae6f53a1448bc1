"""A user's sessions and sign-in history: list them, end one, recognise a new browser.

A browser is recognised by a random id in a long-lived cookie (``BROWSER_COOKIE``); only
its SHA-256 is stored with each sign-in. A sign-in from a browser never seen before on an
account that signed in before queues a ``new_sign_in`` notice.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.auth import services
from certreg.auth.models import SignInEvent, User, UserSession
from certreg.db import utcnow
from certreg.errors import NotFound
from certreg.extensions import db
from certreg.notify import outbox
from certreg.notify.models import NoticeKind

BROWSER_COOKIE = "certreg_browser"
HISTORY_LENGTH = 50
TOUCH_EVERY = timedelta(minutes=5)


def record_sign_in(user: User, *, ip_address: str | None, user_agent: str | None, browser_id: str,
                   second_factor: str | None) -> int | None:
    """Add the sign-in to the history; returns the outbox id of a new-browser notice, if one was queued."""
    browser_hash = services.sha256_hex(browser_id)
    seen_before = db.session.scalar(sa.select(sa.func.count()).select_from(SignInEvent).where(
        SignInEvent.user_id == user.id))
    known = db.session.scalar(sa.select(SignInEvent.id).where(
        SignInEvent.user_id == user.id, SignInEvent.browser_hash == browser_hash).limit(1))
    event = SignInEvent(user_id=user.id, ip_address=(ip_address or "")[:45] or None,
                        user_agent=(user_agent or "")[:255] or None, browser_hash=browser_hash,
                        second_factor=second_factor or "none")
    db.session.add(event)
    db.session.flush()
    if seen_before and known is None:
        return outbox.enqueue(user, NoticeKind.NEW_SIGN_IN, f"new_sign_in:{event.id}",
                              {"event": event})
    return None


def active_sessions(actor: Actor, user: User) -> list[UserSession]:
    actor.require(actor.user_id == user.id)
    now = utcnow()
    return list(db.session.scalars(
        sa.select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.expires_at > now)
        .order_by(UserSession.created_at.desc())
    ))


def sign_in_history(actor: Actor, user: User) -> list[SignInEvent]:
    actor.require(actor.user_id == user.id)
    return list(db.session.scalars(
        sa.select(SignInEvent).where(SignInEvent.user_id == user.id)
        .order_by(SignInEvent.at.desc(), SignInEvent.id.desc()).limit(HISTORY_LENGTH)
    ))


def end_session(actor: Actor, session_id: int) -> UserSession:
    """End one of the actor's own sessions: its cookie is refused from then on."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound()
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.flush()
    return row


def touch(user_session: UserSession) -> None:
    """Note the session as seen (written with the request's own commit, at most every few minutes)."""
    now = utcnow()
    if user_session.last_seen_at is None or now - user_session.last_seen_at > TOUCH_EVERY:
        user_session.last_seen_at = now
