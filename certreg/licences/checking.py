"""Checking a licence token: offline (signature, then the signed licence status list, then dates) and
online (the same, with the live status of the register), behind ``/l/<token>`` and the API.

The algorithm is :mod:`certreg.licences.token`'s docstring; ``static/js/licence-core.js`` is the
same for the browser.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa

from certreg.autocommit_query import AutocommitQuery
from certreg.certificates import scanlog, trust
from certreg.certificates.states import today
from certreg.certificates.verification import count_verification
from certreg.extensions import db
from certreg.licences import documents
from certreg.licences.models import Licence, LicenceStatus
from certreg.licences.token import LICENCE_TOKEN, STATUS_VALID, STATUS_VERDICTS, LicenceClaims
from certreg.memo import SignatureMemo
from certreg.registry.models import Company
from certreg.tokens import format as tokens
from certreg.tokens.encoding import BadSignature, MalformedToken, UnknownKey, UnsupportedVersion, WrongIssuer
from certreg.tokens.keys import KeyResolver, TrustList
from certreg.tokens.status_list import StatusList

VERDICTS: Final = ("VALID", "INVALID_SIGNATURE", "REVOKED", "SUSPENDED", "EXPIRED", "NOT_YET_VALID", "SUPERSEDED",
                   "UNKNOWN")
_IN_URL: Final = re.compile(r"/l/([A-Za-z2-7]+)/?(?:[?#].*)?$")
#: The verdict of a register status that is not active.
_STATUS_VERDICTS: Final = {LicenceStatus.REVOKED: "REVOKED", LicenceStatus.SUSPENDED: "SUSPENDED",
                           LicenceStatus.EXPIRED: "EXPIRED"}


@dataclass(frozen=True, slots=True)
class Register:
    """What the register says now about a checked licence (the holder's name and HS codes: what a version 1
    token does not sign)."""

    id: int
    status: LicenceStatus
    holder_name: str
    hs_codes: tuple[str, ...]
    updated_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class LicenceCheck:
    """``claims`` only when the signature verified; ``licence`` (online) what the register says, if found."""

    verdict: str
    reason: str | None = None
    claims: LicenceClaims | None = None
    status_as_of: dt.datetime | None = None
    licence: Register | None = None


#: One indexed row per check: the live status and what the page shows beside the claims.
REGISTER_QUERY = (sa.select(Licence.id, Licence.status, Licence.token, Licence.hs_codes, Licence.updated_at,
                             Company.name_latin)
                   .join(Company, Company.id == Licence.company_id)
                   .where(Licence.country_code == sa.bindparam("country"), Licence.number == sa.bindparam("number")))
_register_read = AutocommitQuery(REGISTER_QUERY)
_verified: SignatureMemo[LicenceCheck | LicenceClaims] = SignatureMemo()


def _verified_signature(text: str, trusted: TrustList) -> LicenceCheck | LicenceClaims:
    """:func:`_signature` under the trust list, remembered per token (the same licence is checked again and
    again at a border post: :class:`certreg.memo.SignatureMemo`)."""
    return _verified.get(text.upper(), trusted, lambda: _signature(text, trusted))


def _read_register(country: str, number: str) -> Any:
    """The register's row, read live. When scans are written behind, one autocommitted SELECT on a connection
    kept for it (as the certificate check's status read); otherwise inside the request's transaction."""
    if not scanlog.buffered():
        return db.session.execute(REGISTER_QUERY, {"country": country, "number": number}).first()
    return _register_read.first(db.engine, country=country, number=number)


def token_from_scan(text: str) -> str:
    """The token of a scanned ``…/l/TOKEN`` URL, or the text itself."""
    text = (text or "").strip()
    match = _IN_URL.search(text)
    return match.group(1) if match else text


def _signature(text: str, resolve_key: KeyResolver) -> LicenceCheck | LicenceClaims:
    try:
        return tokens.verify(LICENCE_TOKEN, text, resolve_key)
    except UnsupportedVersion:
        return LicenceCheck("UNKNOWN", "unsupported-version")
    except MalformedToken:
        return LicenceCheck("INVALID_SIGNATURE", "malformed")
    except UnknownKey:
        return LicenceCheck("UNKNOWN", "unknown-key")
    except WrongIssuer:
        return LicenceCheck("INVALID_SIGNATURE", "issuer-mismatch")
    except BadSignature:
        return LicenceCheck("INVALID_SIGNATURE", "bad-signature")


def _dates(claims: LicenceClaims, day: dt.date, **extra) -> LicenceCheck:
    if day < claims.valid_from:
        return LicenceCheck("NOT_YET_VALID", None, claims, **extra)
    if day > claims.valid_until:
        return LicenceCheck("EXPIRED", None, claims, **extra)
    return LicenceCheck("VALID", None, claims, **extra)


def assess(text: str, resolve_key: KeyResolver, status_lists: Mapping[str, StatusList] | None,
           day: dt.date) -> LicenceCheck:
    """Offline: signature, then the verified licence status list of the token's country (if any), then dates."""
    claims = _signature(text, resolve_key)
    if isinstance(claims, LicenceCheck):
        return claims
    status_list = (status_lists or {}).get(claims.country)
    as_of = None
    if status_list is not None and status_list.country == claims.country:
        as_of = status_list.issued_at
        try:
            status = status_list.status(claims.status_index)
        except IndexError:
            return LicenceCheck("UNKNOWN", "status-index-out-of-range", claims, as_of)
        if status in STATUS_VERDICTS:
            return LicenceCheck(STATUS_VERDICTS[status], None, claims, as_of)
        if status != STATUS_VALID:
            return LicenceCheck("UNKNOWN", "unknown-status", claims, as_of)
    return _dates(claims, day, status_as_of=as_of)


def check_online(text: str, day: dt.date | None = None) -> LicenceCheck:
    """The public check: the signature against this registry's trust list, then the register's live status.

    A token no key of the trust list signed is not genuine here (``INVALID_SIGNATURE``, as for
    certificates); a genuine token that is not the licence's current document (its terms changed
    since) is ``SUPERSEDED``. A licence of a federation peer's country is checked against that peer's
    last synced licence status list (as the offline check does).
    """
    day = day or today()
    text = token_from_scan(text)
    claims = _verified_signature(text, trust.trust_list())
    if isinstance(claims, LicenceCheck):
        if claims.reason == "unknown-key":
            return LicenceCheck("INVALID_SIGNATURE", "unknown-key")
        return claims
    row = _read_register(claims.country, claims.number)
    if row is None:
        peer_list = documents.peer_status_list(claims.country)
        if peer_list is not None:  # a federation peer's licence: its last synced status list, as offline
            return assess(text, trust.trust_list(), {claims.country: peer_list}, day)
    if row is None or row.id != claims.status_index:
        return LicenceCheck("UNKNOWN", "not-in-registry", claims)
    register = Register(row.id, row.status, row.name_latin, tuple(row.hs_codes), row.updated_at)
    if row.status in _STATUS_VERDICTS:
        return LicenceCheck(_STATUS_VERDICTS[row.status], None, claims, licence=register)
    if row.token is None or row.token != text.upper():
        return LicenceCheck("SUPERSEDED", "terms-changed", claims, licence=register)
    return _dates(claims, day, licence=register)


def check(text: str, *, client: str) -> LicenceCheck:
    """:func:`check_online`, counted against the client's rate limit like certificate checks.

    :raise RateLimited: beyond the client's limit.
    """
    count_verification(client)
    return check_online(text)
