"""What the catalogue holds: a pure substance or a refrigerant blend, with its ODP and GWP (a blend's are
mass-weighted over its components), and the key names are matched by (:func:`normalize`). Read from the data
files by :mod:`certreg.substances.catalogue`, which names each of these too."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

_HUNDRED = Decimal(100)
_ONE = Decimal(1)
_ZERO = Decimal(0)

# Characters ignored when matching codes and names: ASCII space and hyphen, the
# Unicode hyphens/dashes (the Ozone Secretariat's Handbook prints "CFC‐11" with
# U+2010) and the minus sign.
_IGNORED = str.maketrans("", "", " \t-_\u00a0\u2010\u2011\u2012\u2013\u2014\u2212")


def normalize(text: str) -> str:
    """Key used for matching: NFKC, case-folded, without spaces and hyphens.

    ``normalize("R 404A") == normalize("r404a") == normalize("R-404A")``.
    """
    return unicodedata.normalize("NFKC", text).casefold().translate(_IGNORED)


@dataclass(frozen=True)
class Substance:
    """A pure substance, controlled (annex set) or not (annex empty)."""

    code: str
    name: str
    ashrae: str
    formula: str
    annex: str
    group: str
    odp: Decimal
    gwp: Decimal | None
    hs_code: str
    aliases: tuple[str, ...]
    controlled: bool

    is_blend = False

    @property
    def annexes(self) -> frozenset[str]:
        """``{annex}`` for a controlled substance, empty otherwise."""
        return frozenset({self.annex}) if self.annex else frozenset()

    @property
    def annex_group(self) -> str:
        """``"C/I"`` style label, empty for non-controlled substances."""
        return f"{self.annex}/{self.group}" if self.annex else ""

    @property
    def components(self) -> tuple[tuple[str, Decimal], ...]:
        """A pure substance is its own single component (mass fraction 1)."""
        return ((self.code, _ONE),)


@dataclass(frozen=True)
class Blend:
    """A refrigerant blend; ``components`` are ``(substance code, mass fraction)``."""

    code: str
    name: str
    aliases: tuple[str, ...]
    hs_code: str
    components: tuple[tuple[str, Decimal], ...]
    component_substances: tuple[Substance, ...] = field(repr=False, compare=False)

    is_blend = True

    def __post_init__(self) -> None:
        codes = tuple(code for code, _ in self.components)
        if codes != tuple(s.code for s in self.component_substances):
            raise ValueError(f"{self.code}: component_substances do not match components {codes}")
        if sum((fraction for _, fraction in self.components), _ZERO) != _ONE:
            raise ValueError(f"{self.code}: mass fractions do not sum to 1")

    @property
    def ashrae(self) -> str:
        return self.code

    @property
    def formula(self) -> str:
        return ""

    @property
    def percentages(self) -> tuple[tuple[str, Decimal], ...]:
        """Components as mass percentages (as written in ``blends.csv``)."""
        return tuple((code, fraction * _HUNDRED) for code, fraction in self.components)

    def _weighted(self) -> Iterator[tuple[Decimal, Substance]]:
        return ((fraction, sub) for (_, fraction), sub in zip(self.components, self.component_substances))

    @property
    def odp(self) -> Decimal:
        """Mass-weighted ODP: sum of w_i * ODP_i."""
        return sum((w * s.odp for w, s in self._weighted()), _ZERO)

    @property
    def gwp(self) -> Decimal:
        """Mass-weighted 100-year GWP of the whole blend: sum of w_i * GWP_i.

        This includes non-controlled components (HFOs, hydrocarbons) and is the
        figure usually quoted for a blend.  For Kigali CO2-equivalent reporting
        only Annex F components count: see :attr:`annex_f_gwp`.
        """
        total = _ZERO
        for w, s in self._weighted():
            if s.gwp is None:  # the loader refuses such blends; kept for safety
                raise ValueError(f"{self.code}: component {s.code} has no GWP")
            total += w * s.gwp
        return total

    @property
    def annex_f_gwp(self) -> Decimal:
        """CO2-eq per kg counting only Annex F (HFC) components."""
        return sum((w * s.gwp for w, s in self._weighted() if s.annex == "F" and s.gwp is not None), _ZERO)

    @property
    def annexes(self) -> frozenset[str]:
        """Annexes of the controlled components."""
        return frozenset(s.annex for s in self.component_substances if s.annex)

    @property
    def controlled(self) -> bool:
        return any(s.controlled for s in self.component_substances)


Entry = Substance | Blend
