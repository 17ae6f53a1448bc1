"""Equipment ids: ``CC-E-NNNNNN-D`` (country, ``E``, a six-digit or longer number, a Damm check
digit over the base-36 digits of the rest), as printed in the equipment's QR label."""

from __future__ import annotations

import re

from stdnum import damm

_CODE_RE = re.compile(r"([A-Z]{2})E([0-9]{6,})([0-9])", re.ASCII)
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def _digits(text: str) -> str:
    return "".join(str(int(ch, 36)) for ch in text)


def format_code(country_code: str, number: int) -> str:
    sequence = f"{number:06d}"
    return f"{country_code}-E-{sequence}-{damm.calc_check_digit(_digits(country_code + 'E' + sequence))}"


def normalize_code(text: str) -> str | None:
    """``KG-E-000012-3`` from a typed id (any case, spaces, dashes) or a scanned label URL; None if invalid."""
    text = (text or "").strip()
    if "/e/" in text:
        text = text.rsplit("/e/", 1)[1]
    compact = _SEPARATORS.sub("", text).upper()
    match = _CODE_RE.fullmatch(compact)
    if match is None:
        return None
    country, sequence, check = match.groups()
    if damm.calc_check_digit(_digits(country + "E" + sequence)) != check:
        return None
    return f"{country}-E-{sequence}-{check}"
