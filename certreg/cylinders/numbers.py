"""Cylinder serials: the national serial certreg issues, and the owner's GS1 GRAI.

National serial ``CC-C-NNNNNN-D``: issuing country (ISO 3166-1 alpha-2), the letter ``C``
(cylinder), a per-country sequence zero-padded to 6 digits (longer past 999999) and a Damm
check digit computed exactly as for certificate numbers (:mod:`certreg.certificates.numbers`:
letters expanded IBAN-style, ``A`` = 10 ... ``Z`` = 35, then ``stdnum.damm``), over
``CC + "C" + NNNNNN``. Example: ``KZ-C-000123-4``. Parsing tolerates case, spaces and dashes.

GRAI (GS1 Global Returnable Asset Identifier, application identifier 8003): ``0`` + a GTIN-13
style company prefix and asset type with its GS1 mod-10 check digit (14 digits), then an
optional serial of up to 16 characters. Stored without the ``(8003)``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from stdnum import damm

_SEPARATORS_RE: Final = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_COMPACT_RE: Final = re.compile(r"([A-Z]{2})C([0-9]{6,})([0-9])", re.ASCII)
_GRAI_RE: Final = re.compile(r"(?:\(8003\)|8003)?(0[0-9]{13})([!-~]{0,16})", re.ASCII)


def _digits(text: str) -> str:
    return "".join(str(int(ch, 36)) for ch in text)


def check_digit(country: str, sequence: str) -> str:
    return damm.calc_check_digit(_digits(country + "C" + sequence))


def format_serial(country: str, seq: int) -> str:
    """``format_serial("KZ", 123)`` -> ``"KZ-C-000123-D"`` with its check digit."""
    if not re.fullmatch(r"[A-Z]{2}", country, re.ASCII):
        raise ValueError(f"country must be two uppercase letters, got {country!r}")
    if type(seq) is not int or seq < 0:
        raise ValueError("sequence must be a non-negative integer")
    seq_s = str(seq).zfill(6)
    return f"{country}-C-{seq_s}-{check_digit(country, seq_s)}"


def parse_serial(text: str) -> str:
    """The canonical national serial; ``ValueError`` with a message fit for users."""
    compact = _SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", text or "")).upper()
    match = _COMPACT_RE.fullmatch(compact)
    if match is None:
        raise ValueError("not a national cylinder serial of the form CC-C-NNNNNN-D")
    country, seq, given = match.groups()
    if len(seq) > 6 and seq.startswith("0"):
        raise ValueError("the sequence has too many digits")
    if check_digit(country, seq) != given:
        raise ValueError("the check digit does not match: the serial was probably mistyped")
    return f"{country}-C-{seq}-{given}"


def is_national_serial(text: str) -> bool:
    try:
        parse_serial(text)
    except ValueError:
        return False
    return True


def gs1_check_digit(digits: str) -> str:
    """GS1 mod-10 check digit of ``digits`` (weights 3, 1 from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def parse_grai(text: str) -> str:
    """The GRAI without the AI: 14 digits (leading 0, check digit last) plus an optional serial."""
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    match = _GRAI_RE.fullmatch(compact)
    if match is None:
        raise ValueError("not a GRAI: 0, 12 digits, a check digit, then an optional serial of up to 16 characters")
    digits, serial = match.groups()
    if gs1_check_digit(digits[1:13]) != digits[13]:
        raise ValueError("the GRAI check digit does not match")
    return digits + serial
