r"""certreg QR token format v1.

This docstring is the normative wire-format specification; ``docs/qr-token.md``
mirrors it for implementers and adds a worked example.  The key words MUST,
SHOULD and MAY are to be read as in RFC 2119.

1. QR content
=============

The QR code on a certificate card encodes the URL::

    {PUBLIC_BASE_URL}/v/{TOKEN}

``PUBLIC_BASE_URL`` is the issuing registry's public https origin (mixed case
allowed, e.g. ``https://certreg.example.org``).  Issuers encode the URL prefix
(up to and including ``/v/``) as a QR *byte* segment and ``TOKEN`` as a QR
*alphanumeric* segment, at error-correction level Q.  Verifiers MUST treat only
``TOKEN`` as authoritative: the host part is not signed.

2. TOKEN text form
==================

``TOKEN`` is the RFC 4648 section 6 base32 encoding (alphabet ``A-Z2-7``) of the
COSE bytes defined below, **uppercase, without ``=`` padding**, so that every
character is in the QR alphanumeric set.

Decoders MUST reject: any character outside ``A-Z a-z 2-7`` (lowercase is
accepted and treated as uppercase, because some scanners lower-case URLs); a
length whose remainder modulo 8 is 1, 3 or 6 (impossible without padding);
non-zero unused trailing bits (so each byte string has exactly one text form);
and texts longer than ``MAX_TOKEN_CHARS`` (1200) characters.

3. COSE structure
=================

The decoded bytes are one tagged COSE_Sign1 object (RFC 9052, CBOR tag 18)::

    18([ protected: bstr .cbor {1: -7, 4: kid},   ; alg ES256, kid
         unprotected: {},                        ; MUST be empty
         payload: bstr .cbor Claims,
         signature: bstr .size 64 ])              ; r || s, 32 bytes each

* ``alg`` (label 1) MUST be -7 (ES256: ECDSA on P-256 with SHA-256).
* ``kid`` (label 4) MUST be a byte string of exactly 8 bytes (section 5).
* The protected header MUST contain exactly these two labels.
* The signature is computed over the RFC 9052 section 4.4 ``Sig_structure``
  ``["Signature1", protected, h'', payload]`` (external_aad empty), encoded as
  CBOR, and is the fixed-length ``r || s`` form of RFC 9053 section 2.1.
* All CBOR in this format (the outer structure, the protected header and the
  payload) MUST use core deterministic encoding (RFC 8949 section 4.2.1:
  shortest-form integers and lengths, definite lengths, map keys sorted
  bytewise, no duplicate keys) and there MUST NOT be any bytes after the
  tagged object.  Verifiers MUST reject anything else as malformed.

4. Claims (payload), version 1
==============================

The payload is a CBOR map with unsigned integer keys.  All nine keys are
REQUIRED and no other key is allowed in version 1 (a new claim means a new
format version).

===  =================  ==========================================================
key  name               CBOR type and rules
===  =================  ==========================================================
1    format version     uint, MUST be 1.  Verifiers MUST read this first and reject
                        any other value as an unsupported version.
2    certificate no.    tstr, 1-32 chars of ``A-Z 0-9 -``, starting with a letter
                        or digit, e.g. ``KG-T-2026-000123-7``
3    holder name        tstr, 1-100 chars, Latin script as printed on the card;
                        MUST NOT contain control/format characters (Unicode
                        general categories Cc, Cf, Cs)
4    holder kind        uint: 1 = technician, 2 = company
5    issuing country    tstr, ISO 3166-1 alpha-2, uppercase (``KG``)
6    categories         array of 0-16 distinct tstr, each 1-16 chars of
                        ``A-Z 0-9 -`` starting with a letter or digit
                        (``A1``, ``B``, ``I``, ``KG-ODS``); order as issued
7    valid from         uint, days since 1970-01-01 (proleptic Gregorian; the
                        content of RFC 8943 tag 100, untagged), first valid day
8    valid until        uint, days since 1970-01-01, last valid day (inclusive);
                        MUST be >= valid from and <= 2932896 (9999-12-31)
9    status index       uint < 2**32: index of this certificate in its issuing
                        country's status list (section 7)
===  =================  ==========================================================

The card carries no photo and no personal identification number on purpose.

5. Keys, kid and the trust list (JWKS)
======================================

Each issuing country signs with its own ECDSA P-256 key.  The key id is::

    kid = first 8 bytes of the RFC 7638 JWK SHA-256 thumbprint

i.e. SHA-256 over the UTF-8 bytes of
``{"crv":"P-256","kty":"EC","x":"<x>","y":"<y>"}`` (exactly these members, in
this order, no whitespace, ``x``/``y`` the base64url-without-padding 32-byte
big-endian coordinates).

The trust list is a JWK Set (RFC 7517) served at ``/.well-known/jwks.json``::

    {"keys": [{"kty": "EC", "crv": "P-256", "x": "...", "y": "...",
               "alg": "ES256", "use": "sig", "kid": "<base64url(kid)>",
               "country": "KG", "status": "active"}, ...]}

``kid`` is the base64url (no padding) form of the 8 kid bytes; ``country`` and
``status`` are certreg extension members.  ``status`` is ``active`` (currently
used for signing) or ``retired`` (no longer used for new signatures but still
trusted for certificates and lists it already signed).  A compromised key is
removed from the set, not marked.  Verifiers SHOULD recompute the kid from
``x``/``y`` and ignore entries whose ``kid`` member disagrees, and MUST ignore
entries that are not ``EC``/``P-256`` (other algorithms may be added later).

A token is only valid if it verifies under the key whose kid it names **and**
that key's ``country`` equals the token's issuing-country claim: one country's
key cannot issue another country's certificates.

6. Verification algorithm and verdicts
======================================

1. Decode the text (section 2) and the COSE structure and claims (sections 3
   and 4).  Failure: ``INVALID_SIGNATURE`` (malformed), except an unsupported
   format version, which gives ``UNKNOWN``.
2. Look up the key by kid.  Not found: ``UNKNOWN`` (the trust list may be out
   of date).
3. Verify the signature.  Failure, or key country != claim country:
   ``INVALID_SIGNATURE``.
4. If a verified status list (section 7) of the token's issuing country is
   available, read the entry at the status index: 1 ``REVOKED``,
   2 ``SUSPENDED``, 3 ``SUPERSEDED``.  An index beyond the list's size, or
   a value above 3 (possible with more bits), gives ``UNKNOWN``.  Without
   such a list the status is reported as not checked (``statusAsOf`` null).
5. Compare the verifier's current local calendar date with the validity
   dates (inclusive on both ends): before valid-from ``NOT_YET_VALID``; after
   valid-until ``EXPIRED``.
6. Otherwise ``VALID``.

Precedence is therefore: signature, then status, then dates.  Claims are only
shown to the user once step 3 has succeeded.

7. Status list
=============

Each country publishes one signed status list, following the CBOR form of the
IETF OAuth "Token Status List" draft (draft-ietf-oauth-status-list):

* ``bits`` = 2 per certificate (verifiers MUST also accept 1, 4, 8).
  Values: 0 VALID, 1 INVALID (revoked), 2 SUSPENDED, 3 SUPERSEDED
  (application-specific: renewed or replaced by another certificate).
* The statuses are packed into a byte array in index order, starting at the
  least significant bit of byte 0: the status of index ``i`` is
  ``(byte[i*bits // 8] >> (i*bits % 8)) & (2**bits - 1)``.  For bits = 2,
  byte 0 holds indices 0 (bits 1..0), 1 (bits 3..2), 2 (bits 5..4) and 3
  (bits 7..6).
* ``lst`` is that byte array compressed with DEFLATE in the ZLIB format
  (RFC 1950/1951) -- what the browser's ``DecompressionStream("deflate")``
  reads.  Decompressed size is capped at ``MAX_STATUS_LIST_BYTES`` (16 MiB).

The status list token is a COSE_Sign1 (tag 18) signed by a key of the same
country, with protected header ``{1: -7, 4: kid, 16: "application/statuslist+cwt"}``
(16 = ``typ``, which also keeps it from being confused with a certificate
token) and empty unprotected header.  Its payload is a CWT-style claims map
(deterministic CBOR, exactly these keys):

======  ===========  ========================================================
key     name         type
======  ===========  ========================================================
6       iat          uint, issued-at, seconds since 1970-01-01T00:00:00Z
65533   status_list  map ``{"bits": uint, "lst": bstr}`` (exactly these keys)
65534   ttl          uint > 0, seconds the list may be used before a fresh copy
                     should be fetched; an older list is *stale* but still
                     reported with its ``statusAsOf`` date
-65537  country      tstr, ISO 3166-1 alpha-2 (private-use CWT claim key)
======  ===========  ========================================================

Transport: ``GET /api/v1/status-list`` returns JSON
``{"status_lists": {"KG": "<base64url-no-padding of the COSE bytes>", ...}}``,
one entry per country, keyed by the country the list is for.

A verifier MUST verify the status list's signature with the trust list, and
MUST check that the signing key's ``country`` equals the list's ``country``
claim and the certificate's country before using it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import hashlib
import json
import os
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = [
    "FORMAT_VERSION",
    "MAX_TOKEN_CHARS",
    "STATUS_VALID",
    "STATUS_INVALID",
    "STATUS_SUSPENDED",
    "STATUS_SUPERSEDED",
    "Assessment",
    "BadSignature",
    "CertificateClaims",
    "DecodedToken",
    "MalformedToken",
    "StatusList",
    "TokenError",
    "TrustList",
    "TrustedKey",
    "UnknownKey",
    "UnsupportedVersion",
    "Verdict",
    "WrongIssuer",
    "assess_token",
    "b64url_decode",
    "b64url_encode",
    "build_status_list",
    "decode_token",
    "encode_status_list_token",
    "encode_token",
    "generate_key",
    "jwk_thumbprint",
    "jwks",
    "kid_for",
    "load_private_key",
    "public_jwk",
    "public_key_from_jwk",
    "read_status",
    "save_private_key",
    "status_list_document",
    "verify_status_list_token",
    "verify_token",
]

# --------------------------------------------------------------------------
# Constants of the format
# --------------------------------------------------------------------------

FORMAT_VERSION: Final = 1
COSE_SIGN1_TAG: Final = 18
COSE_ALG_ES256: Final = -7
HDR_ALG: Final = 1
HDR_KID: Final = 4
HDR_TYP: Final = 16
KID_LENGTH: Final = 8
SIGNATURE_LENGTH: Final = 64
STATUS_LIST_TYP: Final = "application/statuslist+cwt"

#: Longest accepted token text (base32 characters) and its byte equivalent.
MAX_TOKEN_CHARS: Final = 1200
MAX_TOKEN_BYTES: Final = MAX_TOKEN_CHARS * 5 // 8  # 750

# Certificate claim keys (section 4).
CLAIM_VERSION: Final = 1
CLAIM_NUMBER: Final = 2
CLAIM_HOLDER_NAME: Final = 3
CLAIM_HOLDER_KIND: Final = 4
CLAIM_COUNTRY: Final = 5
CLAIM_CATEGORIES: Final = 6
CLAIM_VALID_FROM: Final = 7
CLAIM_VALID_UNTIL: Final = 8
CLAIM_STATUS_INDEX: Final = 9
_CLAIM_KEYS: Final = frozenset(range(1, 10))

HOLDER_KINDS: Final[Mapping[str, int]] = {"technician": 1, "company": 2}
_KIND_BY_CODE: Final[Mapping[int, str]] = {v: k for k, v in HOLDER_KINDS.items()}

# Status list claim keys (section 7).
SL_CLAIM_IAT: Final = 6
SL_CLAIM_STATUS_LIST: Final = 65533
SL_CLAIM_TTL: Final = 65534
SL_CLAIM_COUNTRY: Final = -65537
_SL_CLAIM_KEYS: Final = frozenset({SL_CLAIM_IAT, SL_CLAIM_STATUS_LIST, SL_CLAIM_TTL, SL_CLAIM_COUNTRY})

STATUS_VALID: Final = 0
STATUS_INVALID: Final = 1  # revoked
STATUS_SUSPENDED: Final = 2
STATUS_SUPERSEDED: Final = 3
STATUS_BITS: Final = 2
ALLOWED_STATUS_BITS: Final = (1, 2, 4, 8)
#: Decompressed status lists larger than this are rejected (zip-bomb guard).
MAX_STATUS_LIST_BYTES: Final = 16 * 1024 * 1024
#: Largest accepted status list token (raw COSE bytes).
MAX_STATUS_TOKEN_BYTES: Final = 8 * 1024 * 1024

#: Upper bounds for the status list's iat (9999-12-31T23:59:59Z) and ttl (2**32-1 s).
MAX_IAT: Final = 253402300799
MAX_TTL: Final = 2**32 - 1

KEY_STATUSES: Final = ("active", "retired")

MAX_HOLDER_NAME: Final = 100
MAX_CATEGORIES: Final = 16
MAX_DAY: Final = (dt.date(9999, 12, 31) - dt.date(1970, 1, 1)).days  # 2932896
MAX_STATUS_INDEX: Final = 2**32 - 1
_EPOCH_DATE: Final = dt.date(1970, 1, 1)

_NUMBER_RE: Final = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}", re.ASCII)
_CATEGORY_RE: Final = re.compile(r"[A-Z0-9][A-Z0-9-]{0,15}", re.ASCII)
_COUNTRY_RE: Final = re.compile(r"[A-Z]{2}", re.ASCII)
_B32_RE: Final = re.compile(r"[A-Za-z2-7]+", re.ASCII)
_FORBIDDEN_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs"})
_NAME_PUNCTUATION: Final = frozenset(" -'.,\u2019")

_ECDSA_SHA256: Final = ec.ECDSA(hashes.SHA256())


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class TokenError(Exception):
    """Base class: the token (or status list token) cannot be accepted."""


class MalformedToken(TokenError):  # noqa: N818 - names are part of the API
    """The input is not a well-formed token of this format."""


class UnsupportedVersion(MalformedToken):
    """Well-formed COSE, but the claims carry a format version we don't know."""

    def __init__(self, version: object) -> None:
        super().__init__(
            f"unsupported certreg token format version {version!r} "
            f"(this implementation understands version {FORMAT_VERSION} only)"
        )
        self.version = version


