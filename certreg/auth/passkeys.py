"""Passkeys (WebAuthn, with the ``webauthn`` package): a phishing-resistant second factor.

The relying party is the site the browser is on: ``WEBAUTHN_RP_ID`` if set, else the request's
host name; the expected origin is the request's own. The challenge of each ceremony waits in
the signed session cookie (``CHALLENGE``) and is used once.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app, request, session
from flask_babel import gettext as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.auth.models import Passkey, User
from certreg.db import utcnow
from certreg.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from certreg.extensions import db

logger = logging.getLogger(__name__)

CHALLENGE = "webauthn_challenge"


def _rp_id() -> str:
    return current_app.config.get("WEBAUTHN_RP_ID") or request.host.rsplit(":", 1)[0].strip("[]")


def _origin() -> str:
    return request.host_url.rstrip("/")


def _take_challenge(kind: str) -> bytes:
    stored = session.pop(CHALLENGE, None)
    if not isinstance(stored, dict) or stored.get("kind") != kind:
        raise ValidationFailed(_("Start again: the passkey request expired."), code="passkey_challenge_missing")
    return base64url_to_bytes(stored["challenge"])


def registration_options(actor: Actor, user: User) -> str:
    """Options for ``navigator.credentials.create`` (JSON); a passkey is added once TOTP is on."""
    actor.require(actor.user_id == user.id)
    if not user.has_second_factor:
        raise Conflict(_("Set up two-step sign-in first."), code="not_enrolled")
    options = generate_registration_options(
        rp_id=_rp_id(), rp_name="certreg", user_name=user.email, user_display_name=user.display_name,
        user_id=f"certreg-user-{user.id}".encode(),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in user.passkeys],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED),
    )
    session[CHALLENGE] = {"kind": "register", "challenge": bytes_to_base64url(options.challenge)}
    return options_to_json(options)


def register(actor: Actor, user: User, credential: dict, name: str) -> Passkey:
    """Store the passkey the browser created (the response to :func:`registration_options`)."""
    actor.require(actor.user_id == user.id)
    challenge = _take_challenge("register")
    try:
        verified = verify_registration_response(credential=credential, expected_challenge=challenge,
                                                expected_rp_id=_rp_id(), expected_origin=_origin())
    except (InvalidRegistrationResponse, KeyError, TypeError, ValueError) as exc:
        logger.info("passkey registration refused for %s: %s", user.email, exc)
        raise ValidationFailed(_("The passkey could not be checked. Try again."), code="passkey_invalid") from None
    passkey = Passkey(user_id=user.id, credential_id=verified.credential_id, public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, name=(name or "").strip()[:120] or _("Passkey"))
    db.session.add(passkey)
    db.session.flush()
    db.session.expire(user, ["passkeys"])
    audit.record(actor, "user.passkey_add", user, summary=audit.msg("Passkey “%(name)s” added for %(email)s",
                                                                    name=passkey.name, email=user.email))
    return passkey


def authentication_options(user: User) -> str:
    options = generate_authentication_options(
        rp_id=_rp_id(), allow_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in user.passkeys],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    session[CHALLENGE] = {"kind": "authenticate", "challenge": bytes_to_base64url(options.challenge)}
    return options_to_json(options)


def authenticate(user: User, credential: dict) -> Passkey:
    """Check the browser's answer to :func:`authentication_options` for ``user``.

    :raise Unauthenticated: ``passkey_invalid`` (unknown credential, bad signature, replayed counter).
    """
    challenge = _take_challenge("authenticate")
    passkey = None
    try:
        raw_id = credential.get("rawId") or credential.get("id") or ""
        passkey = db.session.scalar(sa.select(Passkey).where(Passkey.user_id == user.id,
                                                             Passkey.credential_id == base64url_to_bytes(raw_id)))
        if passkey is None:
            raise InvalidAuthenticationResponse("unknown credential")
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=_rp_id(), expected_origin=_origin(),
            credential_public_key=passkey.public_key, credential_current_sign_count=passkey.sign_count)
    except (InvalidAuthenticationResponse, AttributeError, KeyError, TypeError, ValueError) as exc:
        logger.info("passkey sign-in refused for %s: %s", user.email, exc)
        raise Unauthenticated(_("The passkey was not accepted."), code="passkey_invalid") from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    db.session.flush()
    return passkey


def remove(actor: Actor, passkey_id: int) -> None:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != actor.user_id:
        raise NotFound()
    user = db.session.get(User, passkey.user_id)
    db.session.delete(passkey)
    db.session.flush()
    db.session.expire(user, ["passkeys"])
    audit.record(actor, "user.passkey_remove", user, summary=audit.msg("Passkey “%(name)s” removed for %(email)s",
                                                                       name=passkey.name, email=user.email))
