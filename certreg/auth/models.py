"""Accounts, roles, sign-in sessions, API tokens and the sign-in throttle."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certreg.db import Base, created_at, enum_type, intpk, str2, str64, str120, str255, timestamp
from certreg.registry.models import Company, Country, Technician
from certreg.sealed import SealedString
from certreg.vocabulary import OFFICIAL_ROLES, Role


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
    totp_secret: Mapped[str | None] = mapped_column(
        SealedString(64, "users.totp_secret"),  # sealed at rest: certreg/sealed.py
        comment="Base32 TOTP secret (RFC 6238); in use once totp_confirmed_at is set")
    totp_confirmed_at: Mapped[timestamp | None]
    totp_last_step: Mapped[int | None] = mapped_column(
        sa.BigInteger, comment="Last accepted TOTP time step (Unix time // 30); codes of it or earlier are refused")

    country: Mapped[Country] = relationship()
    company: Mapped[Company | None] = relationship()
    technician: Mapped[Technician | None] = relationship()
    passkeys: Mapped[list[Passkey]] = relationship(order_by="Passkey.id", viewonly=True)

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
    session_row = None  # the UserSession of this request, set with session_token

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def is_official(self) -> bool:
        return self.role in OFFICIAL_ROLES

    @property
    def has_second_factor(self) -> bool:
        return self.totp_confirmed_at is not None  # passkeys are added once TOTP is on

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
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    last_seen_at: Mapped[timestamp | None] = mapped_column(comment="Updated at most every few minutes")

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
    read_only: Mapped[bool] = mapped_column(default=False, server_default=sa.false(),
                                            comment="Only GET/HEAD requests are allowed with this token")

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


class RecoveryCode(Base):
    """A one-time recovery code for the second step of sign-in; only its SHA-256 is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str64] = mapped_column(comment="SHA-256 hex of the normalised code")
    created_at: Mapped[created_at]
    used_at: Mapped[timestamp | None]


class PasswordResetToken(Base):
    """A single-use password reset link; only the SHA-256 of its secret is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str64] = mapped_column(unique=True)
    created_at: Mapped[created_at]
    expires_at: Mapped[timestamp]
    used_at: Mapped[timestamp | None]

    user: Mapped[User] = relationship()


class SignInEvent(Base):
    """One completed sign-in (the user's sign-in history); purged after SIGN_IN_HISTORY_DAYS."""

    __tablename__ = "sign_in_events"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    at: Mapped[created_at] = mapped_column(index=True)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str255 | None]
    browser_hash: Mapped[str | None] = mapped_column(
        sa.String(64), comment="SHA-256 hex of the browser's random cookie, to recognise a new browser")
    second_factor: Mapped[str | None] = mapped_column(sa.String(16), comment="totp, recovery_code or none")


class AccountPolicy(Base):
    """A country's account rules (set by its administrators)."""

    __tablename__ = "account_policies"

    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), primary_key=True)
    second_factor_for_everyone: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false(), comment="Not only officials must use a second factor")


class Passkey(Base):
    """A WebAuthn credential (passkey, security key): the phishing-resistant second factor."""

    __tablename__ = "passkeys"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(sa.LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary, comment="COSE public key")
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    name: Mapped[str120]
    created_at: Mapped[created_at]
    last_used_at: Mapped[timestamp | None]