class UnknownKey(TokenError):  # noqa: N818
    """No trusted key has the token's kid."""

    def __init__(self, kid: bytes) -> None:
        super().__init__(f"unknown signing key kid={b64url_encode(kid)}")
        self.kid = kid


class BadSignature(TokenError):  # noqa: N818
    """The signature does not verify under the key the token names."""


class WrongIssuer(BadSignature):
    """Signature is valid, but the key belongs to another country than the claims say."""


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 appendix C)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of :func:`b64url_encode`; raises ``ValueError``."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text, re.ASCII):
        raise ValueError("not base64url text")
    if len(text) % 4 == 1:
        raise ValueError("impossible base64url length")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"bad base64url: {exc}") from None
    if b64url_encode(data) != text:
        raise ValueError("non-canonical base64url (non-zero trailing bits)")
    return data


def _b32_encode(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _b32_decode(text: str) -> bytes:
    if not isinstance(text, str):
        raise MalformedToken("token must be text")
    if not text:
        raise MalformedToken("empty token")
    if len(text) > MAX_TOKEN_CHARS:
        raise MalformedToken(f"token longer than {MAX_TOKEN_CHARS} characters")
    if not _B32_RE.fullmatch(text):
        raise MalformedToken("token contains characters outside the base32 alphabet")
    if len(text) % 8 in (1, 3, 6):
        raise MalformedToken("impossible base32 length")
    # base64.b32decode is pure Python in CPython 3.11 (~30 µs for a token, and as much again
    # to re-encode for the canonical check). The same result in C: the RFC 4648 alphabet mapped to
    # base32hex digits, read as one integer, whose spare low bits must be zero.
    size, spare = divmod(5 * len(text), 8)
    value = int(text.translate(_B32_TO_DIGITS), 32)
    if value & ((1 << spare) - 1):
        raise MalformedToken("non-canonical base32 (non-zero trailing bits)")
    return (value >> spare).to_bytes(size, "big")


#: RFC 4648 base32 letters (either case) -> the digits of int(..., 32).
_B32_TO_DIGITS: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghijklmnopqrstuvwxyz",
                                      "0123456789ABCDEFGHIJKLMNOPQRSTUV0123456789ABCDEFGHIJKLMNOP")


