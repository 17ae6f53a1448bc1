"""Who may see and change cylinders."""

from __future__ import annotations

from certreg.actors import Actor
from certreg.cylinders.models import Cylinder
from certreg.vocabulary import OFFICIAL_ROLES, Role


def can_list(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, *OFFICIAL_ROLES)


def can_register(actor: Actor, country_code: str, owner_company_id: int | None) -> bool:
    """Country admins and certifying officers, and a company's users for its own cylinders."""
    return (actor.is_system or actor.in_country(country_code, Role.ADMIN, Role.CERTIFYING_OFFICER)
            or actor.acts_for_company(owner_company_id))


def can_view(actor: Actor, cylinder: Cylinder) -> bool:
    """Officials of the cylinder's country, its owner and its custodian."""
    return (can_list(actor, cylinder.country_code) or actor.acts_for_company(cylinder.owner_company_id)
            or actor.acts_for_company(cylinder.custodian_company_id)
            or actor.acts_for_technician(cylinder.custodian_technician_id))


def can_act(actor: Actor, cylinder: Cylinder) -> bool:
    """Record an event: country admins and certifying officers, or the current custodian (of a registered
    cylinder: one known only by a serial on logbook entries is registered first)."""
    if cylinder.needs_registration:
        return False
    return (actor.is_system or actor.in_country(cylinder.country_code, Role.ADMIN, Role.CERTIFYING_OFFICER)
            or actor.acts_for_company(cylinder.custodian_company_id)
            or actor.acts_for_technician(cylinder.custodian_technician_id))


def can_report_lost(actor: Actor, cylinder: Cylinder) -> bool:
    """Report it lost or stolen: whoever may record an event, and its owner (who misses a cylinder it lent)."""
    return can_act(actor, cylinder) or (not cylinder.needs_registration
                                        and actor.acts_for_company(cylinder.owner_company_id))


def can_report_found(actor: Actor, cylinder: Cylinder) -> bool:
    """Report a lost cylinder found: the same people who may report it lost (its custodian, its owner, the
    country's administrators and certifying officers)."""
    return can_report_lost(actor, cylinder)
