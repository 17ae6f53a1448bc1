"""The Montreal Protocol's defaults per country: Party group and phase-out dates (pure, no database).

Read from ``certreg/countries/data/*.csv`` (see ``SOURCES.md`` there). A control group is
written ``"A/I"`` (annex, group). :func:`default_bans` gives, for a Party group, the date
from which placing virgin substance of each group on the market is refused.
"""

from __future__ import annotations

import csv
import enum
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

DATA = Path(__file__).parent / "data"


class PartyGroup(enum.StrEnum):
    ARTICLE_5 = "article_5"  # developing country operating under Article 5, paragraph 1
    NON_ARTICLE_5 = "non_article_5"


PARTY_GROUP_LABELS = {
    PartyGroup.ARTICLE_5: _l("Article 5 Party (developing country)"),
    PartyGroup.NON_ARTICLE_5: _l("Non-Article 5 Party"),
}

#: A country missing from parties.csv gets the latest dates the Protocol allows any Party.
FALLBACK_GROUP = PartyGroup.ARTICLE_5

#: Control groups with a phase-out, in the order of the annexes.
CONTROL_GROUPS = ("A/I", "A/II", "B/I", "B/II", "B/III", "C/I", "C/II", "C/III", "E/I")

CONTROL_GROUP_LABELS = {
    "A/I": _l("Annex A group I (CFCs)"),
    "A/II": _l("Annex A group II (halons)"),
    "B/I": _l("Annex B group I (other fully halogenated CFCs)"),
    "B/II": _l("Annex B group II (carbon tetrachloride)"),
    "B/III": _l("Annex B group III (methyl chloroform)"),
    "C/I": _l("Annex C group I (HCFCs)"),
    "C/II": _l("Annex C group II (HBFCs)"),
    "C/III": _l("Annex C group III (bromochloromethane)"),
    "E/I": _l("Annex E (methyl bromide)"),
}


@dataclass(frozen=True)
class PhaseOut:
    control_group: str
    substances: str
    party_group: PartyGroup
    phase_out: date  # 100 % reduction of consumption
    ban_from: date  # virgin substance may not be placed on the market from this date (end of any servicing tail)
    article: str


@cache
def parties() -> dict[str, PartyGroup]:
    """ISO code -> Party group, from ``parties.csv``."""
    with (DATA / "parties.csv").open(encoding="utf-8", newline="") as f:
        return {row["code"]: PartyGroup(row["party_group"]) for row in csv.DictReader(f)}


@cache
def phase_outs() -> tuple[PhaseOut, ...]:
    with (DATA / "phaseouts.csv").open(encoding="utf-8", newline="") as f:
        rows = tuple(PhaseOut(f"{r['annex']}/{r['group']}", r["substances"], PartyGroup(r["party_group"]),
                              date.fromisoformat(r["phase_out"]), date.fromisoformat(r["ban_from"]), r["article"])
                     for r in csv.DictReader(f))
    for row in rows:
        if row.control_group not in CONTROL_GROUPS or row.ban_from < row.phase_out:
            raise ValueError(f"phaseouts.csv: bad row {row}")
    return rows


def party_group(country_code: str) -> PartyGroup:
    return parties().get(country_code, FALLBACK_GROUP)


def is_listed(country_code: str) -> bool:
    return country_code in parties()


def phase_out(control_group: str, group: PartyGroup) -> PhaseOut:
    for row in phase_outs():
        if row.control_group == control_group and row.party_group is group:
            return row
    raise KeyError((control_group, group))


def default_bans(group: PartyGroup) -> dict[str, date]:
    """Control group -> the Protocol's date from which virgin substance of the group is banned."""
    return {row.control_group: row.ban_from for row in phase_outs() if row.party_group is group}
