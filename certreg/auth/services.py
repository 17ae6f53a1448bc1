"""Accounts: sign-in with a throttle shared by all workers, sessions, API tokens, user management."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.security import check_password_hash, generate_password_hash

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.auth.models import ApiToken, LoginThrottle, User, UserSession
from certreg.auth.passwords import check_password_strength
from certreg.autocommit_query import AutocommitQuery
from certreg.db import utcnow
from certreg.errors import Conflict, NotFound, RateLimited, Unauthenticated, ValidationFailed
from certreg.extensions import db
from certreg.registry.models import Company, Technician
from certreg.registry.services import get_country
from certreg.vocabulary import OFFICIAL_ROLES, Role

logger = logging.getLogger(__name__)

API_TOKEN_PREFIX = "crt_"  # noqa: S105 (a prefix, not a secret)
# A hash to compare against when the account does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("certreg-dummy-password")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


# --- sign-in throttle ----------------------------------------------------------------


@dataclass(frozen=True)
class SignInAttempt:
    account: str
    number: int  # the n-th attempt for this account in the current window, across all workers
    window_started_at: datetime


def count_sign_in_attempt(email: str) -> SignInAttempt:
    """Count one sign-in attempt for the account atomically.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, so two workers can never read
    the same count. The caller commits it *before* checking the password, so that a
    failed attempt counts even though the request then fails.
    """
    account = normalise_email(email)
    now = utcnow()
    cutoff = now - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LoginThrottle)
    table = LoginThrottle.__table__
    expired = table.c.window_started_at < cutoff
    stmt = (
        insert.values(account=account, attempts=1, window_started_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.account],
            set_={
                "attempts": sa.case((expired, 1), else_=table.c.attempts + 1),
                "window_started_at": sa.case((expired, now), else_=table.c.window_started_at),
            },
        )
        .returning(table.c.attempts, table.c.window_started_at)
    )
    number, started = db.session.execute(stmt).one()
    if started.tzinfo is None:  # SQLite returns what it stored: naive UTC
        started = started.replace(tzinfo=UTC)
    return SignInAttempt(account, number, started)


def refuse_if_throttled(attempt: SignInAttempt) -> None:
    """:raise RateLimited: beyond ``LOGIN_MAX_ATTEMPTS`` attempts in the window (nothing is then checked)."""
    if attempt.number > current_app.config["LOGIN_MAX_ATTEMPTS"]:
        window = timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
        retry_after = max(1, int((attempt.window_started_at + window - utcnow()).total_seconds()))
        logger.warning("sign-in throttled for %s (attempt %s)", attempt.account, attempt.number)
        raise RateLimited(
            _("Too many sign-in attempts for this account. Try again in %(minutes)s minutes.",
              minutes=max(1, round(retry_after / 60))),
            retry_after=retry_after,
            code="login_throttled",
        )


def authenticate(attempt: SignInAttempt, password: str) -> User:
    """Check the password of a counted attempt (see :func:`count_sign_in_attempt`).

    :raise RateLimited: beyond ``LOGIN_MAX_ATTEMPTS`` attempts for this account in the
        window; the password is then not checked at all, right or wrong.
    :raise Unauthenticated: wrong e-mail or password, or a deactivated account.
    """
    refuse_if_throttled(attempt)
    user = db.session.scalar(sa.select(User).where(User.email == attempt.account))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if not (user and valid and user.is_active):
        logger.info("failed sign-in for %s", attempt.account)
        raise Unauthenticated(_("Wrong e-mail or password."), code="invalid_credentials")
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.account == attempt.account))
    return user


# --- browser sessions ----------------------------------------------------------------


def session_lifetime(user: User) -> timedelta:
    """How long a session lasts at most: ``OFFICIAL_SESSION_HOURS`` for officials."""
    if user.is_official:
        return timedelta(hours=current_app.config["OFFICIAL_SESSION_HOURS"])
    return current_app.config["PERMANENT_SESSION_LIFETIME"]


def start_session(user: User, *, user_agent: str | None = None, ip_address: str | None = None) -> str:
    """Create a server-side session; returns the secret session id to keep in the signed cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            user=user,
            token_hash=sha256_hex(token),
            created_at=now,
            expires_at=now + session_lifetime(user),
            user_agent=(user_agent or "")[:255] or None,
            ip_address=(ip_address or "")[:45] or None,
            last_seen_at=now,
        )
    )
    user.last_login_at = utcnow()
    user.session_token = token
    db.session.flush()
    return token