def _days(d: dt.date) -> int:
    return (d - _EPOCH_DATE).days


def _date(days: int) -> dt.date:
    return _EPOCH_DATE + dt.timedelta(days=days)


def _cbor(obj: object) -> bytes:
    """Deterministic CBOR (RFC 8949 4.2.1; cbor2's canonical mode)."""
    return cbor2.dumps(obj, canonical=True)


def _cbor_strict_loads(data: bytes, max_depth: int) -> Any:
    """Decode CBOR and insist on deterministic encoding with nothing trailing.

    cbor2 ignores trailing bytes and accepts non-shortest forms, so the only
    robust check is to re-encode and compare.  Any failure is ``MalformedToken``.
    """
    try:
        obj = cbor2.loads(
            data,
            max_depth=max_depth,
            allow_indefinite=False,
            allow_duplicate_keys=False,
        )
        same = _cbor(obj) == data
    except Exception as exc:  # cbor2 raises many types on hostile input
        raise MalformedToken(f"invalid CBOR: {type(exc).__name__}") from None
    if not same:
        raise MalformedToken("CBOR is not in deterministic encoding or has trailing bytes")
    return obj


def _is_uint(value: object, maximum: int) -> bool:
    return type(value) is int and 0 <= value <= maximum  # bool is not accepted


