r"""iPIC documents, format v1: a question, its answer, and a country's list of licensed importers and exporters.

Each is one tagged COSE_Sign1 (ES256) signed with the signing key of the country that speaks, as every
certreg token (``docs/qr-token.md`` sections 3 and 5: the same keys and JWKS trust list, a key signs only
for its own country), with its own ``typ`` in the protected header so that no document passes for another.
Question and answer are written as base32 text like a token; a document is self-contained, so that the
federation can carry it between installations as it is (no database join behind it).

Question (``typ`` ``"certreg-ipic-question"``), signed by the asking (exporting) country:

===  ====================  =========================================================
key  name                  CBOR type and rules
===  ====================  =========================================================
1    format version        uint, MUST be 1
2    asking country        tstr, ISO 3166-1 alpha-2; MUST equal the key's country
3    answering country     tstr, the importing country
4    importer              tstr, the importer's registration number in that country
5    substance             tstr, the catalogue code (``HCFC-22``, ``R-404A``)
6    quantity              tstr, kilograms as a decimal (``"500.000"``)
7    year                  uint, the calendar year of the trade
8    asked at              uint, seconds since 1970-01-01 UTC
9    nonce                 bstr, 16 random bytes (a later replay is recognised by it)
===  ====================  =========================================================

Answer (``typ`` ``"certreg-ipic-answer"``), signed by the answering (importing) country:

===  ====================  =========================================================
1    format version        uint, MUST be 1
2    answering country     tstr; MUST equal the key's country
3    asking country        tstr
4    question digest       bstr, SHA-256 of the question's COSE_Sign1 bytes
5    answer                tstr: ``yes``, ``no`` or ``unknown_importer``
6    licence number        tstr, empty unless ``yes``
7    remaining             tstr, kilograms the importer may still import under it; empty unless ``yes``
8    answered at           uint, seconds since 1970-01-01 UTC
===  ====================  =========================================================

Licensees (``typ`` ``"certreg-licensees"``), signed by the country publishing them, served as JSON
``{"country", "issued_at", "licensees": [...], "document": base64url(COSE_Sign1)}``; the payload is a
CBOR map ``{1: 1, 2: country, 3: issued at (seconds), 4: [[registration, name, direction, licence number,
[scope...], valid from (days since 1970-01-01), valid until (days)], ...]}`` and the JSON's ``licensees``
are the same rows as objects. A partner trusts the JSON only as far as the signed payload says the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from certreg.tokens.encoding import COUNTRY_RE, MalformedToken, UnsupportedVersion, is_uint
from certreg.tokens.format import TokenFormat

FORMAT_VERSION: Final = 1
QUESTION_TYP: Final = "certreg-ipic-question"
ANSWER_TYP: Final = "certreg-ipic-answer"
LICENSEES_TYP: Final = "certreg-licensees"
ANSWERS: Final = ("yes", "no", "unknown_importer")
MAX_SECONDS: Final = 2**40


def _text(claims: dict, key: int, maximum: int = 64) -> str:
    value = claims.get(key)
    if type(value) is not str or len(value) > maximum:
        raise MalformedToken(f"claim {key} must be text of at most {maximum} characters")
    return value


def _country(value: str, what: str) -> str:
    if not isinstance(value, str) or not COUNTRY_RE.fullmatch(value):
        raise ValueError(f"bad {what} country {value!r}")
    return value


def _seconds(value: object) -> datetime:
    if not is_uint(value, MAX_SECONDS):
        raise MalformedToken("bad time")
    return datetime.fromtimestamp(value, UTC)


def _version(claims: object, keys: frozenset[int], what: str) -> dict:
    if not isinstance(claims, dict):
        raise MalformedToken("claims must be a CBOR map")
    version = claims.get(1)
    if type(version) is not int:
        raise MalformedToken("claims lack an integer format version (key 1)")
    if version != FORMAT_VERSION:
        raise UnsupportedVersion(version, FORMAT_VERSION, what=what)
    if set(claims) != keys:
        raise MalformedToken(f"claims keys must be exactly {sorted(keys)}")
    return claims


@dataclass(frozen=True, slots=True)
class Question:
    asking_country: str
    answering_country: str
    importer: str
    substance: str
    kg: str
    year: int
    asked_at: datetime
    nonce: bytes

    def __post_init__(self) -> None:
        _country(self.asking_country, "asking")
        _country(self.answering_country, "answering")
        if not 1900 <= self.year <= 2200:
            raise ValueError("bad year")
        if len(self.nonce) != 16:
            raise ValueError("the nonce is 16 bytes")

    def to_cbor_map(self) -> dict[int, object]:
        return {1: FORMAT_VERSION, 2: self.asking_country, 3: self.answering_country, 4: self.importer,
                5: self.substance, 6: self.kg, 7: self.year, 8: int(self.asked_at.timestamp()), 9: self.nonce}

    @classmethod
    def from_cbor_map(cls, claims: object) -> Question:
        claims = _version(claims, frozenset(range(1, 10)), "iPIC question")
        if not is_uint(claims[7], 9999) or type(claims[9]) is not bytes:
            raise MalformedToken("bad year or nonce")
        try:
            return cls(_text(claims, 2, 2), _text(claims, 3, 2), _text(claims, 4), _text(claims, 5, 32),
                       _text(claims, 6, 24), claims[7], _seconds(claims[8]), claims[9])
        except ValueError as exc:
            raise MalformedToken(f"invalid claims: {exc}") from None


@dataclass(frozen=True, slots=True)
class Answer:
    answering_country: str
    asking_country: str
    question_digest: bytes
    answer: str
    licence_number: str
    remaining_kg: str
    answered_at: datetime

    def __post_init__(self) -> None:
        _country(self.answering_country, "answering")
        _country(self.asking_country, "asking")
        if self.answer not in ANSWERS:
            raise ValueError(f"bad answer {self.answer!r}")
        if len(self.question_digest) != 32:
            raise ValueError("the question digest is 32 bytes")

    def to_cbor_map(self) -> dict[int, object]:
        return {1: FORMAT_VERSION, 2: self.answering_country, 3: self.asking_country, 4: self.question_digest,
                5: self.answer, 6: self.licence_number, 7: self.remaining_kg, 8: int(self.answered_at.timestamp())}

    @classmethod
    def from_cbor_map(cls, claims: object) -> Answer:
        claims = _version(claims, frozenset(range(1, 9)), "iPIC answer")
        if type(claims[4]) is not bytes:
            raise MalformedToken("bad question digest")
        try:
            return cls(_text(claims, 2, 2), _text(claims, 3, 2), claims[4], _text(claims, 5, 16),
                       _text(claims, 6), _text(claims, 7, 24), _seconds(claims[8]))
        except ValueError as exc:
            raise MalformedToken(f"invalid claims: {exc}") from None


QUESTION: Final = TokenFormat(name="iPIC question", claims_type=Question, to_cbor_map=Question.to_cbor_map,
                              from_cbor_map=Question.from_cbor_map, country_of=lambda c: c.asking_country,
                              typ=QUESTION_TYP)
ANSWER: Final = TokenFormat(name="iPIC answer", claims_type=Answer, to_cbor_map=Answer.to_cbor_map,
                            from_cbor_map=Answer.from_cbor_map, country_of=lambda c: c.answering_country,
                            typ=ANSWER_TYP)


def digest(cose: bytes) -> bytes:
    """What an answer names its question by: SHA-256 of the question's COSE_Sign1 bytes."""
    return hashlib.sha256(cose).digest()
