"""Certificate categories as data, and which class of substance each category covers.

Pure Python (no Flask, no database). ``data/categories.csv`` holds the built-in
categories (EU 2024/2215 A1–E, legacy EU 2015/2067 I–IV, company categories by
activity); ``data/SOURCES.md`` says where each row comes from. National scopes that
administrators add live only in the database, with the same fields.

Substance classes: every entry of the substance catalogue
(:mod:`certreg.substances.catalogue`) has exactly one *class* and a set of
fluorinated *families*:

==============  ===============================================================
class           what
==============  ===============================================================
``fluorinated`` CFC, HCFC, HBFC, HFC, HFO/HCFO, PFC, and every blend containing one
``hydrocarbon`` R-290, R-600, R-600a, R-601, R-601a, R-1270 and pure HC blends
``ammonia``     R-717
``co2``         R-744
``halon``       Annex A group II (fire protection)
``other``       solvents and fumigants (CTC, methyl chloroform, BCM, methyl bromide)
==============  ===============================================================

A category lists classes and/or families; it covers a substance when the
substance's class is listed, or when the substance has fluorinated families and
every one of them is listed (so ``cfc|hcfc`` covers R-502 but not R-404A).
"""

from __future__ import annotations

import csv
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Final

from certreg.substances.catalogue import Entry, default_catalogue

DATA_FILE: Final = Path(__file__).resolve().parent / "data" / "categories.csv"
COLUMNS: Final = (
    "code", "scheme", "holder_kind", "activities", "substances", "max_charge_kg", "valid_until",
    "sort_order", "name_en", "name_ru", "source",
)

#: The code printed on cards and signed into tokens (signing.py section 4, claim 6).
CODE_RE: Final = re.compile(r"[A-Z0-9][A-Z0-9-]{0,15}", re.ASCII)


class Scheme(enum.StrEnum):
    EU_2024_2215 = "eu_2024_2215"
    EU_2015_2067 = "eu_2015_2067"
    NATIONAL = "national"
    COMPANY = "company"


class WorkActivity(enum.StrEnum):
    INSTALL = "install"
    REPAIR = "repair"
    MAINTAIN = "maintain"
    DECOMMISSION = "decommission"
    LEAK_CHECK = "leak_check"
    RECOVER = "recover"
    RECLAIM = "reclaim"
    DESTROY = "destroy"
    PURCHASE = "purchase"
    SELL = "sell"
    IMPORT = "import"
    EXPORT = "export"


class SubstanceClass(enum.StrEnum):
    FLUORINATED = "fluorinated"
    HYDROCARBON = "hydrocarbon"
    AMMONIA = "ammonia"
    CO2 = "co2"
    HALON = "halon"
    OTHER = "other"


FLUORINATED_FAMILIES: Final = frozenset({"cfc", "hcfc", "hbfc", "hfc", "hfo", "pfc"})
SUBSTANCE_TOKENS: Final = frozenset(c.value for c in SubstanceClass) | FLUORINATED_FAMILIES

_HYDROCARBONS: Final = frozenset({"R-290", "R-600", "R-600a", "R-601", "R-601a", "R-1270"})
_ANNEX_FAMILY: Final = {
    ("A", "I"): "cfc", ("B", "I"): "cfc", ("C", "I"): "hcfc", ("C", "II"): "hbfc", ("F", "I"): "hfc",
    ("F", "II"): "hfc",
}


class CategoryDataError(ValueError):
    pass


@dataclass(frozen=True)
class CategoryDefinition:
    code: str
    scheme: Scheme
    holder_kind: str  # "technician" | "company"
    activities: frozenset[WorkActivity]
    substances: frozenset[str]  # classes and/or fluorinated families
    max_charge_kg: Decimal | None
    valid_until: date | None
    sort_order: int
    names: dict[str, str]
    source: str


@dataclass(frozen=True)
class Classification:
    substance_class: SubstanceClass
    families: frozenset[str]  # fluorinated families only


def parse_activities(values: Iterable[str]) -> frozenset[WorkActivity]:
    try:
        return frozenset(WorkActivity(v.strip()) for v in values if v.strip())
    except ValueError as exc:
        raise CategoryDataError(f"unknown activity: {exc}") from None


