"""HS codes as the law's data: which codes name a single controlled substance, a mixture, or a product.

The table is ``data/hs_codes.csv`` (HS 2022; its sources are in its header). Since HS 2022 single
substances are classified under heading 29.03 and mixtures under 38.27; products and equipment that
contain a controlled substance under their own headings (84.15, 84.18, 84.24, 38.13, ...). A
declared code is written with or without dots and may carry national digits beyond the six of the
HS subheading (``2903.71``, ``29037100``, ``2903.71.000.0``).

Codes (stable): ``invalid_hs_code``, ``hs_code_not_substance``, ``hs_code_mismatch``,
``hs_code_not_product``.
"""

from __future__ import annotations

import csv
import enum
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_babel import gettext as _

from certreg.errors import ValidationFailed

DATA = Path(__file__).parent / "data" / "hs_codes.csv"


class HsKind(enum.StrEnum):
    SUBSTANCE = "substance"  # heading 29.03
    MIXTURE = "mixture"  # heading 38.27
    PRODUCT = "product"  # equipment, extinguishers, charges


@dataclass(frozen=True, slots=True)
class HsCode:
    code: str  # "2903.71" or a four-digit heading "8415"
    kind: HsKind
    goods: str  # of a product: equipment, extinguisher, charge
    description: str


@cache
def table() -> dict[str, HsCode]:
    """Digits of the code (``"290371"``, ``"8415"``) -> its row."""
    with DATA.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {digits(row["hs_code"]): HsCode(row["hs_code"], HsKind(row["kind"]), row["goods"], row["description"])
                for row in rows}


def digits(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if ch not in ". ")


def normalise(code: str | None) -> str:
    """The declared code as digits; :raise ValidationFailed: ``invalid_hs_code`` (not 6 to 10 digits)."""
    value = digits((code or "").strip())
    if not (6 <= len(value) <= 10 and value.isascii() and value.isdigit()):
        raise ValidationFailed.for_field("hs_code", _("Enter the HS code: 6 to 10 digits, e.g. 2903.71."),
                                         "invalid_hs_code")
    return value


def lookup(code: str) -> HsCode | None:
    """The row of the table for the declared code's subheading (or, for a product, its heading)."""
    value = digits(code)
    return table().get(value[:6]) or table().get(value[:4])


def check(code: str | None, *, product: bool, is_blend: bool, catalogue_code: str | None) -> HsCode | None:
    """The declared HS code is consistent with the goods: a bulk substance under its own subheading of 29.03
    (a mixture under 38.27, and the catalogue's subheading where it has one), a product under a product heading.

    :raise ValidationFailed: on ``hs_code`` with the codes above.
    """
    value = normalise(code)
    row = lookup(value)
    if product:
        if row is None or row.kind is not HsKind.PRODUCT:
            raise ValidationFailed.for_field("hs_code", _(
                "%(code)s is not a heading for equipment or products containing a controlled substance.",
                code=code), "hs_code_not_product")
        return row
    expected = HsKind.MIXTURE if is_blend else HsKind.SUBSTANCE
    if row is not None and row.kind is HsKind.PRODUCT:
        raise ValidationFailed.for_field("hs_code", _(
            "%(code)s is a heading for products, not for a substance in bulk.", code=code), "hs_code_not_substance")
    wanted = digits(catalogue_code)
    if wanted and value[:6] != wanted[:6]:
        raise ValidationFailed.for_field("hs_code", _(
            "This substance is declared under %(expected)s, not %(code)s.", expected=catalogue_code, code=code),
            "hs_code_mismatch")
    if not wanted and (row is None or row.kind is not expected):
        raise ValidationFailed.for_field("hs_code", _(
            "A mixture is declared under heading 38.27 and a single substance under 29.03 (HS 2022)."),
            "hs_code_mismatch")
    return row
