"""Maximum filling ratios (kg of contents per litre of water capacity), from ``data/filling_ratios.csv``.

See ``data/SOURCES.md`` for the source (ADR P200 Table 2, and the P200 (3) calculation for the mixtures
P200 lists only under an n.o.s. entry) and the rules of the table.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "filling_ratios.csv"


@dataclass(frozen=True, slots=True)
class FillingRatio:
    substance_code: str
    un_number: str
    adr_name: str
    test_pressure_bar: int
    ratio: Decimal  # kg/l
    basis: str = "p200_table2"  # or "calculated": P200 (3) for an n.o.s. mixture (see data/SOURCES.md)
    source: str = ""


@cache
def filling_ratios() -> dict[str, FillingRatio]:
    with DATA.open(encoding="utf-8", newline="") as f:
        rows = [FillingRatio(r["substance_code"], r["un_number"], r["adr_name"], int(r["test_pressure_bar"]),
                             Decimal(r["filling_ratio_kg_per_l"]), r["basis"], r["source"]) for r in csv.DictReader(f)]
    table = {row.substance_code: row for row in rows}
    if len(table) != len(rows):
        raise ValueError("filling_ratios.csv lists a substance twice")
    return table


def max_fill_kg(substance_code: str, water_capacity_l: Decimal) -> Decimal | None:
    """Most a cylinder of ``water_capacity_l`` litres may hold of the substance; ``None`` if not listed."""
    row = filling_ratios().get(substance_code)
    return None if row is None else (water_capacity_l * row.ratio).quantize(Decimal("0.001"))
