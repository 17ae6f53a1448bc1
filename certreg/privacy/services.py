"""Personal data: the access log, the subject-access export and the retention purge.

* :func:`certreg.privacy.access_log.log_access`: every time national ID numbers and dates of birth are shown to
  someone other than the person (a page, an API answer), one row per person.
* :func:`export_technician` / :func:`export_user`: everything certreg keeps about a person, as
  JSON, for a subject-access request (administrators of the person's country).
* :func:`purge`: deletes what is older than the retention settings.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.audit.models import PersonalDataAccess
from certreg.auth.models import PasswordResetToken, SignInEvent, User, UserSession
from certreg.certificates.models import Certificate, CertificateScan
from certreg.db import utcnow
from certreg.errors import NotFound
from certreg.extensions import db
from certreg.notify.models import OutboxMessage
from certreg.registry.models import Technician
from certreg.vocabulary import OFFICIAL_ROLES, Role


def can_export(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, Role.ADMIN)


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "email": user.email, "display_name": user.display_name, "role": user.role.value,
        "country_code": user.country_code, "locale": user.locale, "is_active": user.is_active,
        "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at),
        "two_step_sign_in": user.has_second_factor,
        "sessions": [{"created_at": _iso(s.created_at), "expires_at": _iso(s.expires_at),
                      "ended_at": _iso(s.revoked_at), "ip_address": s.ip_address, "user_agent": s.user_agent}
                     for s in db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)
                                                 .order_by(UserSession.id))],
        "sign_ins": [{"at": _iso(e.at), "ip_address": e.ip_address, "user_agent": e.user_agent,
                      "second_factor": e.second_factor}
                     for e in db.session.scalars(sa.select(SignInEvent).where(SignInEvent.user_id == user.id)
                                                 .order_by(SignInEvent.id))],
        "emails": [{"at": _iso(m.created_at), "kind": m.kind.value, "subject": m.subject, "sent_at": _iso(m.sent_at)}
                   for m in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.user_id == user.id)
                                               .order_by(OutboxMessage.id))],
        "password_resets": [{"at": _iso(r.created_at), "used_at": _iso(r.used_at)}
                            for r in db.session.scalars(sa.select(PasswordResetToken).where(
                                PasswordResetToken.user_id == user.id).order_by(PasswordResetToken.id))],
        "viewed_personal_data_of": [
            {"at": _iso(a.at), "technician_id": a.technician_id, "surface": a.surface}
            for a in db.session.scalars(sa.select(PersonalDataAccess).where(
                PersonalDataAccess.viewer_user_id == user.id).order_by(PersonalDataAccess.id))
        ] if user.role in OFFICIAL_ROLES else [],
    }


def export_technician(actor: Actor, technician_id: int) -> dict[str, Any]:
    """Everything kept about a technician: the record, trainings, employments, certificates, accounts,
    and who viewed their national ID number and date of birth."""
    technician = db.session.get(Technician, technician_id)
    if technician is None or not can_export(actor, technician.country_code):
        raise NotFound()
    certificates = db.session.scalars(sa.select(Certificate).where(Certificate.technician_id == technician.id)
                                      .order_by(Certificate.id))
    data = {
        "format": "certreg-subject-access/1",
        "exported_at": _iso(utcnow()),
        "technician": {
            "id": technician.id, "country_code": technician.country_code, "full_name": technician.full_name,
            "full_name_latin": technician.full_name_latin, "national_id": technician.national_id,
            "date_of_birth": _iso(technician.date_of_birth), "email": technician.email, "phone": technician.phone,
            "address": technician.address, "created_at": _iso(technician.created_at),
            "updated_at": _iso(technician.updated_at),
        },
        "trainings": [{"course": r.course, "completed_on": _iso(r.completed_on), "provider": r.provider}
                      for r in technician.trainings],
        "employments": [{"company": e.company.legal_name, "registration_number": e.company.registration_number,
                         "started_on": _iso(e.started_on), "ended_on": _iso(e.ended_on)}
                        for e in technician.employments],
        "certificates": [{"number": c.number, "categories": c.category_codes, "valid_from": _iso(c.valid_from),
                          "valid_until": _iso(c.valid_until), "status": c.status.value,
                          "events": [{"at": _iso(e.at), "action": e.action.value, "reason": e.reason}
                                     for e in c.events]}
                         for c in certificates],
        "accounts": [_user_json(u) for u in db.session.scalars(
            sa.select(User).where(User.technician_id == technician.id).order_by(User.id))],
        "personal_data_viewed_by": [
            {"at": _iso(a.at), "viewer": a.viewer_label, "surface": a.surface, "fields": a.what.split(",")}
            for a in db.session.scalars(sa.select(PersonalDataAccess).where(
                PersonalDataAccess.technician_id == technician.id).order_by(PersonalDataAccess.id))
        ],
    }
    audit.record(actor, "personal_data.export", technician, object_type="technician", object_id=technician.id,
                 country_code=technician.country_code,
                 summary=audit.msg("Exported the personal data of %(name)s", name=technician.full_name))
    return data


def export_user(actor: Actor, user_id: int) -> dict[str, Any]:
    """Everything kept about an account (an official, a company user): for a subject-access request."""
    user = db.session.get(User, user_id)
    if user is None or not can_export(actor, user.country_code):
        raise NotFound()
    data = {"format": "certreg-subject-access/1", "exported_at": _iso(utcnow()), "account": _user_json(user)}
    audit.record(actor, "personal_data.export", user, object_type="user", object_id=user.id,
                 country_code=user.country_code,
                 summary=audit.msg("Exported the personal data of %(name)s", name=user.email))
    return data


def purge(actor: Actor) -> dict[str, int]:
    """Delete what is older than the retention settings; returns the rows deleted per kind."""
    actor.require(False)
    config, now = current_app.config, utcnow()
    deleted = {}

    def older(model, column, days: int) -> int:
        result = db.session.execute(sa.delete(model).where(column < now - timedelta(days=days))
                                    .execution_options(synchronize_session=False))
        return result.rowcount or 0

    deleted["sign_in_history"] = older(SignInEvent, SignInEvent.at, config["SIGN_IN_HISTORY_DAYS"])
    deleted["scan_log"] = older(CertificateScan, CertificateScan.at, config["SCAN_LOG_DAYS"])
    deleted["personal_data_access_log"] = older(PersonalDataAccess, PersonalDataAccess.at,
                                                config["PERSONAL_DATA_ACCESS_LOG_DAYS"])
    deleted["ended_sessions"] = db.session.execute(
        sa.delete(UserSession).where(sa.or_(UserSession.expires_at < now - timedelta(days=30),
                                            UserSession.revoked_at < now - timedelta(days=30)))
        .execution_options(synchronize_session=False)).rowcount or 0
    deleted["password_reset_links"] = older(PasswordResetToken, PasswordResetToken.expires_at, 1)
    deleted["sent_emails"] = db.session.execute(
        sa.delete(OutboxMessage).where(OutboxMessage.sent_at < now - timedelta(days=config["OUTBOX_DAYS"]))
        .execution_options(synchronize_session=False)).rowcount or 0
    db.session.flush()
    return deleted
