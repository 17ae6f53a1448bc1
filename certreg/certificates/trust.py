"""The trust list (JWKS) and the signed status lists, built from the database and cached per process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app

from certreg.certificates.models import Certificate, CertificateCounter, CertificateStatus
from certreg.certificates.states import today
from certreg.db import utcnow
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.keys.models import KeyStatus, SigningKey
from certreg.tokens import peers
from certreg.tokens import status_list as statuslist
from certreg.tokens.encoding import MalformedToken
from certreg.tokens.keys import TrustList

T = TypeVar("T")

#: The kind of status list certificates publish (:mod:`certreg.tokens.peers`, the federation's documents).
STATUS_KIND = "certificates"

#: The per-country counter that gives each certificate its index in the status list.
STATUS_COUNTER = "status"

_cache_lock = threading.Lock()
_cache: dict[str, tuple[float, object]] = {}


def cached(name: str, ttl_setting: str, build: Callable[[], T]) -> T:
    """``build()``, remembered per process for the setting ``ttl_setting``'s seconds (per database)."""
    ttl = current_app.config[ttl_setting]
    key = f"{name}:{current_app.config['SQLALCHEMY_DATABASE_URI']}"
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    value = build()
    with _cache_lock:
        _cache[key] = (now, value)
    return value


def jwks_document() -> dict:
    return cached("jwks", "TRUST_LIST_CACHE_SECONDS", keys.jwks_document)


def trust_list() -> TrustList:
    return cached("trust", "TRUST_LIST_CACHE_SECONDS", lambda: TrustList.from_jwks(jwks_document()))


def _build_status_lists() -> dict[str, str]:
    day, now = today(), utcnow()
    countries = db.session.scalars(
        sa.select(SigningKey.country_code).where(SigningKey.status == KeyStatus.ACTIVE)
    ).all()
    sizes = dict(db.session.execute(
        sa.select(CertificateCounter.country_code, CertificateCounter.value)
        .where(CertificateCounter.name == STATUS_COUNTER)
    ).all())
    flagged: dict[str, dict[int, int]] = {c: {} for c in countries}
    rows = db.session.execute(
        sa.select(Certificate.country_code, Certificate.status_index, Certificate.status, Certificate.suspended_from,
                  Certificate.suspended_until).where(Certificate.status != CertificateStatus.ACTIVE)
    )
    for country, index, status, s_from, s_until in rows:
        if country not in flagged:
            continue
        if status is CertificateStatus.REVOKED:
            flagged[country][index] = statuslist.STATUS_INVALID
        elif status is CertificateStatus.SUPERSEDED:
            flagged[country][index] = statuslist.STATUS_SUPERSEDED
        elif s_from is not None and s_from <= day and (s_until is None or day <= s_until):
            flagged[country][index] = statuslist.STATUS_SUSPENDED
    tokens = {}
    for country in countries:
        key = keys.active_key(country)
        lst = statuslist.build_status_list(flagged[country], sizes.get(country, 0))
        tokens[country] = statuslist.encode_status_list_token(
            country, lst, key.private_key, issued_at=now, ttl=current_app.config["STATUS_LIST_TTL_SECONDS"])
    return tokens


def own_status_list_document() -> dict:
    """``{"status_lists": {CC: token}}`` for every country with an active key (signed, cached briefly)."""
    return cached("status", "STATUS_LIST_CACHE_SECONDS", lambda: statuslist.status_list_document(_build_status_lists()))


def status_list_document() -> dict:
    """What this installation's verifiers use: its own lists, then its federation peers' (with ``origins``)."""
    own = own_status_list_document()
    return peers.merge_status_document(own, STATUS_KIND, set(own["status_lists"]))


def peer_status_list(country: str) -> statuslist.StatusList | None:
    """The verified status list of a peer installation's ``country`` (its last synced copy), if any."""
    own = own_status_list_document()
    entry = peers.peer_status_lists(STATUS_KIND, set(own["status_lists"])).get(country)
    if entry is None:
        return None
    try:
        return statuslist.verify_status_list_token(entry.token, trust_list())
    except (ValueError, MalformedToken):
        return None


def last_valid_day(kid: str) -> date | None:
    """The last day any certificate signed by key ``kid`` is valid (any status, so that a revoked
    card still shows red, not "unknown key"), or ``None`` if it signed none: how long a retired key
    stays in the trust list for certificates (:func:`certreg.keys.services.publish_until`)."""
    return db.session.scalar(sa.select(sa.func.max(Certificate.valid_until)).where(Certificate.kid == kid))