def user_for_session(token: str) -> User | None:
    row = db.session.execute(
        sa.select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == sha256_hex(token))
    ).first()
    if row is None:
        return None
    user_session, user = row
    if user_session.revoked_at is not None or user_session.expires_at <= utcnow() or not user.is_active:
        return None
    user.session_token = token
    user.session_row = user_session
    return user


def end_session(token: str | None) -> None:
    if not token:
        return
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.token_hash == sha256_hex(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def end_all_sessions(user: User) -> None:
    db.session.execute(
        sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None)).values(
            revoked_at=utcnow()
        )
    )


# --- API tokens ------------------------------------------------------------------


def create_api_token(actor: Actor, user: User, name: str, *, read_only: bool = False) -> tuple[ApiToken, str]:
    """Create a bearer token for ``user``; the plain token is returned once and never stored.

    A ``read_only`` token is refused (403, ``token_read_only``) on anything but GET and HEAD.
    """
    actor.require(actor.user_id == user.id)
    plain = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip()[:120] or "API", token_hash=sha256_hex(plain), prefix=plain[:12],
                     read_only=read_only)
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token.create", token, object_type="api_token", country_code=user.country_code,
                 summary=audit.msg("API token “%(name)s” (%(prefix)s…) for %(email)s",
                                   name=token.name, prefix=token.prefix, email=user.email))
    return token, plain


@dataclass(frozen=True, slots=True)
class TokenUser:
    """An API token's user as the request's :class:`~certreg.actors.Actor` reads it: the columns the rules ask
    of an actor, read with the token in one statement outside the request's transaction
    (:data:`_TOKEN_USER`). Anything else (the display name, a relationship) is the :class:`User` itself,
    loaded through the session on first use, so code written for a ``User`` reads the same values."""

    id: int
    email: str
    role: Role
    country_code: str
    company_id: int | None
    technician_id: int | None
    is_active: bool
    token_read_only: bool

    @property
    def record(self) -> User:
        """The user as a mapped object (from the session's identity map after the first time)."""
        user = db.session.get(User, self.id)
        if user is None:  # deleted since the token was read: as if the token were wrong
            raise Unauthenticated(_("The API token is wrong or was revoked."), code="invalid_token")
        return user

    @property
    def is_official(self) -> bool:
        return self.role in OFFICIAL_ROLES

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.record, name)


#: Every API request asks: the token's user and the token, one indexed row read on connections kept for it in
#: autocommit (:class:`~certreg.autocommit_query.AutocommitQuery`). Neither a transaction nor a mapped object
#: is needed to know who is asking, and most reads need nothing more (bench/profile_scan.py: about 250 µs of
#: a border check went here through the session, 15 µs this way).
_TOKEN_USER = AutocommitQuery(
    sa.select(User.id, User.email, User.role, User.country_code, User.company_id, User.technician_id,
              User.is_active, ApiToken.id.label("token_id"), ApiToken.revoked_at, ApiToken.last_used_at,
              ApiToken.read_only)
    .join(ApiToken, User.id == ApiToken.user_id).where(ApiToken.token_hash == sa.bindparam("token_hash")))
_TOKEN_USED = sa.update(ApiToken).where(ApiToken.id == sa.bindparam("token_id")).values(
    last_used_at=sa.bindparam("now")).execution_options(synchronize_session=False)


def user_for_api_token(plain: str) -> TokenUser | None:
    """The user of API token ``plain``; None: no such token, revoked, or the user is deactivated."""
    if not plain.startswith(API_TOKEN_PREFIX):
        return None
    row = _TOKEN_USER.read(token_hash=sha256_hex(plain))
    if row is None or row.revoked_at is not None or not row.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        # at most every five minutes; written with the request's own commit, if any
        db.session.execute(_TOKEN_USED, {"token_id": row.token_id, "now": now})
    return TokenUser(row.id, row.email, row.role, row.country_code, row.company_id, row.technician_id,
                     row.is_active, row.read_only)


def list_api_tokens(actor: Actor, user: User) -> list[ApiToken]:
    actor.require(actor.user_id == user.id)
    return list(
        db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
    )