def parse_substances(values: Iterable[str]) -> frozenset[str]:
    tokens = frozenset(v.strip() for v in values if v.strip())
    unknown = tokens - SUBSTANCE_TOKENS
    if unknown:
        raise CategoryDataError(f"unknown substance class {sorted(unknown)}")
    return tokens


def load_definitions(path: Path = DATA_FILE) -> list[CategoryDefinition]:
    """Read and check ``categories.csv``; raises :class:`CategoryDataError` naming the line."""
    result: list[CategoryDefinition] = []
    seen: set[str] = set()
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise CategoryDataError(f"{path}: header must be {','.join(COLUMNS)}")
        for row in reader:
            line = reader.line_num
            try:
                code = row["code"]
                if not CODE_RE.fullmatch(code) or code in seen:
                    raise CategoryDataError(f"bad or duplicate code {code!r}")
                seen.add(code)
                if row["holder_kind"] not in ("technician", "company"):
                    raise CategoryDataError(f"bad holder_kind {row['holder_kind']!r}")
                activities = parse_activities(row["activities"].split("|"))
                substances = parse_substances(row["substances"].split("|"))
                if not activities or not substances:
                    raise CategoryDataError("activities and substances must not be empty")
                result.append(CategoryDefinition(
                    code=code,
                    scheme=Scheme(row["scheme"]),
                    holder_kind=row["holder_kind"],
                    activities=activities,
                    substances=substances,
                    max_charge_kg=Decimal(row["max_charge_kg"]) if row["max_charge_kg"] else None,
                    valid_until=date.fromisoformat(row["valid_until"]) if row["valid_until"] else None,
                    sort_order=int(row["sort_order"]),
                    names={"en": row["name_en"], "ru": row["name_ru"]},
                    source=row["source"],
                ))
            except (ValueError, KeyError) as exc:
                raise CategoryDataError(f"{path}, line {line}: {exc}") from None
    return result


def _family(code: str, annex: str, group: str) -> str | None:
    if annex:
        return _ANNEX_FAMILY.get((annex, group))
    if code.startswith(("R-1234", "R-1233", "R-1336")):
        return "hfo"
    if code in ("R-116", "R-218"):
        return "pfc"
    return None


def _pure_class(code: str, annex: str, group: str) -> SubstanceClass:
    if (annex, group) == ("A", "II"):
        return SubstanceClass.HALON
    if _family(code, annex, group):
        return SubstanceClass.FLUORINATED
    if code in _HYDROCARBONS:
        return SubstanceClass.HYDROCARBON
    if code == "R-717":
        return SubstanceClass.AMMONIA
    if code == "R-744":
        return SubstanceClass.CO2
    return SubstanceClass.OTHER


def classify(entry: Entry) -> Classification:
    """The class and fluorinated families of a catalogue entry (substance or blend)."""
    if not entry.is_blend:
        family = _family(entry.code, entry.annex, entry.group)
        return Classification(_pure_class(entry.code, entry.annex, entry.group),
                              frozenset({family}) if family else frozenset())
    parts = [classify(component) for component in entry.component_substances]
    families = frozenset().union(*(p.families for p in parts))
    classes = {p.substance_class for p in parts}
    if families or SubstanceClass.FLUORINATED in classes:
        return Classification(SubstanceClass.FLUORINATED, families)
    if classes == {SubstanceClass.HYDROCARBON}:
        return Classification(SubstanceClass.HYDROCARBON, frozenset())
    return Classification(SubstanceClass.OTHER, frozenset())


@lru_cache(maxsize=512)
def classify_code(code: str) -> Classification:
    """Classify a substance or blend by any code the catalogue knows; ``KeyError`` if unknown."""
    return classify(default_catalogue().get(code))


def covers(substance_tokens: Iterable[str], classification: Classification) -> bool:
    """Whether a category listing ``substance_tokens`` covers a substance of ``classification``."""
    tokens = set(substance_tokens)
    if classification.substance_class.value in tokens:
        return True
    return bool(classification.families) and classification.families <= tokens