# --------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------

PublicKey = ec.EllipticCurvePublicKey


def generate_key() -> ec.EllipticCurvePrivateKey:
    """A fresh ECDSA P-256 signing key."""
    return ec.generate_private_key(ec.SECP256R1())


def save_private_key(key: ec.EllipticCurvePrivateKey, path: str | os.PathLike[str]) -> None:
    """Write ``key`` as unencrypted PKCS#8 PEM, mode 0600.

    Refuses to overwrite: raises ``FileExistsError`` if ``path`` exists.
    """
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # independent of the umask
        view = memoryview(pem)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def load_private_key(path: str | os.PathLike[str]) -> ec.EllipticCurvePrivateKey:
    """Read a PEM private key written by :func:`save_private_key` (must be P-256)."""
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{path}: not an ECDSA P-256 private key")
    return key


def _check_p256(public_key: object) -> ec.EllipticCurvePublicKey:
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(public_key.curve, ec.SECP256R1):
        raise TypeError("expected an ECDSA P-256 public key")
    return public_key


def _xy(public_key: ec.EllipticCurvePublicKey) -> tuple[str, str]:
    numbers = _check_p256(public_key).public_numbers()
    return (
        b64url_encode(numbers.x.to_bytes(32, "big")),
        b64url_encode(numbers.y.to_bytes(32, "big")),
    )


