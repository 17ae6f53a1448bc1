"""The catalogue as database rows (pure Python; used by migration 0004 and ``flask substances load``).

``substances``: one row per catalogue entry, pure substance or blend, with its exact
annex figures. ``substance_components``: the mass composition of *every* entry; a pure
substance is its own single component with mass fraction 1, so a report can always split
a quantity with one join (``quantity * mass_fraction`` per component, then the
component's annex, group, ODP and GWP) without treating blends specially.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from certreg.substances.catalogue import Catalogue, Entry, default_catalogue, normalize

#: Exact column scales; :func:`catalogue_rows` refuses a figure that would not fit exactly.
ODP_SCALE = 6
GWP_SCALE = 3
FRACTION_SCALE = 6


def _exact(value: Decimal | None, scale: int, what: str) -> Decimal | None:
    if value is None:
        return None
    quantized = value.quantize(Decimal(1).scaleb(-scale))
    if quantized != value:
        raise ValueError(f"{what} {value} does not fit in {scale} decimal places")
    return quantized


def search_key(entry: Entry) -> str:
    """Normalised names, one per line: code, ASHRAE number, name, formula, aliases."""
    parts = [entry.code, entry.ashrae, entry.name, entry.formula, *entry.aliases]
    return "\n".join(dict.fromkeys(normalize(p) for p in parts if p))


def substance_row(entry: Entry, position: int) -> dict[str, Any]:
    gwp = entry.gwp
    annex_f_gwp = entry.annex_f_gwp if entry.is_blend else (gwp if entry.annex == "F" else Decimal(0))
    return {
        "code": entry.code,
        "is_blend": entry.is_blend,
        "name": entry.name,
        "ashrae": entry.ashrae or None,
        "formula": entry.formula or None,
        "annex": (entry.annex or None) if not entry.is_blend else None,
        "group": (entry.group or None) if not entry.is_blend else None,
        "annexes": ",".join(sorted(entry.annexes)),
        "odp": _exact(entry.odp, ODP_SCALE, f"{entry.code}: ODP"),
        "gwp": _exact(gwp, GWP_SCALE, f"{entry.code}: GWP"),
        "annex_f_gwp": _exact(annex_f_gwp, GWP_SCALE, f"{entry.code}: Annex F GWP"),
        "controlled": entry.controlled,
        "hs_code": entry.hs_code or None,
        "aliases": "|".join(entry.aliases),
        "search_key": search_key(entry),
        "position": position,
    }


def component_rows(entry: Entry) -> list[dict[str, Any]]:
    return [
        {
            "substance_code": entry.code,
            "component_code": code,
            "mass_fraction": _exact(fraction, FRACTION_SCALE, f"{entry.code}: fraction of {code}"),
            "position": i,
        }
        for i, (code, fraction) in enumerate(entry.components)
    ]


def catalogue_rows(catalogue: Catalogue | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(substance rows, component rows)`` in catalogue order (pure substances first)."""
    catalogue = catalogue or default_catalogue()
    entries = catalogue.all()
    substances = [substance_row(entry, i) for i, entry in enumerate(entries)]
    components = [row for entry in entries for row in component_rows(entry)]
    return substances, components
