r"""certreg licence token, format v2 (v1 still verifies).

The QR code on a licence document encodes ``{PUBLIC_BASE_URL}/l/{TOKEN}``: the URL prefix as a
QR byte segment, ``TOKEN`` as an alphanumeric segment, error correction Q, version <= 15 for a
realistic licence. ``TOKEN`` is written, structured and signed exactly like the certificate token
(``docs/qr-token.md`` sections 2-4 and 6: base32 without padding of one tagged COSE_Sign1, ES256,
the issuing country's key, the same JWKS trust list), except that the protected header also
carries ``16`` (``typ``) = ``"certreg-licence"``, so a licence can never pass for a certificate or
a cylinder label, nor they for a licence.

Claims (payload): a CBOR map with exactly these unsigned integer keys: 1-13 in version 2, 1-11 in
version 1 (the tokens signed before holder names and HS codes were signed; verifiers accept both).

===  ===================  ======================================================================
key  name                 CBOR type and rules
===  ===================  ======================================================================
1    format version       uint, 2 (or 1: keys 1-11 only); verifiers reject any other value as an
                          unsupported version
2    licence number       tstr, 1-64 printable ASCII characters (``!``-``~`` and space, no
                          leading/trailing space), unique within the issuing country
3    issuing country      tstr, ISO 3166-1 alpha-2, uppercase; MUST equal the key's country
4    holder registration  tstr, 1-64 printable ASCII: the company's registration or tax number
                          (what a customs declaration names the importer or exporter by)
5    direction            uint: 1 import, 2 export
6    scope                array of 1-16 distinct tstr (1-32 printable ASCII each): substance codes
                          (``HCFC-22``, ``R-404A``), control groups (``C/I``) or annexes (``F``)
7    cap                  uint, grams (the cap in kg x 1000), < 2**53
8    partner countries    array of 0-32 distinct ISO 3166-1 alpha-2 codes; empty: any country
9    valid from           uint, days since 1970-01-01, first valid day
10   valid until          uint, days since 1970-01-01, last valid day (inclusive), >= valid from
11   status index         uint < 2**32: the licence's index in its country's *licence* status list
12   holder name          (v2) tstr, 1-48 characters (code points), no control, format or surrogate
                          characters (Unicode Cc, Cf, Cs), no leading/trailing space: the company's
                          name in Latin script, longer names cut to 47 characters and ``…``
13   HS codes             (v2) array of 0-16 distinct bstr of 1-8 bytes: each HS code's digits in
                          packed decimal, two per byte, high nibble first, an odd count ending in
                          the nibble ``F`` (``2903.71`` is ``h'290371'``, ``8415.101`` is
                          ``h'8415101F'``); shown as 4 digits, then dot-separated pairs
                          (``2903.71``, ``8418.50.11``). Empty: any HS code
===  ===================  ======================================================================

What the QR holds is bounded by the QR: with the ``typ`` header, a version 13 code at level Q
leaves about 85 bytes of claims, and the holder's name and HS codes do not fit beside the other
claims. So a version 2 licence ``KZ-IMP-2026-0077`` of two substances, two HS codes, two partner
countries and a holder name of 32 characters gives a version 15 code (60 mm on the A4 document:
modules of 0.7 mm), the HS codes packed to keep it there; longer lists a larger version (the
smallest that fits is used).

Licence status list: one per country at ``GET /api/v1/licences/status-list``, the same format as
the certificate status list (``docs/qr-token.md`` section 7) but signed with ``typ``
``"certreg-licence-statuslist+cwt"``; values 0 valid (dates decide), 1 revoked, 2 suspended,
3 expired (ended by the authority before its last day).

Verdicts, in this order (signature, then status, then dates): ``INVALID_SIGNATURE``, ``UNKNOWN``
(unknown key or version; index beyond the list), ``REVOKED``, ``SUSPENDED``, ``EXPIRED``,
``NOT_YET_VALID``, ``VALID``. The document states the terms as signed; the online check page
also shows what the register says now.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from certreg.tokens.encoding import (
    COUNTRY_RE,
    MAX_DAY,
    MalformedToken,
    UnsupportedVersion,
    day_date,
    day_number,
    is_uint,
)
from certreg.tokens.format import TokenFormat

FORMAT_VERSION: Final = 2
#: Version 1: keys 1-11 (no holder name, no HS codes); still verified.
VERSION_KEYS: Final = {1: frozenset(range(1, 12)), 2: frozenset(range(1, 14))}
MAX_HOLDER_NAME: Final = 48
MAX_HS_CODES: Final = 16
_FORBIDDEN_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs"})
_DIGITS_RE: Final = re.compile(r"[0-9]{1,16}", re.ASCII)
LICENCE_TYP: Final = "certreg-licence"
LICENCE_STATUS_LIST_TYP: Final = "certreg-licence-statuslist+cwt"
DIRECTION_CODES: Final = {"import": 1, "export": 2}
_DIRECTION_BY_CODE: Final = {v: k for k, v in DIRECTION_CODES.items()}
#: Licence status list values (``docs/qr-token.md`` section 7 layout).
STATUS_VALID: Final = 0
STATUS_REVOKED: Final = 1
STATUS_SUSPENDED: Final = 2
STATUS_EXPIRED: Final = 3
STATUS_VERDICTS: Final = {STATUS_REVOKED: "REVOKED", STATUS_SUSPENDED: "SUSPENDED", STATUS_EXPIRED: "EXPIRED"}
MAX_GRAMS: Final = 2**53 - 1
_PRINTABLE_RE: Final = re.compile(r"[!-~](?:[ -~]{0,62}[!-~])?", re.ASCII)
_SCOPE_RE: Final = re.compile(r"[!-~](?:[ -~]{0,30}[!-~])?", re.ASCII)


def _good_list(values: object, pattern: re.Pattern, low: int, high: int) -> bool:
    return (isinstance(values, tuple) and low <= len(values) <= high and len(set(values)) == len(values)
            and all(isinstance(v, str) and pattern.fullmatch(v) for v in values))


def holder_name_for(name: str) -> str:
    """A company's name as the token signs it: without control or format characters, spaces collapsed, cut to
    47 characters and ``…`` if longer (``?`` if nothing is left)."""
    name = "".join(ch for ch in name or "" if unicodedata.category(ch) not in _FORBIDDEN_CATEGORIES)
    name = " ".join(name.split()) or "?"
    return name if len(name) <= MAX_HOLDER_NAME else name[:MAX_HOLDER_NAME - 1].rstrip() + "…"


def hs_digits(code: str) -> str:
    """The digits of an HS code as written (``2903.71`` -> ``290371``)."""
    return "".join(ch for ch in code if ch.isascii() and ch.isdigit())


def hs_text(digits: str) -> str:
    """An HS code's digits as shown: 4 digits, then dot-separated pairs (``2903.71``, ``8418.50.11``)."""
    return ".".join([digits[:4]] + [digits[i:i + 2] for i in range(4, len(digits), 2)])


