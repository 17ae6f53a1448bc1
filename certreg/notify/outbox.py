"""Queue notices in the outbox (rendered in the recipient's language) and send them.

A notice is a text template ``templates/notify/<kind>.txt`` whose first line is
``Subject: ...``; the rest is the body. :func:`enqueue` renders it in the recipient's
language and stores it under a unique ``key`` (a key already queued is skipped: nobody
gets the same notice twice). :func:`send_pending` sends what is unsent; a notice whose
sending failed stays for the next run, with its error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import Response, after_this_request, current_app, has_app_context, has_request_context
from flask_babel import force_locale
from sqlalchemy.dialects import postgresql, sqlite

from certreg.actors import Actor
from certreg.db import utcnow
from certreg.extensions import db
from certreg.notify import mail
from certreg.notify.models import SWITCHABLE, NoticeKind, NoticeOptOut, OutboxMessage

if TYPE_CHECKING:
    from certreg.auth.models import User  # the recipient: only its address, language and switches are read

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 300


def wants(user: User, kind: NoticeKind) -> bool:
    if not user.is_active:
        return False
    if kind not in SWITCHABLE:
        return True
    return db.session.get(NoticeOptOut, (user.id, kind)) is None


def link(endpoint: str, **values: Any) -> str:
    """The public address of a page (works outside a request too: notices are built by commands)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"] + path


def render(kind: NoticeKind, locale: str, context: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of a notice in ``locale`` (the template alone: no request, no context processors)."""
    template = current_app.jinja_env.get_template(f"notify/{kind.value}.txt")
    with force_locale(locale):
        text = template.render(link=link, **context)
    first, _sep, body = text.lstrip().partition("\n")
    return first.removeprefix("Subject:").strip()[:255], body.strip() + "\n"


def enqueue(user: User, kind: NoticeKind, key: str, context: dict[str, Any], *, secret: bool = False) -> int | None:
    """Queue a notice for ``user`` unless they switched it off or the key was queued before.

    Returns the outbox id, or ``None`` when nothing was queued. One ``INSERT ... ON CONFLICT
    DO NOTHING``, so two collectors running at once cannot queue a notice twice.
    """
    if not wants(user, kind):
        return None
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    subject, body = render(kind, locale, {"user": user, **context})
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OutboxMessage)
    stmt = insert.values(
        key=key[:255], kind=kind, user_id=user.id, to_address=user.email, locale=locale, subject=subject,
        body=body, secret=secret, attempts=0, created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["key"]).returning(OutboxMessage.id)
    return db.session.execute(stmt).scalar()


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    unavailable: str | None = None  # the mail server could not be used: everything waits


def _claim(message_id: int) -> bool:
    now = utcnow()
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def send_pending(actor: Actor, commit: Callable[[], None], *, ids: list[int] | None = None,
                 limit: int = 1000) -> SendReport:
    """Send unsent notices (only ``ids`` if given), committing after each one.

    Each notice is first claimed (``claimed_until``), so two senders never send the same
    one; a sent notice is marked ``sent_at`` in its own transaction right after the server
    accepted it.
    """
    actor.require(False)  # the system only: a command, or the app itself after a request
    query = sa.select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    pending = list(db.session.scalars(query.limit(limit)))
    report = SendReport()
    if not pending:
        return report
    try:
        with mail.Mailer() as mailer:
            for message_id in pending:
                if not _claim(message_id):
                    continue
                commit()
                row = db.session.get(OutboxMessage, message_id)
                try:
                    mailer.send(mail.build(row.to_address, row.subject, row.body))
                except mail.MessageRefused as exc:
                    _failed(row, str(exc))
                    report.failed += 1
                    report.errors.append(f"{row.key}: {exc}")
                else:
                    row.sent_at = utcnow()
                    row.attempts += 1
                    row.claimed_until = None
                    if row.secret:
                        row.body = ""
                    report.sent += 1
                commit()
    except mail.MailUnavailable as exc:
        db.session.rollback()
        report.unavailable = str(exc)
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(pending), OutboxMessage.sent_at.is_(None))
            .values(attempts=OutboxMessage.attempts + 1, last_error=str(exc)[:1000], claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        commit()
        logger.error("mail not sent: %s", exc)
    return report


def _failed(row: OutboxMessage, error: str) -> None:
    row.attempts += 1
    row.last_error = error[:1000]
    row.claimed_until = None


def send_soon(ids: list[int | None], response: Response | None = None) -> None:
    """Send these just-queued notices after the response went out (the caller commits first).

    From a view, the current request's response is used; from an ``after_request`` function
    (too late for :func:`flask.after_this_request`), pass the response.

    Sending after the response keeps the answer's timing the same whether or not a mail
    was queued; a failure leaves the notice for ``flask notify send``.
    """
    ids = [i for i in ids if i is not None]
    if not ids or not current_app.config.get("MAIL_SEND_AFTER_REQUEST", True):
        return
    app = current_app._get_current_object()

    def send_now() -> None:
        try:
            send_pending(Actor.system("mail"), db.session.commit, ids=ids)
        except Exception:
            db.session.rollback()
            logger.exception("sending notices %s failed; `flask notify send` will retry", ids)

    def send() -> None:
        if has_app_context():  # a test keeping its own context open
            send_now()
            return
        with app.app_context():
            send_now()

    if response is not None:
        response.call_on_close(send)
    elif has_request_context():
        @after_this_request
        def later(response):
            response.call_on_close(send)
            return response
    else:
        send_now()


# --- preferences ----------------------------------------------------------------------------


def switched_off(user: User) -> set[NoticeKind]:
    return set(db.session.scalars(sa.select(NoticeOptOut.kind).where(NoticeOptOut.user_id == user.id)))


def set_preferences(actor: Actor, user: User, wanted: set[str]) -> None:
    actor.require(actor.user_id == user.id)
    off = {kind for kind in SWITCHABLE if kind.value not in wanted}
    db.session.execute(sa.delete(NoticeOptOut).where(NoticeOptOut.user_id == user.id))
    db.session.add_all(NoticeOptOut(user_id=user.id, kind=kind) for kind in off)
    db.session.flush()
