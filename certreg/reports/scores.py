"""How an anomaly is scored: the sum of a few explained terms (pure functions, no database).

An anomaly's score is what the inspectors' list is ranked by. Every term has a code, its
points and the figures it came from, so the page can say *why*: "base 30 (mass-balance
gap) + 20.8 (120 kg: 10 × log10(1 + kg)) + 20 (Annex A/B substance)". ``docs/reports.md``
lists the same table.

======================  ==================================================================
term                    points
======================  ==================================================================
``base``                by kind: tamper 100, seizure abroad (a neighbour's seizure
                        alert) 70, inspection finding 60, import without proof 40, used
                        gas without source 40, mass-balance gap 30, import surge 25, refused attempts
                        20, unconfirmed transfer 15, chronic leaker 15, late entry 15; cylinders:
                        label of an empty or destroyed cylinder scanned 50, non-refillable
                        refill attempts 30, custody gap (stock count misses cylinders) 25,
                        cylinders sold and idle 10
``quantity``            10 × log10(1 + kg), at most 40 (the kilograms at stake)
``count``               5 per occurrence after the first, at most 30
``ratio``               10 × log2(ratio), at most 30 (how far above history or threshold)
``disputed``            15 when a counterpart disputed
``problems``            10 per tamper-check problem, at most 50
``annex_ab``            20 when an Annex A or B substance (CFCs, halons, CTC ...) is involved
``annex_ce``            10 when an Annex C or E substance (HCFCs, methyl bromide) is involved
======================  ==================================================================
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from certreg.reports.models import AnomalyKind

BASE = {
    AnomalyKind.TAMPER: 100,
    AnomalyKind.SEIZURE_ABROAD: 70,
    AnomalyKind.INSPECTION_FINDING: 60,
    AnomalyKind.IMPORT_WITHOUT_PROOF: 40,
    AnomalyKind.USED_WITHOUT_SOURCE: 40,
    AnomalyKind.MASS_BALANCE: 30,
    AnomalyKind.IMPORT_SURGE: 25,
    AnomalyKind.REFUSED_ATTEMPTS: 20,
    AnomalyKind.UNCONFIRMED_TRANSFER: 15,
    AnomalyKind.CHRONIC_LEAKER: 15,
    AnomalyKind.LATE_ENTRY: 15,
    AnomalyKind.CLOSED_CYLINDER_SCANNED: 50,
    AnomalyKind.NON_REFILLABLE_REFILL: 30,
    AnomalyKind.CYLINDER_IDLE: 10,
    AnomalyKind.CUSTODY_GAP: 25,
}
QUANTITY_MAX = 40
COUNT_EACH, COUNT_MAX = 5, 30
RATIO_MAX = 30
DISPUTED = 15
PROBLEM_EACH, PROBLEMS_MAX = 10, 50
ANNEX_POINTS = {2: ("annex_ab", 20), 1: ("annex_ce", 10)}


@dataclass(frozen=True)
class Term:
    code: str
    points: Decimal
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "points": str(self.points), "params": self.params}


def _points(value: float) -> Decimal:
    return Decimal(str(round(value, 1)))


def base(kind: AnomalyKind) -> Term:
    return Term("base", Decimal(BASE[kind]), {"kind": kind.value})


def quantity(kg: Decimal) -> Term:
    kg = abs(Decimal(kg))
    return Term("quantity", _points(min(QUANTITY_MAX, 10 * math.log10(1 + float(kg)))), {"kg": str(kg)})


def count(n: int) -> Term | None:
    if n <= 1:
        return None
    return Term("count", Decimal(min(COUNT_MAX, COUNT_EACH * (n - 1))), {"n": n})


def ratio(value: Decimal) -> Term | None:
    if value <= 1:
        return None
    return Term("ratio", _points(min(RATIO_MAX, 10 * math.log2(float(value)))),
                {"ratio": str(Decimal(value).quantize(Decimal("0.1")))})


def disputed(n: int) -> Term | None:
    return Term("disputed", Decimal(DISPUTED), {"n": n}) if n else None


def problems(n: int) -> Term:
    return Term("problems", Decimal(min(PROBLEMS_MAX, PROBLEM_EACH * n)), {"n": n})


def annex(level: int | None) -> Term | None:
    """``level``: 2 when an Annex A/B substance is involved, 1 for Annex C/E, 0 otherwise."""
    if not level:
        return None
    code, points = ANNEX_POINTS[int(level)]
    return Term(code, Decimal(points))


def terms(*items: Term | None) -> list[Term]:
    return [t for t in items if t is not None]


def total(items: Iterable[Term]) -> Decimal:
    return sum((t.points for t in items), Decimal(0))
