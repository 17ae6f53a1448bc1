"""Refused attempts: kept as a :class:`CylinderRefusal` once the refused transaction is rolled back.

Like the logbook's refused attempts (:mod:`certreg.logbook.refusals`): a rule raises
``ValidationFailed`` with one of :data:`certreg.cylinders.rules.REFUSAL_CODES`; the note attached
to it is written by :func:`certreg.errors.roll_back` after the rollback, so nothing the attempt
changed survives, but the attempt does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from certreg.actors import Actor
from certreg.cylinders.models import Cylinder, CylinderRefusal, EventKind
from certreg.cylinders.rules import REFUSAL_CODES
from certreg.errors import ValidationFailed
from certreg.extensions import db

logger = logging.getLogger(__name__)


@contextmanager
def refused(actor: Actor, cylinder: Cylinder, kind: EventKind, details: dict[str, Any]) -> Iterator[None]:
    """Attach a refusal record to a rule's ``ValidationFailed`` raised inside the block."""
    country, cylinder_id, serial = cylinder.country_code, cylinder.id, cylinder.serial
    user_id, label = actor.user_id, actor.label
    try:
        yield
    except ValidationFailed as exc:
        if exc.code in REFUSAL_CODES:
            def write(code: str = exc.code, message: str = exc.message) -> None:
                db.session.add(CylinderRefusal(
                    country_code=country, cylinder_id=cylinder_id, serial=serial, actor_user_id=user_id,
                    actor_label=label[:255], kind=kind, code=code, message=message, details=details))
                db.session.flush()
                logger.info("refused %s on cylinder %s by %s: %s", kind, serial, label, code)

            exc.after_rollback.append(write)
        raise
