r"""certreg QR token format v1.

This docstring is the normative wire-format specification; ``docs/qr-token.md``
mirrors it for implementers and adds a worked example.  The key words MUST,
SHOULD and MAY are to be read as in RFC 2119.

This module holds the certificate's claims (section 4) and its :data:`CERTIFICATE_TOKEN`
format; the parts every signed token shares are in :mod:`certreg.tokens` (text and CBOR
encodings, COSE_Sign1, keys and the trust list, status lists). What issues a token is
:mod:`certreg.certificates.signing`; what verifies one, :mod:`certreg.certificates.checking`.

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

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from certreg.tokens.encoding import (
    COUNTRY_RE,
    EPOCH_DATE,
    MAX_DAY,
    MalformedToken,
    UnsupportedVersion,
    day_date,
    day_number,
    is_uint,
)
from certreg.tokens.format import TokenFormat

FORMAT_VERSION: Final = 1

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

MAX_HOLDER_NAME: Final = 100
MAX_CATEGORIES: Final = 16
MAX_STATUS_INDEX: Final = 2**32 - 1

_NUMBER_RE: Final = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}", re.ASCII)
_CATEGORY_RE: Final = re.compile(r"[A-Z0-9][A-Z0-9-]{0,15}", re.ASCII)
_FORBIDDEN_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs"})


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
        if not isinstance(self.country, str) or not COUNTRY_RE.fullmatch(self.country):
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
            if d < EPOCH_DATE:
                raise ValueError("validity dates before 1970-01-01 are not representable")
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        if not is_uint(self.status_index, MAX_STATUS_INDEX):
            raise ValueError("status_index must be an int in [0, 2**32)")

    def to_cbor_map(self) -> dict[int, object]:
        return {
            CLAIM_VERSION: self.version,
            CLAIM_NUMBER: self.number,
            CLAIM_HOLDER_NAME: self.holder_name,
            CLAIM_HOLDER_KIND: HOLDER_KINDS[self.holder_kind],
            CLAIM_COUNTRY: self.country,
            CLAIM_CATEGORIES: list(self.categories),
            CLAIM_VALID_FROM: day_number(self.valid_from),
            CLAIM_VALID_UNTIL: day_number(self.valid_until),
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
            raise UnsupportedVersion(version, FORMAT_VERSION)
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
            if not is_uint(value, MAX_DAY):
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
                valid_from=day_date(valid_from),
                valid_until=day_date(valid_until),
                status_index=claims[CLAIM_STATUS_INDEX],
            )
        except ValueError as exc:
            raise MalformedToken(f"invalid claims: {exc}") from None



_TOKEN_IN_URL = re.compile(r"/v/([A-Za-z2-7]+)(?:[?#].*)?$")
_BARE_TOKEN = re.compile(r"[A-Za-z2-7]{60,}")


def token_from_scan(text: str) -> str | None:
    """The token of a scanned QR (``…/v/TOKEN``) or a bare token; ``None`` for anything else."""
    text = text.strip()
    match = _TOKEN_IN_URL.search(text)
    if match:
        return match.group(1)
    return text if _BARE_TOKEN.fullmatch(text) else None


#: The certificate token: no ``typ`` header in version 1 (section 3).
CERTIFICATE_TOKEN: Final = TokenFormat(
    name="certificate", claims_type=CertificateClaims, to_cbor_map=CertificateClaims.to_cbor_map,
    from_cbor_map=CertificateClaims.from_cbor_map, country_of=lambda claims: claims.country,
)
