"""The cylinder rules that need no database: each refusal has a stable code.

``check_fill`` is the one check every fill takes (an import, a refill, a recovery into a
recovery cylinder); ``check_draw`` every charge; ``check_sale`` every transfer to a buyer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from certreg.cylinders.models import ContentCondition, CylinderKind, CylinderStatus
from certreg.cylinders.ratios import max_fill_kg
from certreg.errors import ValidationFailed

#: Every code a cylinder rule refuses with (kept as a refused attempt).
REFUSAL_CODES = frozenset({
    "cylinder_closed", "non_refillable_refill", "overfill", "no_filling_ratio", "substances_mixed",
    "recovered_as_virgin", "contents_below_zero", "not_custodian", "quantity_not_positive",
    "recovery_needs_recovery_cylinder", "non_refillable_banned", "cylinder_not_lost",
})
CLOSED = frozenset({CylinderStatus.DESTROYED, CylinderStatus.LOST, CylinderStatus.SEIZED})


@dataclass(frozen=True, slots=True)
class State:
    """What the rules need to know of a cylinder."""

    kind: CylinderKind
    status: CylinderStatus
    water_capacity_l: Decimal
    substance_code: str | None
    net_kg: Decimal
    condition: ContentCondition | None
    fills: int
    mixed: bool


def check_open(state: State) -> None:
    if state.status in CLOSED:
        raise ValidationFailed.for_field("serial", _("The register says this cylinder is %(status)s; nothing more "
                                                     "can be recorded on it.", status=state.status.value),
                                         "cylinder_closed")


def check_lost(state: State) -> None:
    """Only a cylinder reported lost or stolen can be reported found (not a seized or destroyed one)."""
    if state.status is not CylinderStatus.LOST:
        raise ValidationFailed.for_field("serial", _("Only a cylinder reported lost or stolen can be reported found; "
                                                     "the register says this one is %(status)s.",
                                                     status=state.status.value), "cylinder_not_lost")


def check_quantity(kg: Decimal) -> None:
    if kg <= 0:
        raise ValidationFailed.for_field("net_kg", _("The quantity must be more than zero."), "quantity_not_positive")


def check_fill(state: State, substance_code: str, kg: Decimal, condition: ContentCondition, *,
               mixed: bool = False) -> None:
    """Refuse a fill of ``kg`` of ``substance_code`` in ``condition``; ``mixed``: a recovery cylinder
    knowingly receiving another substance, for destruction only."""
    check_open(state)
    check_quantity(kg)
    if state.kind is CylinderKind.NON_REFILLABLE and state.fills >= 1:
        raise ValidationFailed.for_field("serial", _("A non-refillable cylinder is never refilled."),
                                         "non_refillable_refill")
    if mixed and (state.kind is not CylinderKind.RECOVERY or condition is not ContentCondition.FOR_DESTRUCTION):
        raise ValidationFailed.for_field("substance", _("Only a recovery cylinder may hold mixed gases, and only "
                                                        "for destruction."), "substances_mixed")
    differs = state.net_kg > 0 and state.substance_code not in (None, substance_code)
    if differs and not (mixed or state.mixed):
        raise ValidationFailed.for_field("substance", _("The cylinder holds %(held)s: two different substances are "
                                                        "never put into one cylinder.", held=state.substance_code),
                                         "substances_mixed")
    if state.net_kg > 0 and condition is ContentCondition.VIRGIN and state.condition is not ContentCondition.VIRGIN:
        raise ValidationFailed.for_field("condition", _("Gas that is not virgin is already in this cylinder: its "
                                                        "contents cannot be called virgin."), "recovered_as_virgin")
    if not (mixed or state.mixed):
        limit = max_fill_kg(substance_code, state.water_capacity_l)
        if limit is None:
            raise ValidationFailed.for_field("substance", _("No maximum filling ratio is on file for %(code)s; the "
                                                            "fill cannot be checked.", code=substance_code),
                                             "no_filling_ratio")
        if state.net_kg + kg > limit:
            raise ValidationFailed.for_field("net_kg", _("%(kg)s kg would overfill the cylinder: at most %(limit)s kg "
                                                         "of %(code)s fit in %(litres)s l.", kg=state.net_kg + kg,
                                                         limit=limit, code=substance_code,
                                                         litres=state.water_capacity_l), "overfill")


def check_recovery(state: State) -> None:
    if state.kind is not CylinderKind.RECOVERY:
        raise ValidationFailed.for_field("serial", _("Recovered gas goes into a recovery cylinder."),
                                         "recovery_needs_recovery_cylinder")


def check_draw(state: State, kg: Decimal) -> None:
    check_open(state)
    check_quantity(kg)
    if kg > state.net_kg:
        raise ValidationFailed.for_field("net_kg", _("The register says the cylinder holds %(held)s kg: %(kg)s kg "
                                                     "cannot be drawn from it.", held=state.net_kg, kg=kg),
                                         "contents_below_zero")


def check_sale(state: State, sold_as: ContentCondition | None) -> None:
    check_open(state)
    if (sold_as is ContentCondition.VIRGIN and state.net_kg > 0
            and state.condition is not ContentCondition.VIRGIN):
        raise ValidationFailed.for_field("condition", _("This cylinder holds %(condition)s gas: it is never sold as "
                                                        "virgin.", condition=state.condition),
                                         "recovered_as_virgin")