def revoke_api_token(actor: Actor, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or not (actor.is_system or token.user_id == actor.user_id):
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        audit.record(actor, "api_token.revoke", token, object_type="api_token",
                     country_code=token.user.country_code, summary=audit.msg("Revoked API token %(prefix)s…",
                                                                             prefix=token.prefix))
    return token


# --- users -----------------------------------------------------------------------


@dataclass
class UserData:
    email: str
    display_name: str
    role: str
    country_code: str
    company_id: int | None = None
    technician_id: int | None = None
    is_active: bool = True


def can_manage_users(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, Role.ADMIN)


def _resolve_links(data: UserData) -> tuple[Role, Company | None, Technician | None]:
    try:
        role = Role(data.role)
    except ValueError:
        raise ValidationFailed.for_field("role", _("Unknown role."), "invalid_choice") from None
    country = get_country(data.country_code)
    company = technician = None
    if role is Role.COMPANY_USER:
        company = db.session.get(Company, data.company_id) if data.company_id else None
        if company is None or company.country_code != country.code:
            raise ValidationFailed.for_field(
                "company_id", _("Choose a company registered in this country."), "unknown_company"
            )
    elif role is Role.TECHNICIAN:
        technician = db.session.get(Technician, data.technician_id) if data.technician_id else None
        if technician is None or technician.country_code != country.code:
            raise ValidationFailed.for_field(
                "technician_id", _("Choose a technician registered in this country."), "unknown_technician"
            )
    return role, company, technician


USER_FIELDS = ["email", "display_name", "role", "country_code", "company_id", "technician_id", "is_active"]


def create_user(actor: Actor, data: UserData, password: str) -> User:
    actor.require(can_manage_users(actor, data.country_code))
    email = normalise_email(data.email)
    role, company, technician = _resolve_links(data)
    check_password_strength(password, official=role in OFFICIAL_ROLES)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise ValidationFailed.for_field("email", _("An account with this e-mail already exists."), "duplicate_email")
    user = User(
        email=email,
        display_name=data.display_name,
        role=role,
        country_code=data.country_code.upper(),
        company=company,
        technician=technician,
        is_active=data.is_active,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", user, summary=audit.msg("Created account %(email)s (%(role)s)",
                                                               email=email, role=role.value),
                 after=audit.snapshot(user, USER_FIELDS))
    return user


def update_user(actor: Actor, user: User, data: UserData) -> User:
    actor.require(can_manage_users(actor, user.country_code) and can_manage_users(actor, data.country_code))
    email = normalise_email(data.email)
    role, company, technician = _resolve_links(data)
    if email != user.email and db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise ValidationFailed.for_field("email", _("An account with this e-mail already exists."), "duplicate_email")
    if actor.user_id == user.id and (role is not Role.ADMIN or not data.is_active):
        raise Conflict(_("You cannot remove your own administrator role or deactivate yourself."),
                       code="cannot_demote_self")
    before = audit.snapshot(user, USER_FIELDS)
    user.email, user.display_name, user.role = email, data.display_name, role
    user.country_code = data.country_code.upper()
    user.company, user.technician = company, technician
    user.is_active = data.is_active
    db.session.flush()
    if not user.is_active:
        end_all_sessions(user)
    audit.record(actor, "user.update", user, summary=audit.msg("Edited account %(email)s", email=email),
                 before=before, after=audit.snapshot(user, USER_FIELDS))
    return user


def set_password(actor: Actor, user: User, password: str, *, current_password: str | None = None) -> None:
    if actor.user_id == user.id and not actor.is_system:
        if current_password is None or not check_password_hash(user.password_hash, current_password):
            raise ValidationFailed.for_field("current_password", _("Wrong password."), "wrong_password")
    else:
        actor.require(can_manage_users(actor, user.country_code))
    check_password_strength(password, official=user.is_official)
    user.password_hash = hash_password(password)
    end_all_sessions(user)
    db.session.flush()
    audit.record(actor, "user.set_password", user, summary=audit.msg("Password changed for %(email)s",
                                                                     email=user.email))


def set_locale(user: User, code: str) -> None:
    user.locale = code
    db.session.flush()


def get_user(actor: Actor, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not can_manage_users(actor, user.country_code):
        raise NotFound()
    return user


def get_user_by_email(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(_("No account with this e-mail."))
    return user


def list_users(actor: Actor, country_code: str) -> list[User]:
    actor.require(can_manage_users(actor, country_code))
    return list(db.session.scalars(sa.select(User).where(User.country_code == country_code).order_by(User.email)))
