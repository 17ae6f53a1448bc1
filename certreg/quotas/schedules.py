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
HFC_GROUP = "F"  # all of Annex F (groups I and II): the Kigali schedules cover them together

#: Control group -> the stem of its schedules (``<stem>_a5``, ``<stem>_non_a5``); Annex F is :data:`HFC_GROUP`.
GROUP_SCHEDULES = {
    "A/I": "cfc", "A/II": "halon", "B/I": "other_cfc", "B/II": "ctc", "B/III": "tca", "C/I": "hcfc",
    "C/II": "hbfc", "C/III": "bcm", "E/I": "mebr",
}
#: The groups a national limit and quotas are kept for, in the Protocol's order.
QUOTA_GROUPS = (*GROUP_SCHEDULES, HFC_GROUP)
ODP_TONNES = "odp_t"
CO2E_TONNES = "co2e_t"


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


def quota_group(annex: str, group: str) -> str:
    """The quota group of a substance of ``annex``/``group``: ``"C/I"``, or ``"F"`` for every HFC."""
    return HFC_GROUP if annex == "F" else f"{annex}/{group}"


def unit_of(control_group: str) -> str:
    """The unit a group is controlled in: CO2-eq tonnes for Annex F, ODP tonnes for Annexes A, B, C, E."""
    return CO2E_TONNES if control_group == HFC_GROUP else ODP_TONNES


def schedule_for(country_code: str, control_group: str) -> str:
    """The schedule a country follows for a control group (``"C/I"``, ``"F"``, ...). :raise KeyError: unknown group."""
    article_5 = protocol.party_group(country_code) is protocol.PartyGroup.ARTICLE_5
    if control_group == HFC_GROUP:
        return kigali_groups().get(country_code, "hfc_a5_group1" if article_5 else "hfc_non_a5")
    return f"{GROUP_SCHEDULES[control_group]}_{'a5' if article_5 else 'non_a5'}"


def limit_for(country_code: str, control_group: str, baseline: Decimal, year: int) -> Decimal | None:
    """The country's limit for the group in ``year`` (``None``: no limit yet)."""
    return national_limit(schedule_for(country_code, control_group), baseline, year)


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
