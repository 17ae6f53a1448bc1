r"""certreg cylinder label token, format v1.

The QR code on a cylinder label encodes ``{PUBLIC_BASE_URL}/c/{TOKEN}``: the URL prefix as a
QR byte segment, ``TOKEN`` as an alphanumeric segment, error correction Q, version <= 13.
``TOKEN`` is written, structured and signed exactly like the certificate token
(``docs/qr-token.md`` sections 2, 3 and 5: base32 without padding of one tagged COSE_Sign1,
ES256, the issuing country's key, the same JWKS trust list), except that the protected header
also carries ``16`` (``typ``) = ``"certreg-cylinder-label"``, so a label can never pass for a
certificate nor a certificate for a label.

Claims (payload), version 1: a CBOR map with exactly these unsigned integer keys.

===  ================  ==========================================================
key  name              CBOR type and rules
===  ================  ==========================================================
1    format version    uint, MUST be 1
2    serial            tstr, the national serial ``CC-C-NNNNNN-D`` (1-32 of ``A-Z 0-9 -``)
3    issuing country   tstr, ISO 3166-1 alpha-2, uppercase; MUST equal the key's country
4    cylinder kind     uint: 1 refillable, 2 non-refillable, 3 recovery, 4 drum/ISO tank
5    substance         tstr, 0-32 chars, the catalogue code of the contents as labelled
                       (``HFC-134a``, ``R-404A``); empty: labelled empty
6    net contents      uint, grams as labelled
7    condition         uint: 0 none, 1 virgin, 2 recovered, 3 recycled, 4 reclaimed,
                       5 for destruction
8    status index      uint < 2**32: the label's index in its country's *label* status list
9    labelled on       uint, days since 1970-01-01
===  ================  ==========================================================

Label status list: one per country at ``GET /api/v1/cylinders/status-list``, the same format
as the certificate status list (``docs/qr-token.md`` section 7) but signed with ``typ``
``"certreg-label-statuslist+cwt"``; values 0 valid, 1 invalid (the label was replaced by a
newer one, or the cylinder destroyed), 2 suspended (reported lost or stolen, seized).

The label states what the cylinder held when it was printed; the scan page compares it with
what the register says now (see :mod:`certreg.cylinders.scanning`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
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
LABEL_TYP: Final = "certreg-cylinder-label"
LABEL_STATUS_LIST_TYP: Final = "certreg-label-statuslist+cwt"
KIND_CODES: Final = {"refillable": 1, "non_refillable": 2, "recovery": 3, "drum": 4}
CONDITION_CODES: Final = {None: 0, "virgin": 1, "recovered": 2, "recycled": 3, "reclaimed": 4,
                          "for_destruction": 5}
_KIND_BY_CODE: Final = {v: k for k, v in KIND_CODES.items()}
_CONDITION_BY_CODE: Final = {v: k for k, v in CONDITION_CODES.items()}
_SERIAL_RE: Final = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}", re.ASCII)
_SUBSTANCE_RE: Final = re.compile(r"[!-~]{0,32}", re.ASCII)
_KEYS: Final = frozenset(range(1, 10))
MAX_GRAMS: Final = 2**32 - 1


@dataclass(frozen=True, slots=True)
class LabelClaims:
    serial: str
    country: str
    kind: str
    substance: str
    net_grams: int
    condition: str | None
    status_index: int
    labelled_on: dt.date
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.version != FORMAT_VERSION:
            raise ValueError(f"only format version {FORMAT_VERSION} is supported")
        if not isinstance(self.serial, str) or not _SERIAL_RE.fullmatch(self.serial):
            raise ValueError(f"bad serial {self.serial!r}")
        if not isinstance(self.country, str) or not COUNTRY_RE.fullmatch(self.country):
            raise ValueError(f"bad country {self.country!r}")
        if self.kind not in KIND_CODES:
            raise ValueError(f"bad cylinder kind {self.kind!r}")
        if not isinstance(self.substance, str) or not _SUBSTANCE_RE.fullmatch(self.substance):
            raise ValueError(f"bad substance code {self.substance!r}")
        if not is_uint(self.net_grams, MAX_GRAMS):
            raise ValueError("net_grams must be an int in [0, 2**32)")
        if self.condition not in CONDITION_CODES:
            raise ValueError(f"bad condition {self.condition!r}")
        if not is_uint(self.status_index, 2**32 - 1):
            raise ValueError("status_index must be an int in [0, 2**32)")
        if type(self.labelled_on) is not dt.date or not 0 <= day_number(self.labelled_on) <= MAX_DAY:
            raise ValueError("labelled_on must be a date from 1970-01-01")

    def to_cbor_map(self) -> dict[int, object]:
        return {1: self.version, 2: self.serial, 3: self.country, 4: KIND_CODES[self.kind], 5: self.substance,
                6: self.net_grams, 7: CONDITION_CODES[self.condition], 8: self.status_index,
                9: day_number(self.labelled_on)}

    @classmethod
    def from_cbor_map(cls, claims: object) -> LabelClaims:
        if not isinstance(claims, dict):
            raise MalformedToken("claims must be a CBOR map")
        version = claims.get(1)
        if type(version) is not int:
            raise MalformedToken("claims lack an integer format version (key 1)")
        if version != FORMAT_VERSION:
            raise UnsupportedVersion(version, FORMAT_VERSION, what="cylinder label")
        if set(claims) != _KEYS:
            raise MalformedToken(f"claims keys must be exactly {sorted(_KEYS)}")
        kind, condition, day = claims[4], claims[7], claims[9]
        if type(kind) is not int or kind not in _KIND_BY_CODE:
            raise MalformedToken("bad cylinder kind")
        if type(condition) is not int or condition not in _CONDITION_BY_CODE:
            raise MalformedToken("bad condition")
        if not is_uint(day, MAX_DAY):
            raise MalformedToken("bad label date")
        for key in (2, 3, 5):
            if type(claims[key]) is not str:
                raise MalformedToken(f"claim {key} must be text")
        for key in (6, 8):
            if type(claims[key]) is not int:
                raise MalformedToken(f"claim {key} must be an integer")
        try:
            return cls(serial=claims[2], country=claims[3], kind=_KIND_BY_CODE[kind], substance=claims[5],
                       net_grams=claims[6], condition=_CONDITION_BY_CODE[condition], status_index=claims[8],
                       labelled_on=day_date(day))
        except ValueError as exc:
            raise MalformedToken(f"invalid claims: {exc}") from None


LABEL_TOKEN: Final = TokenFormat(
    name="cylinder label", claims_type=LabelClaims, to_cbor_map=LabelClaims.to_cbor_map,
    from_cbor_map=LabelClaims.from_cbor_map, country_of=lambda claims: claims.country, typ=LABEL_TYP,
)
