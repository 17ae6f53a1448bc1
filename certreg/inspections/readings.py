"""What an identifier reading says about a cylinder's declared substance (no database).

Percentages are by weight as the instrument shows them: R-12, R-22, R-134a and hydrocarbons are
shares of the refrigerant in the sample (they add up to at most 100; the rest the instrument could
not name), air (non-condensables) is the share of the whole sample that was air, reported apart. Thresholds are data
(``data/identifier_thresholds.csv``, sources in ``data/SOURCES.md``). Verdict, in this order:

1. ``inconclusive``: the declared substance is not one the instrument reads (R-12, R-22, R-134a),
   no component was read, or air is at least ``air_inconclusive_percent``;
2. ``contaminated``: hydrocarbons above ``hydrocarbon_alarm_percent`` of the refrigerant;
3. ``matches_label``: the declared substance is at least ``purity_pass_percent`` of the refrigerant;
4. ``mismatch``: another component is at least ``purity_pass_percent`` (or the largest, above half):
   the cylinder holds something else than its label says;
5. ``contaminated``: otherwise (a mixture).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from certreg.inspections.models import ReadingVerdict

DATA = Path(__file__).parent / "data" / "identifier_thresholds.csv"
#: The identifier's channels and the catalogue substance each one reads.
CHANNELS = {"r12": "CFC-12", "r22": "HCFC-22", "r134a": "HFC-134a"}
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Thresholds:
    purity_pass_percent: Decimal
    hydrocarbon_alarm_percent: Decimal
    air_inconclusive_percent: Decimal


@cache
def thresholds() -> Thresholds:
    with DATA.open(encoding="utf-8") as handle:
        rows = {row["name"]: Decimal(row["value"])
                for row in csv.DictReader(line for line in handle if not line.startswith("#"))}
    return Thresholds(**rows)


@dataclass(frozen=True)
class Reading:
    """Raw percentages (None: not shown by the instrument)."""

    r12: Decimal | None = None
    r22: Decimal | None = None
    r134a: Decimal | None = None
    hydrocarbons: Decimal | None = None
    air: Decimal | None = None

    def refrigerant_total(self) -> Decimal:
        return sum((v for v in (self.r12, self.r22, self.r134a, self.hydrocarbons) if v is not None), Decimal(0))


@dataclass(frozen=True)
class Assessment:
    verdict: ReadingVerdict
    found_substance: str | None  # the component that dominates, when one does


def assess(declared: str, reading: Reading, limits: Thresholds | None = None) -> Assessment:
    """The verdict for a cylinder labelled ``declared`` (a catalogue code) given ``reading``."""
    limits = limits or thresholds()
    components = {CHANNELS[name]: getattr(reading, name) or Decimal(0) for name in CHANNELS}
    hydrocarbons = reading.hydrocarbons or Decimal(0)
    air = reading.air or Decimal(0)
    if (declared not in components or not any(components.values()) and not hydrocarbons
            or air >= limits.air_inconclusive_percent):
        return Assessment(ReadingVerdict.INCONCLUSIVE, None)
    share = components
    largest = max(share, key=lambda code: share[code])
    found = largest if share[largest] >= limits.purity_pass_percent else None
    if hydrocarbons > limits.hydrocarbon_alarm_percent:
        return Assessment(ReadingVerdict.CONTAMINATED, found)
    if share[declared] >= limits.purity_pass_percent:
        return Assessment(ReadingVerdict.MATCHES_LABEL, declared)
    if largest != declared and share[largest] > HUNDRED / 2:
        return Assessment(ReadingVerdict.MISMATCH, largest)
    return Assessment(ReadingVerdict.CONTAMINATED, found)
