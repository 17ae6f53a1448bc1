"""The second step of sign-in: TOTP codes (RFC 6238) and one-time recovery codes.

* TOTP: 6 digits, SHA-1, 30-second steps (what every authenticator app does). A code is
  accepted for the current step and one step either side (clock drift), and only for a step
  later than the last one accepted for the user (``users.totp_last_step``), set by one
  conditional ``UPDATE``: a code is never accepted twice, even by two workers at once.
* Recovery codes: ``RECOVERY_CODES`` codes of 10 characters from a 32-letter alphabet
  (50 bits each), shown once, stored as SHA-256; each is spent by one conditional ``UPDATE``.
* Attempts are counted per account in the sign-in throttle (key ``2fa:<e-mail>``),
  with the same limits as passwords.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import datetime

import pyotp
import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.auth import services
from certreg.auth.models import AccountPolicy, LoginThrottle, Passkey, RecoveryCode, User
from certreg.db import utcnow
from certreg.errors import Conflict, Unauthenticated, ValidationFailed
from certreg.extensions import db

logger = logging.getLogger(__name__)

STEP_SECONDS = 30
RECOVERY_CODES = 10
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from paper
ISSUER = "certreg"


def throttle_key(user: User) -> str:
    return "2fa:" + user.email


# --- policy --------------------------------------------------------------------------


def required_for(user: User) -> bool:
    """Officials always need a second factor; everyone else when their country says so."""
    if user.is_official:
        return True
    return bool(db.session.scalar(
        sa.select(AccountPolicy.second_factor_for_everyone).where(AccountPolicy.country_code == user.country_code)
    ))


def needs_enrolment(user: User) -> bool:
    return not user.has_second_factor and required_for(user)


def country_policy(actor: Actor, country_code: str) -> AccountPolicy:
    actor.require(services.can_manage_users(actor, country_code))
    policy = db.session.get(AccountPolicy, country_code)
    return policy or AccountPolicy(country_code=country_code, second_factor_for_everyone=False)


def set_country_policy(actor: Actor, country_code: str, *, second_factor_for_everyone: bool) -> AccountPolicy:
    actor.require(services.can_manage_users(actor, country_code))
    policy = db.session.get(AccountPolicy, country_code)
    if policy is None:
        policy = AccountPolicy(country_code=country_code)
        db.session.add(policy)
    before = {"second_factor_for_everyone": bool(policy.second_factor_for_everyone)}
    policy.second_factor_for_everyone = second_factor_for_everyone
    db.session.flush()
    audit.record(actor, "account_policy.update", policy, object_type="account_policy", object_id=country_code,
                 country_code=country_code,
                 summary=audit.msg("Account rules of %(country)s changed", country=country_code),
                 before=before, after={"second_factor_for_everyone": second_factor_for_everyone})
    return policy


# --- enrolment -----------------------------------------------------------------------


def new_secret() -> str:
    """A random TOTP secret (160 bits, base32), kept by the caller until :func:`confirm_enrolment`."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` URI the QR code holds (Key Uri Format of Google Authenticator)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def confirm_enrolment(actor: Actor, user: User, secret: str, code: str) -> list[str]:
    """Turn on TOTP once a code proves the app holds ``secret``; returns the new recovery codes (shown once)."""
    actor.require(actor.user_id == user.id)
    if user.has_second_factor:
        raise Conflict(_("Two-step sign-in is already set up."), code="already_enrolled")
    step = _matching_step(secret, _digits(code), utcnow())
    if step is None:
        raise ValidationFailed.for_field("code", _("This code is not right. Check the time on your phone."),
                                         "invalid_code")
    user.totp_secret = secret
    user.totp_last_step = step  # this code cannot sign in again
    user.totp_confirmed_at = utcnow()
    codes = _new_recovery_codes(user)
    db.session.flush()
    audit.record(actor, "user.totp_enrol", user, summary=audit.msg("Two-step sign-in set up for %(email)s",
                                                                   email=user.email))
    return codes


def regenerate_recovery_codes(actor: Actor, user: User) -> list[str]:
    actor.require(actor.user_id == user.id)
    if not user.has_second_factor:
        raise Conflict(_("Set up two-step sign-in first."), code="not_enrolled")
    codes = _new_recovery_codes(user)
    audit.record(actor, "user.recovery_codes", user, summary=audit.msg("New recovery codes for %(email)s",
                                                                       email=user.email))
    return codes


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def reset(actor: Actor, user: User) -> None:
    """Remove the second factor (a lost phone): the user must enrol again at the next sign-in."""
    if actor.user_id == user.id and not actor.is_system:
        actor.require(not required_for(user))
    else:
        actor.require(services.can_manage_users(actor, user.country_code))
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(sa.delete(Passkey).where(Passkey.user_id == user.id))
    db.session.expire(user, ["passkeys"])
    services.end_all_sessions(user)
    db.session.flush()
    audit.record(actor, "user.totp_reset", user, summary=audit.msg("Two-step sign-in removed for %(email)s",
                                                                   email=user.email))


# --- the second step of sign-in ------------------------------------------------------------


def verify(user: User, code: str) -> str:
    """Check a TOTP or recovery code for a user whose password was right; returns which one it was.

    The caller has counted the attempt (:func:`certreg.auth.services.count_sign_in_attempt`
    with :func:`throttle_key`) and committed it.

    :raise RateLimited: too many attempts.
    :raise Unauthenticated: a wrong code (``invalid_code``) or one already used (``code_replayed``).
    """
    text = (code or "").strip()
    digits = _digits(text)
    if len(digits) == 6 and digits == text.replace(" ", ""):
        step = _matching_step(user.totp_secret or "", digits, utcnow())
        if step is not None:
            if user.totp_last_step is not None and step <= user.totp_last_step or not _spend_step(user, step):
                logger.warning("replayed TOTP code for %s", user.email)
                raise Unauthenticated(_("This code was already used. Wait for the next one."), code="code_replayed")
            _clear_throttle(user)
            return "totp"
    elif _spend_recovery_code(user, text):
        _clear_throttle(user)
        return "recovery_code"
    logger.info("wrong second-factor code for %s", user.email)
    raise Unauthenticated(_("Wrong code."), code="invalid_code")


def _digits(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())


def _matching_step(secret: str, digits: str, now: datetime) -> int | None:
    """The time step whose code ``digits`` is (current ±1), used or not; ``None`` if none."""
    if not secret or len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), digits):
            return step
    return None


def _spend_step(user: User, step: int) -> bool:
    """Record ``step`` as used, unless it (or a later one) already was: one atomic UPDATE."""
    result = db.session.execute(
        sa.update(User)
        .where(User.id == user.id, sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _spend_recovery_code(user: User, code: str) -> bool:
    normalised = normalise_recovery_code(code)
    if len(normalised) != 10:
        return False
    result = db.session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == services.sha256_hex(normalised),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=services.sha256_hex(c)) for c in codes)
    db.session.flush()
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def _clear_throttle(user: User) -> None:
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.account == throttle_key(user)))