def _pack(digits: str) -> bytes:
    return bytes.fromhex(digits + ("f" if len(digits) % 2 else ""))


def _unpack(packed: object) -> str:
    if not isinstance(packed, bytes) or not 1 <= len(packed) <= 8:
        raise MalformedToken("an HS code must be 1-8 bytes")
    digits = packed.hex()
    if digits.endswith("f"):
        digits = digits[:-1]
    if not digits.isdigit():
        raise MalformedToken("an HS code must be packed decimal digits")
    return digits


def _good_name(name: object) -> bool:
    return (isinstance(name, str) and 1 <= len(name) <= MAX_HOLDER_NAME and name == name.strip()
            and not any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in name))


@dataclass(frozen=True, slots=True)
class LicenceClaims:
    number: str
    country: str
    holder_registration: str
    direction: str
    scope: tuple[str, ...]
    cap_grams: int
    partner_countries: tuple[str, ...]
    valid_from: dt.date
    valid_until: dt.date
    status_index: int
    holder_name: str | None = None  # version 2
    hs_codes: tuple[str, ...] | None = None  # version 2: digits only
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.version not in VERSION_KEYS:
            raise ValueError(f"only format versions {sorted(VERSION_KEYS)} are supported")
        if self.version == 1:
            if self.holder_name is not None or self.hs_codes is not None:
                raise ValueError("a version 1 token signs no holder name and no HS codes")
        else:
            if not _good_name(self.holder_name):
                raise ValueError(f"holder name must be 1-{MAX_HOLDER_NAME} characters, no control characters")
            if not _good_list(self.hs_codes, _DIGITS_RE, 0, MAX_HS_CODES):
                raise ValueError(f"HS codes must be 0-{MAX_HS_CODES} distinct codes of 1-16 digits")
        if not isinstance(self.number, str) or not _PRINTABLE_RE.fullmatch(self.number):
            raise ValueError(f"bad licence number {self.number!r}")
        if not isinstance(self.country, str) or not COUNTRY_RE.fullmatch(self.country):
            raise ValueError(f"bad country {self.country!r}")
        if not isinstance(self.holder_registration, str) or not _PRINTABLE_RE.fullmatch(self.holder_registration):
            raise ValueError("bad holder registration number")
        if self.direction not in DIRECTION_CODES:
            raise ValueError(f"bad direction {self.direction!r}")
        if not _good_list(self.scope, _SCOPE_RE, 1, 16):
            raise ValueError("scope must be 1-16 distinct codes")
        if not _good_list(self.partner_countries, COUNTRY_RE, 0, 32):
            raise ValueError("partner countries must be 0-32 distinct ISO codes")
        if not is_uint(self.cap_grams, MAX_GRAMS):
            raise ValueError("cap_grams must be an int in [0, 2**53)")
        for value in (self.valid_from, self.valid_until):
            if type(value) is not dt.date or not 0 <= day_number(value) <= MAX_DAY:
                raise ValueError("dates must be from 1970-01-01")
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until before valid_from")
        if not is_uint(self.status_index, 2**32 - 1):
            raise ValueError("status_index must be an int in [0, 2**32)")

    @property
    def cap_kg_text(self) -> str:
        """The cap in kg as printed: ``500``, ``12.5``."""
        return f"{(Decimal(self.cap_grams) / 1000).normalize():f}"

    @property
    def hs_codes_text(self) -> tuple[str, ...] | None:
        """The signed HS codes as shown (``2903.71``); None for a version 1 token (it signs none)."""
        return None if self.hs_codes is None else tuple(hs_text(code) for code in self.hs_codes)

    def to_cbor_map(self) -> dict[int, object]:
        claims: dict[int, object] = {
            1: self.version, 2: self.number, 3: self.country, 4: self.holder_registration,
            5: DIRECTION_CODES[self.direction], 6: list(self.scope), 7: self.cap_grams,
            8: list(self.partner_countries), 9: day_number(self.valid_from), 10: day_number(self.valid_until),
            11: self.status_index}
        if self.version >= 2:
            claims[12] = self.holder_name
            claims[13] = [_pack(code) for code in self.hs_codes or ()]
        return claims

    @classmethod
    def from_cbor_map(cls, claims: object) -> LicenceClaims:
        if not isinstance(claims, dict):
            raise MalformedToken("claims must be a CBOR map")
        version = claims.get(1)
        if type(version) is not int:
            raise MalformedToken("claims lack an integer format version (key 1)")
        if version not in VERSION_KEYS:
            raise UnsupportedVersion(version, FORMAT_VERSION, what="licence")
        if set(claims) != VERSION_KEYS[version]:
            raise MalformedToken(f"claims keys must be exactly {sorted(VERSION_KEYS[version])}")
        direction = claims[5]
        if type(direction) is not int or direction not in _DIRECTION_BY_CODE:
            raise MalformedToken("bad direction")
        for key in (9, 10):
            if not is_uint(claims[key], MAX_DAY):
                raise MalformedToken("bad licence date")
        for key in (2, 3, 4):
            if type(claims[key]) is not str:
                raise MalformedToken(f"claim {key} must be text")
        for key in (7, 11):
            if type(claims[key]) is not int:
                raise MalformedToken(f"claim {key} must be an integer")
        lists = {}
        for key in (6, 8):
            if not isinstance(claims[key], (list, tuple)):
                raise MalformedToken(f"claim {key} must be an array")
            lists[key] = tuple(claims[key])
        signed: dict[str, object] = {}
        if version >= 2:
            if type(claims[12]) is not str:
                raise MalformedToken("claim 12 must be text")
            if not isinstance(claims[13], (list, tuple)):
                raise MalformedToken("claim 13 must be an array")
            signed = {"holder_name": claims[12], "hs_codes": tuple(_unpack(code) for code in claims[13])}
        try:
            return cls(number=claims[2], country=claims[3], holder_registration=claims[4],
                       direction=_DIRECTION_BY_CODE[direction], scope=lists[6], cap_grams=claims[7],
                       partner_countries=lists[8], valid_from=day_date(claims[9]), valid_until=day_date(claims[10]),
                       status_index=claims[11], version=version, **signed)
        except ValueError as exc:
            raise MalformedToken(f"invalid claims: {exc}") from None


LICENCE_TOKEN: Final = TokenFormat(
    name="licence", claims_type=LicenceClaims, to_cbor_map=LicenceClaims.to_cbor_map,
    from_cbor_map=LicenceClaims.from_cbor_map, country_of=lambda claims: claims.country, typ=LICENCE_TYP,
)
