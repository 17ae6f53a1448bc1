"""National consumption limits from the Protocol's control schedules (data: ``certreg/quotas/data``).

:func:`national_limit` is the limit for a year: the baseline the administrator enters times the
schedule's percentage in force that year (``None`` before the schedule's first step: no limit).
Which schedule a country follows (:func:`schedule_for`) depends on its Party group
(``certreg.countries.protocol``) and, for HFCs, on the Kigali groups (``kigali_groups.csv``).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from functools import cache
from pathlib import Path

from certreg.countries import protocol

DATA = Path(__file__).parent / "data"
HCFC_GROUP = "C/I"
HFC_GROUP = "F"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@cache
def schedules() -> dict[str, list[tuple[int, Decimal]]]:
    """Schedule name -> ``[(from_year, percent), ...]`` in year order."""
    found: dict[str, list[tuple[int, Decimal]]] = {}
    for row in _rows("control_schedules.csv"):
        found.setdefault(row["schedule"], []).append((int(row["from_year"]), Decimal(row["percent"])))
    return {name: sorted(steps) for name, steps in found.items()}


@cache
def kigali_groups() -> dict[str, str]:
    return {row["code"]: row["schedule"] for row in _rows("kigali_groups.csv")}


def schedule_for(country_code: str, control_group: str) -> str:
    """The schedule a country follows for HCFCs (``C/I``) or HFCs (``F``). :raise KeyError: other groups."""
    article_5 = protocol.party_group(country_code) is protocol.PartyGroup.ARTICLE_5
    if control_group == HCFC_GROUP:
        return "hcfc_a5" if article_5 else "hcfc_non_a5"
    if control_group == HFC_GROUP:
        return kigali_groups().get(country_code, "hfc_a5_group1" if article_5 else "hfc_non_a5")
    raise KeyError(control_group)


def allowed_percent(schedule: str, year: int) -> Decimal | None:
    """The percentage of the baseline allowed in ``year`` (``None``: the schedule has not started)."""
    percent = None
    for from_year, value in schedules()[schedule]:
        if from_year <= year:
            percent = value
    return percent


def national_limit(schedule: str, baseline: Decimal, year: int) -> Decimal | None:
    """The limit for ``year`` in the baseline's unit (ODP or CO2-eq tonnes), to 6 decimals."""
    percent = allowed_percent(schedule, year)
    if percent is None:
        return None
    return (baseline * percent / 100).quantize(Decimal("0.000001"))
