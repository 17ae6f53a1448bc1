"""Accounts, roles, sign-in sessions, API tokens and the sign-in throttle."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certreg.db import Base, created_at, enum_type, intpk, str2, str64, str120, str255, timestamp
from certreg.registry.models import Company, Country, Technician
from certreg.vocabulary import Role


class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    email: Mapped[str255] = mapped_column(unique=True, comment="Stored lower-case")
    password_hash: Mapped[str255]
    display_name: Mapped[str120]
    role: Mapped[Role] = mapped_column(enum_type(Role))
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    technician_id: Mapped[int | None] = mapped_column(sa.ForeignKey("technicians.id"), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[created_at]
    last_login_at: Mapped[timestamp | None]

    country: Mapped[Country] = relationship()
    company: Mapped[Company | None] = relationship()
    technician: Mapped[Technician | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'company_user') = (company_id IS NOT NULL)", name="company_user_has_company"
        ),
        sa.CheckConstraint(
            "(role = 'technician') = (technician_id IS NOT NULL)", name="technician_user_has_technician"
        ),
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    # Flask-Login protocol. The id kept in the signed cookie is the *session* id, so that
    # signing out revokes it on the server (see certreg.auth.session).
    session_token = None  # set per request, not stored

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class UserSession(Base):
    """A signed-in browser session. Signing out sets ``revoked_at``; the cookie is then worthless."""

    __tablename__ = "user_sessions"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str64] = mapped_column(unique=True, comment="SHA-256 hex of the session id in the cookie")
    created_at: Mapped[created_at]
    expires_at: Mapped[timestamp]
    revoked_at: Mapped[timestamp | None]
    user_agent: Mapped[str255 | None]

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A bearer token for ``/api/v1``. Only its SHA-256 is stored; the user sees it once."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str120]
    token_hash: Mapped[str64] = mapped_column(unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12), comment="First characters, to recognise the token in lists")
    created_at: Mapped[created_at]
    last_used_at: Mapped[timestamp | None]
    revoked_at: Mapped[timestamp | None]

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Sign-in attempts per account (lower-case e-mail), shared by all workers.

    Each attempt first reserves a slot with one atomic upsert; beyond
    ``LOGIN_MAX_ATTEMPTS`` in ``LOGIN_WINDOW_SECONDS`` the password is not even checked.
    """

    __tablename__ = "login_throttle"

    account: Mapped[str255] = mapped_column(primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    window_started_at: Mapped[datetime]
