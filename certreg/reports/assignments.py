"""Assigning an anomaly to an official of the country for review, and telling them by e-mail.

Administrators of the country (who mark anomalies reviewed) assign; the assignee is an active
administrator or auditor of the same country (who can read the anomaly and its evidence). The
assignment is appended (reassigning keeps the history), audited as ``anomaly.assign``, and the
notice ``anomaly_assigned:<assignment>`` is queued in the same transaction, so it is never lost:
the view sends it after the response, ``flask notify send`` catches up otherwise.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.auth.models import User
from certreg.errors import Forbidden, ValidationFailed
from certreg.extensions import db
from certreg.notify.models import NoticeKind
from certreg.notify.outbox import enqueue, link
from certreg.reports import services
from certreg.reports.anomalies import Anomaly
from certreg.reports.models import AnomalyAssignment
from certreg.reports.services import MAX_NOTE, READERS
from certreg.reports.texts import describe


def assignees(actor: Actor, country_code: str) -> list[User]:
    """Who an anomaly of ``country_code`` can be assigned to."""
    services.require_read(actor, country_code)
    return list(db.session.scalars(
        sa.select(User).where(User.country_code == country_code, User.role.in_(READERS), User.is_active.is_(True))
        .order_by(User.display_name, User.id)))


def subject(found: Anomaly) -> tuple[str, int | None, int | None]:
    return found.kind.value, found.logbook_id, found.equipment_id


def current_in(country_code: str) -> dict[tuple[str, int | None, int | None], AnomalyAssignment]:
    """The current assignment of every assigned anomaly of the country, by :func:`subject`."""
    rows = db.session.scalars(sa.select(AnomalyAssignment).where(AnomalyAssignment.country_code == country_code)
                              .order_by(AnomalyAssignment.id))
    return {(r.kind, r.logbook_id, r.equipment_id): r for r in rows}


def current(found: Anomaly) -> AnomalyAssignment | None:
    return db.session.scalars(
        sa.select(AnomalyAssignment)
        .where(AnomalyAssignment.country_code == found.country_code, AnomalyAssignment.kind == found.kind.value,
               AnomalyAssignment.logbook_id.is_(None) if found.logbook_id is None
               else AnomalyAssignment.logbook_id == found.logbook_id,
               AnomalyAssignment.equipment_id.is_(None) if found.equipment_id is None
               else AnomalyAssignment.equipment_id == found.equipment_id)
        .order_by(AnomalyAssignment.id.desc()).limit(1)).first()


def assign(actor: Actor, found: Anomaly, assignee_id: int | None,
           note: str = "") -> tuple[AnomalyAssignment, int | None]:
    """Assign ``found`` to the user ``assignee_id``; returns the assignment and the queued notice's id.

    :raise Forbidden: not an administrator of the anomaly's country.
    :raise ValidationFailed: ``unknown_assignee`` (no such active administrator or auditor of the
        country), ``too_long``.
    """
    if not services.can_review(actor, found.country_code):
        services.require_read(actor, found.country_code)
        raise Forbidden()
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed.for_field("note", _("At most %(n)s characters.", n=MAX_NOTE), "too_long")
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if assignee is None or assignee.country_code != found.country_code or assignee.role not in READERS \
            or not assignee.is_active:
        raise ValidationFailed.for_field(
            "assignee", _("Choose an administrator or auditor of this country."), "unknown_assignee")
    row = AnomalyAssignment(country_code=found.country_code, kind=found.kind.value, logbook_id=found.logbook_id,
                            equipment_id=found.equipment_id, assignee_user_id=assignee.id, note=note,
                            assigned_by_user_id=actor.user_id, assigned_by_label=actor.label)
    db.session.add(row)
    db.session.flush()
    holder = found.holder.name if found.holder else found.country_code
    audit.record(actor, "anomaly.assign", row, country_code=found.country_code,
                 summary=audit.msg("Assigned %(kind)s anomaly of %(holder)s to %(assignee)s",
                                   kind=found.kind.value, holder=holder, assignee=assignee.display_name),
                 after={"kind": found.kind.value, "logbook_id": found.logbook_id,
                        "equipment_id": found.equipment_id, "assignee": assignee.email}, reason=note or None)
    notice = enqueue(assignee, NoticeKind.ANOMALY_ASSIGNED, f"anomaly_assigned:{row.id}", {
        "holder": holder, "anomaly": found, "describe": describe, "note": note, "by": actor.label,
        "url": link("reports.anomaly", kind=found.kind.value, logbook_id=found.subject,
                    country=found.country_code, date_from=found.period.date_from.isoformat(),
                    date_to=found.period.date_to.isoformat(), equipment=found.equipment_id or "")})
    return row, notice
