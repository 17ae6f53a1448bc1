"""What verifies certificate tokens: decode, check the signature, and assess to a verdict.

The verdict precedence (signature, then status, then dates) is section 6 of the format
(:mod:`certreg.certificates.token`, ``docs/qr-token.md``); ``static/js/verify-core.js`` is the
same algorithm for the browser. The online check, which reads the live status from the
database instead of a status list, is :mod:`certreg.certificates.verification`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from certreg.certificates.token import CERTIFICATE_TOKEN, CertificateClaims
from certreg.tokens import format as tokens
from certreg.tokens.encoding import BadSignature, MalformedToken, UnknownKey, UnsupportedVersion, WrongIssuer
from certreg.tokens.format import DecodedToken
from certreg.tokens.keys import KeyResolver
from certreg.tokens.status_list import STATUS_INVALID, STATUS_SUPERSEDED, STATUS_SUSPENDED, STATUS_VALID, StatusList


def decode_token(text: str) -> DecodedToken[CertificateClaims]:
    """Parse token text without verifying the signature.

    Raises ``MalformedToken`` (including ``UnsupportedVersion``) for any input
    that is not a well-formed v1 token.
    """
    return tokens.decode(CERTIFICATE_TOKEN, text)


def verify_token(text: str, resolve_key: KeyResolver) -> CertificateClaims:
    """Decode and verify a token; return its claims.

    ``resolve_key(kid)`` returns the public key for the 8-byte kid, a
    :class:`~certreg.tokens.keys.TrustedKey` (then the key's country must equal the
    claims' country) or ``None``.  A :class:`~certreg.tokens.keys.TrustList` is such a resolver.

    Raises ``MalformedToken``, ``UnknownKey``, ``BadSignature`` or
    ``WrongIssuer`` (a ``BadSignature``).  Dates and status are *not*
    checked here; see :func:`assess_token`.
    """
    return tokens.verify(CERTIFICATE_TOKEN, text, resolve_key)


class Verdict(enum.StrEnum):
    VALID = "VALID"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    REVOKED = "REVOKED"
    SUSPENDED = "SUSPENDED"
    SUPERSEDED = "SUPERSEDED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    UNKNOWN = "UNKNOWN"


_VERDICT_BY_STATUS: Final[Mapping[int, Verdict]] = {
    STATUS_INVALID: Verdict.REVOKED,
    STATUS_SUSPENDED: Verdict.SUSPENDED,
    STATUS_SUPERSEDED: Verdict.SUPERSEDED,
}


@dataclass(frozen=True, slots=True)
class Assessment:
    """Outcome of :func:`assess_token` (mirrors verify-core.js's verdict object).

    ``claims`` is set only when the signature verified.  ``status_as_of`` is
    the issued-at time of the status list used, ``None`` if none was checked.
    ``reason`` is a short machine code for non-VALID outcomes: ``malformed``,
    ``unsupported-version``, ``unknown-key``, ``bad-signature``,
    ``issuer-mismatch``, ``status-index-out-of-range``, or ``None``.
    """

    verdict: Verdict
    claims: CertificateClaims | None = None
    status_as_of: dt.datetime | None = None
    status_stale: bool = False
    reason: str | None = None


def assess_token(
    text: str,
    resolve_key: KeyResolver,
    status_lists: Mapping[str, StatusList] | None,
    today: dt.date,
    *,
    now: dt.datetime | None = None,
) -> Assessment:
    """Full verification with the verdict precedence of section 6.

    ``status_lists`` maps country -> already verified :class:`StatusList`
    (verify them once when fetched, not per request).  ``today`` is the
    verifier's local date; ``now`` (aware) is used only for staleness and
    defaults to the current time.
    """
    try:
        claims = verify_token(text, resolve_key)
    except UnsupportedVersion:
        return Assessment(Verdict.UNKNOWN, reason="unsupported-version")
    except MalformedToken:
        return Assessment(Verdict.INVALID_SIGNATURE, reason="malformed")
    except UnknownKey:
        return Assessment(Verdict.UNKNOWN, reason="unknown-key")
    except WrongIssuer:
        return Assessment(Verdict.INVALID_SIGNATURE, reason="issuer-mismatch")
    except BadSignature:
        return Assessment(Verdict.INVALID_SIGNATURE, reason="bad-signature")

    status_as_of: dt.datetime | None = None
    stale = False
    status_list = (status_lists or {}).get(claims.country)
    if status_list is not None and status_list.country == claims.country:
        status_as_of = status_list.issued_at
        stale = status_list.is_stale(now or dt.datetime.now(dt.UTC))
        try:
            status = status_list.status(claims.status_index)
        except IndexError:
            return Assessment(Verdict.UNKNOWN, claims, status_as_of, stale, reason="status-index-out-of-range")
        verdict = _VERDICT_BY_STATUS.get(status)
        if verdict is not None:
            return Assessment(verdict, claims, status_as_of, stale)
        if status != STATUS_VALID:
            return Assessment(Verdict.UNKNOWN, claims, status_as_of, stale, reason="unknown-status")

    if today < claims.valid_from:
        return Assessment(Verdict.NOT_YET_VALID, claims, status_as_of, stale)
    if today > claims.valid_until:
        return Assessment(Verdict.EXPIRED, claims, status_as_of, stale)
    return Assessment(Verdict.VALID, claims, status_as_of, stale)
