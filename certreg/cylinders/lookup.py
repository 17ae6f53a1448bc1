"""An inspector looks a cylinder up by any serial across the installation (issue 12, "Lookups").

Any official (admin, certifying officer, inspector, auditor) of any country may look up a
national serial, a GS1 GRAI or a manufacturer's stamp number in every country's register. Each
match answers with its public fields (the ones the public label check ``/c/`` shows: serial,
country, type, status, contents, owner); a cylinder the actor may see in full
(:func:`certreg.cylinders.access.can_view`: officials of its own country, its owner and
custodian) also comes with its custody history. A stamp number is not unique, so the answer is a
list (at most :data:`MAX_MATCHES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from certreg.actors import Actor
from certreg.cylinders.access import can_view
from certreg.cylinders.models import ContentCondition, Cylinder, CylinderEvent, EventKind
from certreg.cylinders.queries import any_serial
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.registry.models import Company, Technician
from certreg.vocabulary import OFFICIAL_ROLES

MAX_MATCHES = 50


@dataclass(frozen=True)
class HistoryLine:
    """One custody event as the history shows it."""

    at: datetime
    kind: EventKind
    kg: Decimal
    net_kg_after: Decimal
    substance_code: str | None
    condition: ContentCondition | None
    to_holder: str | None
    actor_label: str
    note: str | None


@dataclass
class Match:
    cylinder: Cylinder
    full: bool
    history: list[HistoryLine] = field(default_factory=list)


def can_lookup(actor: Actor) -> bool:
    return actor.is_system or (actor.user is not None and actor.user.role in OFFICIAL_ROLES)


def history(cylinder_id: int) -> list[HistoryLine]:
    """The cylinder's custody events, oldest first, with the names of the holders custody moved to
    (one indexed query, whatever the size of the events table)."""
    company, technician = aliased(Company), aliased(Technician)
    e = CylinderEvent
    rows = db.session.execute(
        sa.select(e.at, e.kind, e.kg, e.net_kg_after, e.substance_code, e.condition, company.legal_name,
                  technician.full_name, e.actor_label, e.note)
        .outerjoin(company, company.id == e.to_company_id)
        .outerjoin(technician, technician.id == e.to_technician_id)
        .where(e.cylinder_id == cylinder_id).order_by(e.id))
    return [HistoryLine(at, kind, kg, after, substance, condition, company_name or technician_name, actor, note)
            for at, kind, kg, after, substance, condition, company_name, technician_name, actor, note in rows]


def lookup(actor: Actor, text: str) -> list[Match]:
    """Every cylinder in the installation whose national serial, GRAI or stamp number is ``text``.

    :raise Forbidden: ``actor`` is not an official.
    :raise ValidationFailed: ``q`` empty (code ``serial_required``).
    """
    actor.require(can_lookup(actor))
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.for_field("q", _("Give a national serial, a GRAI or a stamp number."),
                                         "serial_required")
    cylinders = db.session.scalars(sa.select(Cylinder).where(any_serial(text))
                                   .order_by(Cylinder.country_code, Cylinder.id).limit(MAX_MATCHES)).all()
    matches = []
    for cylinder in cylinders:
        full = can_view(actor, cylinder)
        matches.append(Match(cylinder, full, history(cylinder.id) if full else []))
    return matches
