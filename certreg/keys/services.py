"""Generate, rotate and load the countries' signing keys; publish the trust list (JWKS)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.db import utcnow
from certreg.errors import Conflict, NotFound
from certreg.extensions import db
from certreg.keys.models import KeyStatus, SigningKey
from certreg.registry.services import get_country
from certreg.tokens import encoding as token_text
from certreg.tokens import keys as signing_keys
from certreg.tokens import peers

logger = logging.getLogger(__name__)

_private_cache: dict[str, ec.EllipticCurvePrivateKey] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class ActiveKey:
    country_code: str
    kid: str  # base64url text form
    kid_bytes: bytes
    private_key: ec.EllipticCurvePrivateKey


def key_path(country_code: str, kid: str) -> Path:
    return Path(current_app.config["SIGNING_KEYS_DIR"]) / country_code / f"{kid}.pem"


def _create(actor: Actor, country_code: str) -> SigningKey:
    private_key = signing_keys.generate_key()
    kid = token_text.b64url_encode(signing_keys.kid_for(private_key.public_key()))
    path = key_path(country_code, kid)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    signing_keys.save_private_key(private_key, path)
    key = SigningKey(
        country_code=country_code,
        kid=kid,
        public_jwk=signing_keys.public_jwk(private_key.public_key(), country=country_code, status="active"),
        status=KeyStatus.ACTIVE,
    )
    db.session.add(key)
    db.session.flush()
    audit.record(actor, "signing_key.create", key, object_id=kid,
                 summary=audit.msg("New signing key %(kid)s for %(country)s", kid=kid, country=country_code))
    logger.info("generated signing key %s for %s at %s", kid, country_code, path)
    return key


def active_key_row(country_code: str) -> SigningKey | None:
    return db.session.scalar(
        sa.select(SigningKey).where(SigningKey.country_code == country_code, SigningKey.status == KeyStatus.ACTIVE)
    )


def generate(actor: Actor, country_code: str) -> SigningKey:
    """Create the country's first key.

    :raise Conflict: the country already has an active key (use :func:`rotate`).
    """
    actor.require(actor.is_system)
    country = get_country(country_code, field="country")
    if active_key_row(country.code) is not None:
        raise Conflict(_("This country already has an active key; rotate it instead."), code="key_exists")
    return _create(actor, country.code)


#: Each kind of document signed with the countries' keys answers the last day a document signed by
#: a key is valid (``kid -> date | None``). The app factory registers them (certificates today), so
#: the keys feature needs to know none of them.
_SIGNED_DOCUMENTS: dict[str, Callable[[str], date | None]] = {}


def register_signed_documents(name: str, last_valid_day: Callable[[str], date | None]) -> None:
    _SIGNED_DOCUMENTS[name] = last_valid_day


def publish_until(key: SigningKey) -> datetime:
    """How long a retired key stays in the trust list: two days past the last day anything it signed
    is valid, or the status lists' lifetime if it signed nothing still valid. Two days cover every time
    zone a verifier's calendar may be in."""
    grace = utcnow() + timedelta(seconds=current_app.config["STATUS_LIST_TTL_SECONDS"])  # lists it signed
    days = [day for last_valid_day in _SIGNED_DOCUMENTS.values() if (day := last_valid_day(key.kid)) is not None]
    if not days:
        return grace
    last = max(days)
    return max(grace, datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=2))


def rotate(actor: Actor, country_code: str) -> SigningKey:
    """Retire the active key and create a new one. The retired key stays in the trust list."""
    actor.require(actor.is_system)
    country = get_country(country_code, field="country")
    old = active_key_row(country.code)
    if old is not None:
        old.status = KeyStatus.RETIRED
        old.retired_at = utcnow()
        old.public_jwk = {**old.public_jwk, "status": "retired"}
        old.publish_until = publish_until(old)  # published while what it signed is valid
        db.session.flush()
        audit.record(actor, "signing_key.retire", old, object_id=old.kid,
                     summary=audit.msg("Retired signing key %(kid)s", kid=old.kid))
    return _create(actor, country.code)


def ensure(actor: Actor, country_codes: list[str]) -> list[SigningKey]:
    """Give each listed country a key if it has none (idempotent)."""
    return [_create(actor, code) for code in country_codes if active_key_row(code) is None]


def active_key(country_code: str) -> ActiveKey:
    """The country's active signing key, loaded from its file (cached per process).

    :raise NotFound: no active key, or its file is missing.
    """
    row = active_key_row(country_code)
    if row is None:
        raise NotFound(_("No signing key for %(country)s. Run: flask keys generate --country %(country)s",
                         country=country_code), code="no_signing_key")
    with _cache_lock:
        private_key = _private_cache.get(row.kid)
    if private_key is None:
        path = key_path(country_code, row.kid)
        try:
            private_key = signing_keys.load_private_key(path)
        except FileNotFoundError:
            raise NotFound(_("The private key file of %(country)s is missing.", country=country_code),
                           code="signing_key_file_missing") from None
        with _cache_lock:
            _private_cache[row.kid] = private_key
    return ActiveKey(country_code, row.kid, token_text.b64url_decode(row.kid), private_key)


def published_keys(now: datetime | None = None) -> list[SigningKey]:
    """Keys in the trust list: every active key and every retired key still needed."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(SigningKey)
            .where(sa.or_(SigningKey.publish_until.is_(None), SigningKey.publish_until > now))
            .order_by(SigningKey.country_code, SigningKey.id)
        )
    )


def jwks_document(now: datetime | None = None) -> dict:
    """The trust list this installation's verifiers use: its own published keys, then the keys of
    its federation peers' countries (:mod:`certreg.tokens.peers`, each marked with its origin)."""
    own = published_keys(now)
    local = {key.country_code for key in own}
    return signing_keys.jwks([*(key.public_jwk for key in own), *peers.peer_keys(local)])


def own_jwks_document(now: datetime | None = None) -> dict:
    """The keys of this installation's own countries only (what it publishes to its peers)."""
    return signing_keys.jwks(key.public_jwk for key in published_keys(now))


def local_countries() -> set[str]:
    """The countries this installation signs for (an active key)."""
    return set(db.session.scalars(sa.select(SigningKey.country_code).where(SigningKey.status == KeyStatus.ACTIVE)))


def trust_list(now: datetime | None = None) -> signing_keys.TrustList:
    return signing_keys.TrustList.from_jwks(jwks_document(now))


def list_keys(country_code: str | None = None) -> list[SigningKey]:
    query = sa.select(SigningKey).order_by(SigningKey.country_code, SigningKey.id)
    if country_code:
        query = query.where(SigningKey.country_code == country_code.upper())
    return list(db.session.scalars(query))