def jwk_thumbprint(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """RFC 7638 JWK thumbprint (SHA-256, 32 bytes) of a P-256 public key."""
    x, y = _xy(public_key)
    canonical = json.dumps(
        {"crv": "P-256", "kty": "EC", "x": x, "y": y},
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode("utf-8")).digest()


def kid_for(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The 8-byte key id: first 8 bytes of :func:`jwk_thumbprint`."""
    return jwk_thumbprint(public_key)[:KID_LENGTH]


def public_jwk(
    public_key: ec.EllipticCurvePublicKey,
    *,
    country: str,
    status: Literal["active", "retired"] | str = "active",
) -> dict[str, str]:
    """The JWKS entry for ``public_key`` (see section 5 of the format)."""
    if not isinstance(country, str) or not _COUNTRY_RE.fullmatch(country):
        raise ValueError(f"country must be ISO 3166-1 alpha-2 uppercase, got {country!r}")
    if status not in KEY_STATUSES:
        raise ValueError(f"status must be one of {KEY_STATUSES}, got {status!r}")
    x, y = _xy(public_key)
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": x,
        "y": y,
        "alg": "ES256",
        "use": "sig",
        "kid": b64url_encode(kid_for(public_key)),
        "country": country,
        "status": status,
    }


def jwks(entries: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Wrap JWKs (from :func:`public_jwk`) as a JWK Set ``{"keys": [...]}``."""
    return {"keys": [dict(entry) for entry in entries]}


@lru_cache(maxsize=1024)
def _public_key_from_xy(x: str, y: str) -> ec.EllipticCurvePublicKey:
    try:
        xb, yb = b64url_decode(x), b64url_decode(y)
    except ValueError as exc:
        raise ValueError(f"bad JWK coordinate: {exc}") from None
    if len(xb) != 32 or len(yb) != 32:
        raise ValueError("P-256 JWK coordinates must be 32 bytes")
    # from_encoded_point validates that the point is on the curve.
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + xb + yb)


def public_key_from_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """Build the public key of a P-256 JWK (cached by coordinates).

    Raises ``ValueError`` for anything but a valid EC P-256 public JWK, and if
    the JWK has a ``kid`` member that is not the derived kid.
    """
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("only EC P-256 JWKs are supported")
    if "d" in jwk:
        raise ValueError("refusing a JWK that contains a private key")
    x, y = jwk.get("x"), jwk.get("y")
    if not isinstance(x, str) or not isinstance(y, str):
        raise ValueError("JWK lacks x/y")
    key = _public_key_from_xy(x, y)
    if "kid" in jwk and jwk["kid"] != b64url_encode(kid_for(key)):
        raise ValueError(f"JWK kid {jwk['kid']!r} is not the RFC 7638-derived kid")
    return key


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A public key from the trust list, with the country it may sign for."""

    kid: bytes
    public_key: ec.EllipticCurvePublicKey
    country: str
    status: str = "active"


#: What a ``resolve_key`` callback may return for a kid.
ResolvedKey = ec.EllipticCurvePublicKey | TrustedKey | None
KeyResolver = Callable[[bytes], ResolvedKey]


class TrustList:
    """kid -> :class:`TrustedKey` index over a JWKS; usable as ``resolve_key``.

    Build it once per JWKS version and reuse it: lookups are a dict access.
    When the resolver returns a :class:`TrustedKey` (as this class does),
    :func:`verify_token` also enforces that the key's country is the token's
    issuing country.
    """

    __slots__ = ("_by_kid",)

    def __init__(self, keys: Iterable[TrustedKey] = ()) -> None:
        self._by_kid: dict[bytes, TrustedKey] = {}
        for key in keys:
            if key.kid in self._by_kid:
                raise ValueError(f"duplicate kid {b64url_encode(key.kid)}")
            self._by_kid[key.kid] = key

    @classmethod
    def from_jwks(cls, document: Mapping[str, Any]) -> TrustList:
        """Index a JWKS document.

        Entries that are not EC/P-256 are skipped (other algorithms may be
        added in later versions).  P-256 entries that are invalid (bad point,
        kid that isn't the derived one, missing/invalid country or status)
        raise ``ValueError``: the trust list is configuration, errors must show.
        """
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise ValueError("JWKS must have a 'keys' array")
        keys: list[TrustedKey] = []
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise ValueError("JWKS entry is not an object")
            if entry.get("kty") != "EC" or entry.get("crv") != "P-256":
                continue
            if entry.get("alg", "ES256") != "ES256":
                continue
            public_key = public_key_from_jwk(entry)
            country = entry.get("country")
            status = entry.get("status", "active")
            if not isinstance(country, str) or not _COUNTRY_RE.fullmatch(country):
                raise ValueError(f"JWK {entry.get('kid')!r}: bad 'country' {country!r}")
            if status not in KEY_STATUSES:
                raise ValueError(f"JWK {entry.get('kid')!r}: bad 'status' {status!r}")
            keys.append(TrustedKey(kid_for(public_key), public_key, country, status))
        return cls(keys)

    def __call__(self, kid: bytes) -> TrustedKey | None:
        return self._by_kid.get(kid)

    def __len__(self) -> int:
        return len(self._by_kid)

    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self._by_kid.values())


# --------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CertificateClaims:
    """The signed content of a certificate token (format v1, section 4).

    Construction validates the value ranges of the wire format and raises
    ``ValueError``; ``categories`` is normalised to a tuple.
    """

    number: str
    holder_name: str
    holder_kind: Literal["technician", "company"]
    country: str
    categories: tuple[str, ...]
    valid_from: dt.date
    valid_until: dt.date
    status_index: int
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if not isinstance(self.categories, tuple):
            object.__setattr__(self, "categories", tuple(self.categories))
        if self.version != FORMAT_VERSION:
            raise ValueError(f"only format version {FORMAT_VERSION} is supported")
        if not isinstance(self.number, str) or not _NUMBER_RE.fullmatch(self.number):
            raise ValueError(f"bad certificate number {self.number!r}")
        name = self.holder_name
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_HOLDER_NAME:
            raise ValueError(f"holder name must be 1-{MAX_HOLDER_NAME} characters")
        if any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in name):
            raise ValueError("holder name contains control or format characters")
        if self.holder_kind not in HOLDER_KINDS:
            raise ValueError(f"holder kind must be one of {tuple(HOLDER_KINDS)}")
        if not isinstance(self.country, str) or not _COUNTRY_RE.fullmatch(self.country):
            raise ValueError(f"bad country code {self.country!r}")
        cats = self.categories
        if len(cats) > MAX_CATEGORIES:
            raise ValueError(f"at most {MAX_CATEGORIES} categories")
        for cat in cats:
            if not isinstance(cat, str) or not _CATEGORY_RE.fullmatch(cat):
                raise ValueError(f"bad category code {cat!r}")
        if len(set(cats)) != len(cats):
            raise ValueError("duplicate category")
        for d in (self.valid_from, self.valid_until):
            if type(d) is not dt.date:
                raise ValueError("validity dates must be datetime.date (not datetime)")
            if d < _EPOCH_DATE:
                raise ValueError("validity dates before 1970-01-01 are not representable")
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        if not _is_uint(self.status_index, MAX_STATUS_INDEX):
            raise ValueError("status_index must be an int in [0, 2**32)")

    def to_cbor_map(self) -> dict[int, object]:
        return {
            CLAIM_VERSION: self.version,
            CLAIM_NUMBER: self.number,
            CLAIM_HOLDER_NAME: self.holder_name,
            CLAIM_HOLDER_KIND: HOLDER_KINDS[self.holder_kind],
            CLAIM_COUNTRY: self.country,
            CLAIM_CATEGORIES: list(self.categories),
            CLAIM_VALID_FROM: _days(self.valid_from),
            CLAIM_VALID_UNTIL: _days(self.valid_until),
            CLAIM_STATUS_INDEX: self.status_index,
        }

    @classmethod
    def from_cbor_map(cls, claims: object) -> CertificateClaims:
        """Strictly parse a decoded payload map; raises ``MalformedToken``."""
        if not isinstance(claims, dict):
            raise MalformedToken("claims must be a CBOR map")
        version = claims.get(CLAIM_VERSION)
        if type(version) is not int:
            raise MalformedToken("claims lack an integer format version (key 1)")
        if version != FORMAT_VERSION:
            raise UnsupportedVersion(version)
        if set(claims) != _CLAIM_KEYS:
            raise MalformedToken(f"claims keys must be exactly {sorted(_CLAIM_KEYS)}, got {sorted(map(repr, claims))}")
        kind = claims[CLAIM_HOLDER_KIND]
        cats = claims[CLAIM_CATEGORIES]
        valid_from = claims[CLAIM_VALID_FROM]
        valid_until = claims[CLAIM_VALID_UNTIL]
        if type(kind) is not int or kind not in _KIND_BY_CODE:
            raise MalformedToken("bad holder kind")
        if not isinstance(cats, (list, tuple)):
            raise MalformedToken("categories must be an array")
        for value, what in ((valid_from, "valid from"), (valid_until, "valid until")):
            if not _is_uint(value, MAX_DAY):
                raise MalformedToken(f"{what} must be a day number in [0, {MAX_DAY}]")
        for key in (CLAIM_NUMBER, CLAIM_HOLDER_NAME, CLAIM_COUNTRY):
            if type(claims[key]) is not str:
                raise MalformedToken(f"claim {key} must be text")
        if type(claims[CLAIM_STATUS_INDEX]) is not int:
            raise MalformedToken("status index must be an integer")
        try:
            return cls(
                number=claims[CLAIM_NUMBER],
                holder_name=claims[CLAIM_HOLDER_NAME],
                holder_kind=_KIND_BY_CODE[kind],  # type: ignore[arg-type]
                country=claims[CLAIM_COUNTRY],
                categories=tuple(cats),
                valid_from=_date(valid_from),
                valid_until=_date(valid_until),
                status_index=claims[CLAIM_STATUS_INDEX],
            )
        except ValueError as exc:
            raise MalformedToken(f"invalid claims: {exc}") from None


def _check_issuable(claims: CertificateClaims) -> None:
    """Rules only the issuer enforces: NFC and Latin-script holder names.

    Besides Latin letters (with combining marks) and `` -'.,’`` the issuer allows the
    ASCII digits and ``&``, which company names need ("Service 2000 LLC", "Ivanov & Co").
    Verifiers do not apply these rules (section 4 only bans control/format characters).
    """
    name = claims.holder_name
    if unicodedata.normalize("NFC", name) != name:
        raise ValueError("holder name must be in Unicode NFC")
    if name != name.strip() or "  " in name:
        raise ValueError("holder name has leading/trailing/double spaces")
    for ch in name:
        cat = unicodedata.category(ch)
        if cat.startswith("L"):
            if not unicodedata.name(ch, "").startswith("LATIN "):
                raise ValueError(f"holder name must be in Latin script, found {ch!r}")
        elif cat == "Mn" or ch in "0123456789&":
            continue
        elif ch not in _NAME_PUNCTUATION:
            raise ValueError(f"character {ch!r} not allowed in a holder name")


# --------------------------------------------------------------------------
# COSE_Sign1
# --------------------------------------------------------------------------


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    """RFC 9052 section 4.4 ``["Signature1", protected, h'', payload]``."""
    return _cbor(["Signature1", protected, b"", payload])


def _sign_es256(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(private_key.sign(data, _ECDSA_SHA256))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _verify_es256(public_key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, data, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


def _sign1(private_key: ec.EllipticCurvePrivateKey, header: dict[int, object], payload: bytes) -> bytes:
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(private_key.curve, ec.SECP256R1):
        raise TypeError("expected an ECDSA P-256 private key")
    protected = _cbor({HDR_ALG: COSE_ALG_ES256, HDR_KID: kid_for(private_key.public_key()), **header})
    signature = _sign_es256(private_key, _sig_structure(protected, payload))
    return _cbor(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


@dataclass(frozen=True, slots=True)
class _Sign1:
    protected: bytes
    header: dict[int, object]
    payload: bytes
    signature: bytes

    @property
    def kid(self) -> bytes:
        kid = self.header[HDR_KID]
        assert isinstance(kid, bytes)
        return kid


def _parse_sign1(raw: bytes, typ: str | None) -> _Sign1:
    """Parse a tagged COSE_Sign1 of this format; raises ``MalformedToken``."""
    obj = _cbor_strict_loads(raw, max_depth=3)
    if not isinstance(obj, cbor2.CBORTag) or obj.tag != COSE_SIGN1_TAG:
        raise MalformedToken("not a tagged COSE_Sign1 (tag 18)")
    parts = obj.value
    # cbor2 decodes the content of a tag immutably (tuple / frozendict).
    if not isinstance(parts, (list, tuple)) or len(parts) != 4:
        raise MalformedToken("COSE_Sign1 must be an array of 4 items")
    protected, unprotected, payload, signature = parts
    if type(protected) is not bytes or type(payload) is not bytes or type(signature) is not bytes:
        raise MalformedToken("COSE_Sign1 protected/payload/signature must be byte strings")
    if not isinstance(unprotected, Mapping) or len(unprotected) != 0:
        raise MalformedToken("unprotected header must be an empty map")
    if len(signature) != SIGNATURE_LENGTH:
        raise MalformedToken("ES256 signature must be 64 bytes")
    header = _cbor_strict_loads(protected, max_depth=1)
    expected = {HDR_ALG, HDR_KID} if typ is None else {HDR_ALG, HDR_KID, HDR_TYP}
    if type(header) is not dict or set(header) != expected:
        raise MalformedToken(f"protected header must have exactly labels {sorted(expected)}")
    alg = header[HDR_ALG]
    if type(alg) is not int or alg != COSE_ALG_ES256:
        raise MalformedToken("alg must be ES256 (-7)")
    kid = header[HDR_KID]
    if type(kid) is not bytes or len(kid) != KID_LENGTH:
        raise MalformedToken("kid must be an 8-byte byte string")
    if typ is not None and header[HDR_TYP] != typ:
        raise MalformedToken(f"typ must be {typ!r}")
    return _Sign1(protected, header, payload, signature)


def _resolve(resolve_key: KeyResolver, kid: bytes) -> tuple[ec.EllipticCurvePublicKey, str | None]:
    resolved = resolve_key(kid)
    if resolved is None:
        raise UnknownKey(kid)
    if isinstance(resolved, TrustedKey):
        return resolved.public_key, resolved.country
    return _check_p256(resolved), None


# --------------------------------------------------------------------------
# Certificate tokens
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecodedToken:
    """A parsed but *unverified* token (the output of :func:`decode_token`)."""

    kid: bytes
    claims: CertificateClaims
    protected: bytes
    payload: bytes
    signature: bytes
    cose: bytes  # the complete tagged COSE_Sign1 bytes

    @property
    def to_be_signed(self) -> bytes:
        """The Sig_structure bytes the signature covers."""
        return _sig_structure(self.protected, self.payload)


def encode_token(claims: CertificateClaims, private_key: ec.EllipticCurvePrivateKey) -> str:
    """Sign ``claims`` and return the token text (base32, uppercase, no padding)."""
    if not isinstance(claims, CertificateClaims):
        raise TypeError("claims must be CertificateClaims")
    _check_issuable(claims)
    cose = _sign1(private_key, {}, _cbor(claims.to_cbor_map()))
    if len(cose) > MAX_TOKEN_BYTES:
        raise ValueError(f"token would be {len(cose)} bytes, over the {MAX_TOKEN_BYTES} limit")
    return _b32_encode(cose)


def decode_token(text: str) -> DecodedToken:
    """Parse token text without verifying the signature.

    Raises ``MalformedToken`` (including ``UnsupportedVersion``) for any input
    that is not a well-formed v1 token.
    """
    raw = _b32_decode(text)
    sign1 = _parse_sign1(raw, typ=None)
    claims = CertificateClaims.from_cbor_map(_cbor_strict_loads(sign1.payload, max_depth=2))
    return DecodedToken(
        kid=sign1.kid,
        claims=claims,
        protected=sign1.protected,
        payload=sign1.payload,
        signature=sign1.signature,
        cose=raw,
    )


def verify_token(text: str, resolve_key: KeyResolver) -> CertificateClaims:
    """Decode and verify a token; return its claims.

    ``resolve_key(kid)`` returns the public key for the 8-byte kid, a
    :class:`TrustedKey` (then the key's country must equal the claims'
    country) or ``None``.  A :class:`TrustList` is such a resolver.

    Raises ``MalformedToken``, ``UnknownKey``, ``BadSignature`` or
    ``WrongIssuer`` (a ``BadSignature``).  Dates and status are *not*
    checked here; see :func:`assess_token`.
    """
    decoded = decode_token(text)
    public_key, key_country = _resolve(resolve_key, decoded.kid)
    if not _verify_es256(public_key, decoded.signature, decoded.to_be_signed):
        raise BadSignature("signature does not verify")
    if key_country is not None and key_country != decoded.claims.country:
        raise WrongIssuer(f"key of {key_country} signed a certificate of {decoded.claims.country}")
    return decoded.claims


# --------------------------------------------------------------------------
# Status lists
# --------------------------------------------------------------------------


def _check_bits(bits: int) -> None:
    if type(bits) is not int or bits not in ALLOWED_STATUS_BITS:
        raise ValueError(f"bits must be one of {ALLOWED_STATUS_BITS}")


def build_status_list(statuses: Mapping[int, int], size: int, *, bits: int = STATUS_BITS) -> bytes:
    """The compressed ``lst`` for ``size`` entries; unlisted indices are VALID (0).

    ``statuses`` maps index -> status value (0..2**bits-1).  Raises
    ``ValueError`` for indices outside ``[0, size)`` or out-of-range values.
    """
    _check_bits(bits)
    if type(size) is not int or size < 0 or (size * bits + 7) // 8 > MAX_STATUS_LIST_BYTES:
        raise ValueError("bad status list size")
    raw = bytearray((size * bits + 7) // 8)
    mask = (1 << bits) - 1
    for index, value in statuses.items():
        if type(index) is not int or not 0 <= index < size:
            raise ValueError(f"status index {index!r} outside [0, {size})")
        if type(value) is not int or not 0 <= value <= mask:
            raise ValueError(f"status value {value!r} does not fit in {bits} bits")
        bit = index * bits
        raw[bit // 8] = (raw[bit // 8] & ~(mask << (bit % 8))) | (value << (bit % 8))
    return zlib.compress(bytes(raw), 9)


def _inflate(lst: bytes) -> bytes:
    decomp = zlib.decompressobj()
    try:
        raw = decomp.decompress(lst, MAX_STATUS_LIST_BYTES)
    except zlib.error as exc:
        raise ValueError(f"lst is not ZLIB data: {exc}") from None
    if decomp.unconsumed_tail:
        raise ValueError(f"status list larger than {MAX_STATUS_LIST_BYTES} bytes")
    if not decomp.eof or decomp.unused_data:
        raise ValueError("lst is truncated or has trailing data")
    return raw


def _status_at(raw: bytes, bits: int, index: int) -> int:
    if type(index) is not int or index < 0 or index * bits >= len(raw) * 8:
        raise IndexError(f"status index {index!r} beyond the list's {len(raw) * 8 // bits} entries")
    bit = index * bits
    return (raw[bit // 8] >> (bit % 8)) & ((1 << bits) - 1)


def read_status(lst_bytes: bytes, bits: int, index: int) -> int:
    """Status of ``index`` in a compressed ``lst``.

    Raises ``ValueError`` for bad ``bits``/``lst`` and ``IndexError`` if the
    index is beyond the list.  Decompresses each call: for repeated look-ups
    use :class:`StatusList` from :func:`verify_status_list_token`.
    """
    _check_bits(bits)
    return _status_at(_inflate(lst_bytes), bits, index)


@dataclass(frozen=True, slots=True)
class StatusList:
    """A verified status list (decompressed once)."""

    country: str
    issued_at: dt.datetime  # aware, UTC
    ttl: int  # seconds
    bits: int
    lst: bytes  # compressed, as signed
    raw: bytes = field(repr=False)  # decompressed byte array
    kid: bytes = b""

    @property
    def size(self) -> int:
        return len(self.raw) * 8 // self.bits

    @property
    def fresh_until(self) -> dt.datetime:
        return self.issued_at + dt.timedelta(seconds=self.ttl)

    def is_stale(self, now: dt.datetime) -> bool:
        return now >= self.fresh_until

    def status(self, index: int) -> int:
        """Status value of ``index``; ``IndexError`` if beyond the list."""
        return _status_at(self.raw, self.bits, index)


def encode_status_list_token(
    country: str,
    lst: bytes,
    private_key: ec.EllipticCurvePrivateKey,
    *,
    issued_at: dt.datetime | int,
    ttl: int = 86400,
    bits: int = STATUS_BITS,
) -> str:
    """Sign a status list; returns the transport form (base64url of the COSE bytes).

    ``lst`` is the compressed list from :func:`build_status_list`;
    ``issued_at`` an aware datetime or epoch seconds; ``ttl`` in seconds.
    """
    if not _COUNTRY_RE.fullmatch(country):
        raise ValueError(f"bad country code {country!r}")
    _check_bits(bits)
    _inflate(lst)  # refuse to sign something verifiers would reject
    if isinstance(issued_at, dt.datetime):
        if issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")
        iat = int(issued_at.timestamp())
    else:
        iat = issued_at
    if not _is_uint(iat, MAX_IAT) or not _is_uint(ttl, MAX_TTL) or ttl == 0:
        raise ValueError("issued_at and ttl must be positive integers")
    payload = _cbor(
        {
            SL_CLAIM_IAT: iat,
            SL_CLAIM_STATUS_LIST: {"bits": bits, "lst": lst},
            SL_CLAIM_TTL: ttl,
            SL_CLAIM_COUNTRY: country,
        }
    )
    cose = _sign1(private_key, {HDR_TYP: STATUS_LIST_TYP}, payload)
    return b64url_encode(cose)


def verify_status_list_token(data: str | bytes, resolve_key: KeyResolver) -> StatusList:
    """Verify a status list token (base64url text or raw COSE bytes).

    Raises the same exceptions as :func:`verify_token`; ``WrongIssuer`` when
    the signing key's country (if known) differs from the list's country.
    """
    if isinstance(data, str):
        if len(data) > MAX_STATUS_TOKEN_BYTES * 4 // 3 + 4:
            raise MalformedToken("status list token too large")
        try:
            raw = b64url_decode(data)
        except ValueError as exc:
            raise MalformedToken(f"status list token: {exc}") from None
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise MalformedToken("status list token must be text or bytes")
    if len(raw) > MAX_STATUS_TOKEN_BYTES:
        raise MalformedToken("status list token too large")
    sign1 = _parse_sign1(raw, typ=STATUS_LIST_TYP)
    claims = _cbor_strict_loads(sign1.payload, max_depth=2)
    if type(claims) is not dict or set(claims) != _SL_CLAIM_KEYS:
        raise MalformedToken(f"status list claims must have exactly keys {sorted(_SL_CLAIM_KEYS)}")
    iat, ttl, country = claims[SL_CLAIM_IAT], claims[SL_CLAIM_TTL], claims[SL_CLAIM_COUNTRY]
    status_list = claims[SL_CLAIM_STATUS_LIST]
    if not _is_uint(iat, MAX_IAT) or not _is_uint(ttl, MAX_TTL) or ttl == 0:
        raise MalformedToken("iat/ttl must be positive integers")
    if type(country) is not str or not _COUNTRY_RE.fullmatch(country):
        raise MalformedToken("bad status list country")
    if type(status_list) is not dict or set(status_list) != {"bits", "lst"}:
        raise MalformedToken("status_list must be a map with exactly 'bits' and 'lst'")
    bits, lst = status_list["bits"], status_list["lst"]
    if type(bits) is not int or bits not in ALLOWED_STATUS_BITS or type(lst) is not bytes:
        raise MalformedToken("bad bits/lst")
    public_key, key_country = _resolve(resolve_key, sign1.kid)
    if not _verify_es256(public_key, sign1.signature, _sig_structure(sign1.protected, sign1.payload)):
        raise BadSignature("status list signature does not verify")
    if key_country is not None and key_country != country:
        raise WrongIssuer(f"key of {key_country} signed the status list of {country}")
    try:
        raw_list = _inflate(lst)
    except ValueError as exc:
        raise MalformedToken(str(exc)) from None
    return StatusList(
        country=country,
        issued_at=dt.datetime.fromtimestamp(iat, dt.UTC),
        ttl=ttl,
        bits=bits,
        lst=lst,
        raw=raw_list,
        kid=sign1.kid,
    )


def status_list_document(tokens: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The JSON body of ``GET /api/v1/status-list``: ``{"status_lists": {CC: token}}``."""
    for country in tokens:
        if not _COUNTRY_RE.fullmatch(country):
            raise ValueError(f"bad country code {country!r}")
    return {"status_lists": dict(sorted(tokens.items()))}


# --------------------------------------------------------------------------
# Verdicts (what the public verification page shows)
# --------------------------------------------------------------------------


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
