"""Who was shown whose national ID number and date of birth: written by every page and API that shows them.

Below the registry (which calls it), so it names no feature's models at run time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from certreg.actors import Actor
from certreg.audit.models import PersonalDataAccess
from certreg.db import utcnow
from certreg.extensions import db

if TYPE_CHECKING:
    from certreg.registry.models import Technician

PERSONAL_FIELDS = "national_id,date_of_birth"


def log_access(actor: Actor, technicians: Iterable[Technician], surface: str) -> None:
    """Record that ``actor`` was shown these people's national ID numbers and dates of birth."""
    rows = [
        PersonalDataAccess(viewer_user_id=actor.user_id, viewer_label=actor.label[:255], technician_id=t.id,
                           surface=surface, what=PERSONAL_FIELDS, at=utcnow())
        for t in technicians if not actor.acts_for_technician(t.id)
    ]
    if rows:
        db.session.add_all(rows)
        db.session.flush()
