"""Who may do what with inspections (the role matrix, issue 14 acceptance 3).

* inspectors of the country record inspections (write);
* the country's administrators (the ministry's national ozone unit) and auditors read them;
* a holder (company user, technician) sees only the outcome of inspections concerning it;
* inspectors of other countries see the focal points (certreg.focalpoints), never the inspections.
"""

from __future__ import annotations

from certreg.actors import Actor
from certreg.inspections.models import Inspection
from certreg.vocabulary import Role

READERS = (Role.INSPECTOR, Role.ADMIN, Role.AUDITOR)


def can_write(actor: Actor, country_code: str | None) -> bool:
    return actor.is_system or actor.in_country(country_code, Role.INSPECTOR)


def can_read(actor: Actor, country_code: str | None) -> bool:
    return actor.is_system or actor.in_country(country_code, *READERS)


def concerns(actor: Actor, inspection: Inspection) -> bool:
    """The inspection's subject is the actor's company, or the actor as technician."""
    return actor.acts_for_company(inspection.company_id) or actor.acts_for_technician(inspection.technician_id)


def can_see_outcome(actor: Actor, inspection: Inspection) -> bool:
    return can_read(actor, inspection.country_code) or concerns(actor, inspection)
