"""This installation's federation key and address: what its peers pin and call."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.errors import NotFound
from certreg.extensions import db
from certreg.federation import wire
from certreg.federation.models import FederationKey
from certreg.tokens import encoding as token_text
from certreg.tokens import keys as signing_keys

logger = logging.getLogger(__name__)

_cache: dict[str, ec.EllipticCurvePrivateKey] = {}
_lock = threading.Lock()


def key_path(kid: str) -> Path:
    return Path(current_app.config["SIGNING_KEYS_DIR"]) / "federation" / f"{kid}.pem"


def own_base_url() -> str:
    """This installation's address as its peers know it (``FEDERATION_BASE_URL``, else ``PUBLIC_BASE_URL``)."""
    return (current_app.config.get("FEDERATION_BASE_URL") or current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def current_row() -> FederationKey | None:
    return db.session.scalar(sa.select(FederationKey).order_by(FederationKey.id.desc()).limit(1))


def ensure_key(actor: Actor) -> FederationKey:
    """The installation's federation key, created (and audited) the first time."""
    actor.require(actor.is_system)
    row = current_row()
    if row is not None:
        return row
    private_key = signing_keys.generate_key()
    public_key = private_key.public_key()
    kid = token_text.b64url_encode(signing_keys.kid_for(public_key))
    path = key_path(kid)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    signing_keys.save_private_key(private_key, path)
    jwk = signing_keys.public_jwk(public_key, country="XX")  # the shape of a trust list entry ...
    jwk = {k: v for k, v in jwk.items() if k not in ("country", "status")}  # ... without a country
    row = FederationKey(kid=kid, fingerprint=wire.fingerprint(public_key), public_jwk=jwk)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "federation_key.create", row, object_id=kid,
                 summary=audit.msg("New federation key %(fingerprint)s", fingerprint=row.fingerprint))
    logger.info("generated federation key %s at %s", kid, path)
    return row


def private_key() -> ec.EllipticCurvePrivateKey:
    """The federation key's private half (cached per process).

    :raise NotFound: no federation key yet (``flask federation key`` creates one), or its file is missing.
    """
    row = current_row()
    if row is None:
        raise NotFound(_("This installation has no federation key yet. Run: flask federation key"),
                       code="no_federation_key")
    with _lock:
        key = _cache.get(row.kid)
    if key is None:
        try:
            key = signing_keys.load_private_key(key_path(row.kid))
        except FileNotFoundError:
            raise NotFound(_("The federation key's private key file is missing."),
                           code="federation_key_file_missing") from None
        with _lock:
            _cache[row.kid] = key
    return key


def fingerprint() -> str | None:
    row = current_row()
    return row.fingerprint if row is not None else None
