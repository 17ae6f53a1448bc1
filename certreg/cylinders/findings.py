"""What an inspection finds out about a cylinder: its contents differ from its label (suspect), or it
was seized. Both show on its public scan page (:mod:`certreg.cylinders.scanning`) and in its history;
a seized cylinder is closed (nothing more is recorded on it) and suspended in the label status list.
"""

from __future__ import annotations

import logging

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.cylinders.events import add_event, lock, logged
from certreg.cylinders.models import Cylinder, CylinderStatus, EventKind
from certreg.extensions import db
from certreg.vocabulary import Role

logger = logging.getLogger(__name__)


def can_mark(actor: Actor) -> bool:
    """Inspectors (of any country: a foreign cylinder is checked where it is found) and the command line."""
    return actor.is_system or actor.has_role(Role.INSPECTOR)


def mark_suspect(actor: Actor, cylinder: Cylinder, note: str) -> None:
    actor.require(can_mark(actor))
    lock(cylinder)
    if cylinder.suspect:
        return
    cylinder.suspect = True
    db.session.flush()
    with logged(cylinder.country_code) as head:  # the event joins the country's tamper-evident log
        add_event(actor, head, cylinder, EventKind.SUSPECT, note=note[:2000])
    audit.record(actor, "cylinder.suspect", cylinder, object_id=cylinder.serial,
                 summary=audit.msg("Cylinder %(serial)s marked suspect", serial=cylinder.serial))


def seize(actor: Actor, cylinder: Cylinder, note: str) -> None:
    actor.require(can_mark(actor))
    lock(cylinder)
    if cylinder.status is CylinderStatus.SEIZED:
        return
    cylinder.status = CylinderStatus.SEIZED
    db.session.flush()
    with logged(cylinder.country_code) as head:
        add_event(actor, head, cylinder, EventKind.SEIZE, note=note[:2000])
    audit.record(actor, "cylinder.seize", cylinder, object_id=cylinder.serial,
                 summary=audit.msg("Cylinder %(serial)s seized", serial=cylinder.serial))
    logger.info("cylinder %s seized by %s", cylinder.serial, actor.label)
