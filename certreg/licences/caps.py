"""A licence's caps: kilograms, and the unit its groups are controlled in (Montreal Protocol Article 4B).

A licence may cap, beside the kilograms, the ODP tonnes (Annexes A, B, C, E) and the CO2-equivalent tonnes
(Annex F) imported (or exported) under it. Kilograms of a substance become tonnes through the catalogue
(``certreg/substances/data``): ODP tonnes are ODP x kg / 1000 over its controlled components of Annexes A,
B, C and E; CO2-eq tonnes are GWP x kg / 1000 over its Annex F components only (a blend counts by mass,
as the Kigali Amendment and the quotas do: an HFO or hydrocarbon part adds nothing). A substance the
catalogue does not know adds no tonnes.

What was used is the kilograms recorded under the licence per substance (the logbook knows them:
:func:`certreg.logbook.queries.licence_used`, one grouped sum), so a licence of several substances or of
a control group counts each at its own ODP and GWP. Codes (stable): ``licence_cap_exceeded``,
``licence_cap_odp_exceeded``, ``licence_cap_co2e_exceeded``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from flask_babel import gettext as _

from certreg.errors import ValidationFailed
from certreg.licences.models import Licence
from certreg.substances.catalogue import default_catalogue

KG_PER_TONNE = Decimal(1000)
ZERO = Decimal(0)
GRAM = Decimal("0.001")
#: The annexes counted in ODP tonnes (Annex F is counted in CO2-eq tonnes).
ODP_ANNEXES = frozenset({"A", "B", "C", "E"})


@dataclass(frozen=True, slots=True)
class Amounts:
    """Kilograms and what they weigh in ODP tonnes and CO2-eq tonnes (exact decimals)."""

    kg: Decimal = ZERO
    odp_t: Decimal = ZERO
    co2e_t: Decimal = ZERO

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.kg + other.kg, self.odp_t + other.odp_t, self.co2e_t + other.co2e_t)


def amounts_of(substance_code: str, kg: Decimal) -> Amounts:
    """``kg`` of a substance or blend in kilograms, ODP tonnes and CO2-eq tonnes."""
    catalogue = default_catalogue()
    if substance_code not in catalogue:
        return Amounts(kg)
    odp = co2e = ZERO
    for code, part_kg in catalogue.components_by_mass(substance_code, kg):
        part = catalogue.get(code)
        if getattr(part, "is_blend", False):
            continue
        if part.annex in ODP_ANNEXES:
            odp += part_kg * part.odp / KG_PER_TONNE
        elif part.annex == "F" and part.gwp is not None:
            co2e += part_kg * part.gwp / KG_PER_TONNE
    return Amounts(kg, odp, co2e)


@dataclass(frozen=True, slots=True)
class UsedFigures:
    """What was used as printed: kilograms, and the tonnes of the caps the licence sets (else None)."""

    kg: str
    odp_t: str | None
    co2e_t: str | None


def usage(by_substance: Mapping[str, Decimal]) -> Amounts:
    """What the kilograms recorded under a licence, per substance, come to."""
    total = Amounts()
    for code, kg in by_substance.items():
        total = total + amounts_of(code, Decimal(kg))
    return total


def figure(value: Decimal) -> str:
    """A figure as printed: no exponent, no trailing zeros."""
    return f"{value.normalize():f}" if value else "0"


def used_figures(licence: Licence, used: Amounts) -> UsedFigures:
    """``used`` as the licence's pages and API show it beside its caps."""
    return UsedFigures(figure(used.kg), figure(used.odp_t) if licence.cap_odp_t is not None else None,
                       figure(used.co2e_t) if licence.cap_co2e_t is not None else None)


def check(licence: Licence, name: str, substance_code: str, kg: Decimal, used: Amounts) -> None:
    """This import (export) of ``kg`` of the substance stays within every cap of the licence, given ``used``.

    :raise ValidationFailed: on ``name``: ``licence_cap_exceeded``, ``licence_cap_odp_exceeded``,
        ``licence_cap_co2e_exceeded``.
    """
    remaining = licence.cap_kg - used.kg
    if kg > remaining:
        raise ValidationFailed.for_field(name, _("The licence has %(kg)s kg left.", kg=figure(max(remaining, ZERO))),
                                         "licence_cap_exceeded")
    wanted = amounts_of(substance_code, kg)
    if licence.cap_odp_t is not None and wanted.odp_t > licence.cap_odp_t - used.odp_t:
        raise ValidationFailed.for_field(name, _(
            "This is %(amount)s ODP tonnes; the licence has %(left)s ODP tonnes left.",
            amount=figure(wanted.odp_t), left=figure(max(licence.cap_odp_t - used.odp_t, ZERO))),
            "licence_cap_odp_exceeded")
    if licence.cap_co2e_t is not None and wanted.co2e_t > licence.cap_co2e_t - used.co2e_t:
        raise ValidationFailed.for_field(name, _(
            "This is %(amount)s CO2-eq tonnes; the licence has %(left)s CO2-eq tonnes left.",
            amount=figure(wanted.co2e_t), left=figure(max(licence.cap_co2e_t - used.co2e_t, ZERO))),
            "licence_cap_co2e_exceeded")


def room_kg(licence: Licence, substance_code: str, used: Amounts) -> Decimal:
    """The kilograms of the substance the licence still allows: the least of what each cap leaves (to the gram,
    rounded down), never below zero. The iPIC answer's remaining figure."""
    room = licence.cap_kg - used.kg
    per_kg = amounts_of(substance_code, Decimal(1))
    if licence.cap_odp_t is not None and per_kg.odp_t > 0:
        room = min(room, (licence.cap_odp_t - used.odp_t) / per_kg.odp_t)
    if licence.cap_co2e_t is not None and per_kg.co2e_t > 0:
        room = min(room, (licence.cap_co2e_t - used.co2e_t) / per_kg.co2e_t)
    return max(room, ZERO).quantize(GRAM, rounding=ROUND_FLOOR)
