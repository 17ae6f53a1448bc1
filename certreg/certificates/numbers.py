"""Certificate numbers ``CC-K-YYYY-NNNNNN-D``.

========  ==================================================================
part      meaning
========  ==================================================================
``CC``    issuing country, ISO 3166-1 alpha-2 (uppercase)
``K``     ``T`` technician, ``C`` company
``YYYY``  year of issue
``NNNNNN``  sequence number within country, kind and year, zero-padded to 6
          digits (longer if it ever exceeds 999999)
``D``     check digit
========  ==================================================================

Check digit: the Damm algorithm (``stdnum.damm``) over the digit string
obtained from ``CC + K + YYYY + NNNNNN`` (as printed, without dashes) by
replacing each letter with two digits as in IBAN (ISO 13616): ``A`` = 10 ...
``Z`` = 35.  Example: ``KG-T-2026-000123`` -> ``20 16 29 2026 000123`` ->
``damm.calc_check_digit("201629" "2026" "000123")``.  Damm detects every
single-digit error and every transposition of adjacent digits in the number
part, so a number mistyped at a dealer's counter is caught.  (Letter mistakes
turn into two-digit changes, which are usually, but not always, caught;
letters are also constrained by the format.)

Parsing is tolerant of case, whitespace and missing or extra dashes:
``kg t 2026 000123 7`` and ``KGT20260001237`` both parse.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

from stdnum import damm

__all__ = ["ParsedNumber", "check_digit", "format_number", "is_valid_number", "parse_number"]

KIND_CODES: Final = {"technician": "T", "company": "C"}
_KIND_NAMES: Final = {code: name for name, code in KIND_CODES.items()}
_SEQ_WIDTH: Final = 6
_COMPACT_RE: Final = re.compile(r"([A-Z]{2})([TC])([0-9]{4})([0-9]{6,})([0-9])", re.ASCII)
# Characters dropped before parsing: whitespace and dash-like punctuation.
_SEPARATORS_RE: Final = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def _digits(text: str) -> str:
    """IBAN-style letter expansion: ``A`` -> ``10`` ... ``Z`` -> ``35``."""
    return "".join(str(int(ch, 36)) for ch in text)


def check_digit(country: str, kind_code: str, year: str, sequence: str) -> str:
    """The Damm check digit for the printed parts (all as strings)."""
    return damm.calc_check_digit(_digits(country + kind_code + year + sequence))


def _kind_code(kind: str) -> str:
    if kind in KIND_CODES:
        return KIND_CODES[kind]
    if kind in _KIND_NAMES:
        return kind
    raise ValueError(f"kind must be 'technician'/'company' or 'T'/'C', got {kind!r}")


def format_number(country: str, kind: str, year: int, seq: int) -> str:
    """Build the canonical number, e.g. ``format_number("KG", "T", 2026, 123)``
    -> ``"KG-T-2026-000123-5"``.  ``kind`` is ``T``/``C`` or
    ``technician``/``company``.
    """
    if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country, re.ASCII):
        raise ValueError(f"country must be two uppercase letters, got {country!r}")
    code = _kind_code(kind)
    if type(year) is not int or not 1000 <= year <= 9999:
        raise ValueError(f"year must be a 4-digit integer, got {year!r}")
    if type(seq) is not int or seq < 0:
        raise ValueError(f"sequence must be a non-negative integer, got {seq!r}")
    year_s, seq_s = str(year), str(seq).zfill(_SEQ_WIDTH)
    return f"{country}-{code}-{year_s}-{seq_s}-{check_digit(country, code, year_s, seq_s)}"


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    country: str
    kind: Literal["technician", "company"]
    year: int
    sequence: int
    check_digit: str
    sequence_text: str  # as printed (zero-padded)

    @property
    def kind_code(self) -> str:
        return KIND_CODES[self.kind]

    @property
    def canonical(self) -> str:
        """The number in its printed form ``CC-K-YYYY-NNNNNN-D``."""
        return f"{self.country}-{self.kind_code}-{self.year:04d}-{self.sequence_text}-{self.check_digit}"

    def __str__(self) -> str:
        return self.canonical


def parse_number(text: str) -> ParsedNumber:
    """Parse and check a certificate number; raises ``ValueError`` with a
    message fit to show to a user if the format or the check digit is wrong.
    """
    if not isinstance(text, str):
        raise ValueError("certificate number must be text")
    compact = _SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", text)).upper()
    match = _COMPACT_RE.fullmatch(compact)
    if match is None:
        raise ValueError(
            f"{text.strip()!r} is not a certificate number of the form CC-K-YYYY-NNNNNN-D "
            "(country, T or C, year, 6-digit sequence, check digit)"
        )
    country, code, year, seq, given = match.groups()
    if len(seq) > _SEQ_WIDTH and seq.startswith("0"):
        raise ValueError(f"{text.strip()!r}: sequence has too many digits")
    expected = check_digit(country, code, year, seq)
    if given != expected:
        raise ValueError(
            f"{text.strip()!r}: check digit does not match - the number was probably "
            "mistyped; please compare it with the certificate"
        )
    return ParsedNumber(
        country=country,
        kind=_KIND_NAMES[code],  # type: ignore[arg-type]
        year=int(year),
        sequence=int(seq),
        check_digit=given,
        sequence_text=seq,
    )


def is_valid_number(text: str) -> bool:
    """``True`` if :func:`parse_number` accepts ``text``."""
    try:
        parse_number(text)
    except ValueError:
        return False
    return True
