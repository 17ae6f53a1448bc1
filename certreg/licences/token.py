r"""certreg licence token, format v1.

The QR code on a licence document encodes ``{PUBLIC_BASE_URL}/l/{TOKEN}``: the URL prefix as a
QR byte segment, ``TOKEN`` as an alphanumeric segment, error correction Q, version <= 13 for a
realistic licence. ``TOKEN`` is written, structured and signed exactly like the certificate token
(``docs/qr-token.md`` sections 2-4 and 6: base32 without padding of one tagged COSE_Sign1, ES256,
the issuing country's key, the same JWKS trust list), except that the protected header also
carries ``16`` (``typ``) = ``"certreg-licence"``, so a licence can never pass for a certificate or
a cylinder label, nor they for a licence.

Claims (payload), version 1: a CBOR map with exactly these unsigned integer keys.

===  ===================  ======================================================================
key  name                 CBOR type and rules
===  ===================  ======================================================================
1    format version       uint, MUST be 1
2    licence number       tstr, 1-64 printable ASCII characters (``!``-``~`` and space, no
                          leading/trailing space), unique within the issuing country
3    issuing country      tstr, ISO 3166-1 alpha-2, uppercase; MUST equal the key's country
4    holder registration  tstr, 1-64 printable ASCII: the company's registration or tax number
                          (what a customs declaration names the importer or exporter by)
5    direction            uint: 1 import, 2 export
6    scope                array of 1-16 distinct tstr (1-32 printable ASCII each): substance codes
                          (``HCFC-22``, ``R-404A``) and/or control groups (``C/I``, ``F``)
7    cap                  uint, grams (the cap in kg x 1000), < 2**53
8    partner countries    array of 0-32 distinct ISO 3166-1 alpha-2 codes; empty: any country
9    valid from           uint, days since 1970-01-01, first valid day
10   valid until          uint, days since 1970-01-01, last valid day (inclusive), >= valid from
11   status index         uint < 2**32: the licence's index in its country's *licence* status list
===  ===================  ======================================================================

What the QR holds is bounded by the QR: with the ``typ`` header, a version 13 code at level Q
leaves about 85 bytes of claims. The holder's name and the HS codes are therefore printed on the
document and shown by the online check (from the register), not signed into the token; a licence
``KZ-IMP-2026-0077`` of two substances and two partner countries gives a version 13 code, longer
lists a larger version (the smallest that fits is used).

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

FORMAT_VERSION: Final = 1
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
_KEYS: Final = frozenset(range(1, 12))
_PRINTABLE_RE: Final = re.compile(r"[!-~](?:[ -~]{0,62}[!-~])?", re.ASCII)
_SCOPE_RE: Final = re.compile(r"[!-~](?:[ -~]{0,30}[!-~])?", re.ASCII)


def _good_list(values: object, pattern: re.Pattern, low: int, high: int) -> bool:
    return (isinstance(values, tuple) and low <= len(values) <= high and len(set(values)) == len(values)
            and all(isinstance(v, str) and pattern.fullmatch(v) for v in values))


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
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.version != FORMAT_VERSION:
            raise ValueError(f"only format version {FORMAT_VERSION} is supported")
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

    def to_cbor_map(self) -> dict[int, object]:
        return {1: self.version, 2: self.number, 3: self.country, 4: self.holder_registration,
                5: DIRECTION_CODES[self.direction], 6: list(self.scope), 7: self.cap_grams,
                8: list(self.partner_countries), 9: day_number(self.valid_from), 10: day_number(self.valid_until),
                11: self.status_index}

    @classmethod
    def from_cbor_map(cls, claims: object) -> LicenceClaims:
        if not isinstance(claims, dict):
            raise MalformedToken("claims must be a CBOR map")
        version = claims.get(1)
        if type(version) is not int:
            raise MalformedToken("claims lack an integer format version (key 1)")
        if version != FORMAT_VERSION:
            raise UnsupportedVersion(version, FORMAT_VERSION, what="licence")
        if set(claims) != _KEYS:
            raise MalformedToken(f"claims keys must be exactly {sorted(_KEYS)}")
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
        try:
            return cls(number=claims[2], country=claims[3], holder_registration=claims[4],
                       direction=_DIRECTION_BY_CODE[direction], scope=lists[6], cap_grams=claims[7],
                       partner_countries=lists[8], valid_from=day_date(claims[9]), valid_until=day_date(claims[10]),
                       status_index=claims[11])
        except ValueError as exc:
            raise MalformedToken(f"invalid claims: {exc}") from None


LICENCE_TOKEN: Final = TokenFormat(
    name="licence", claims_type=LicenceClaims, to_cbor_map=LicenceClaims.to_cbor_map,
    from_cbor_map=LicenceClaims.from_cbor_map, country_of=lambda claims: claims.country, typ=LICENCE_TYP,
)
