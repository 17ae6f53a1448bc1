"""The outbox of e-mail notices and each user's choice of notices."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from certreg.db import Base, created_at, enum_type, intpk, str255, timestamp


class NoticeKind(enum.StrEnum):
    CERTIFICATE_EXPIRING = "certificate_expiring"
    CERTIFICATE_STATUS = "certificate_status"  # suspended or revoked
    TRANSFER_PENDING = "transfer_pending"
    TRANSFER_DISPUTED = "transfer_disputed"
    NEW_SIGN_IN = "new_sign_in"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of notice, not a secret)
    ANOMALY_ASSIGNED = "anomaly_assigned"
    SHIPMENT_AWAITING = "shipment_awaiting"  # a shipment announced to customs awaits the border decision


#: Notices each user can switch off (a password reset link always goes out: the user asked for it).
SWITCHABLE = {
    NoticeKind.CERTIFICATE_EXPIRING: _l("A certificate (yours or an employee's) expires in 60, 30 or 7 days"),
    NoticeKind.CERTIFICATE_STATUS: _l("A certificate (yours or an employee's) is suspended or revoked"),
    NoticeKind.TRANSFER_PENDING: _l("A sale or export to you awaits your confirmation"),
    NoticeKind.TRANSFER_DISPUTED: _l("Your sale or export was disputed by the buyer"),
    NoticeKind.NEW_SIGN_IN: _l("Your account was signed in from a new browser"),
    NoticeKind.ANOMALY_ASSIGNED: _l("An anomaly was assigned to you for review"),
    NoticeKind.SHIPMENT_AWAITING: _l("A shipment awaits a border decision (inspectors)"),
}


class OutboxMessage(Base):
    """One e-mail, rendered in the recipient's language when queued, sent by ``flask notify send``.

    ``key`` names the notice (e.g. ``certificate_expiring:12:30:7``): a unique key means
    nobody gets the same notice twice, however often the collectors run.
    """

    __tablename__ = "outbox"

    id: Mapped[intpk]
    key: Mapped[str255] = mapped_column(unique=True, comment="What the notice is about and for whom")
    kind: Mapped[NoticeKind] = mapped_column(enum_type(NoticeKind))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str255]
    locale: Mapped[str] = mapped_column(sa.String(8))
    subject: Mapped[str255]
    body: Mapped[str] = mapped_column(sa.Text, comment="Emptied after sending when it holds a secret link")
    secret: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[created_at]
    sent_at: Mapped[timestamp | None]
    claimed_until: Mapped[timestamp | None] = mapped_column(comment="A sender is working on it until then")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.Index("ix_outbox_unsent", "id", sqlite_where=sa.text("sent_at IS NULL"),
                 postgresql_where=sa.text("sent_at IS NULL")),
    )


class NoticeOptOut(Base):
    """A kind of notice the user switched off."""

    __tablename__ = "notice_opt_outs"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(enum_type(NoticeKind), primary_key=True)
