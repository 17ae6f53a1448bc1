"""What a certificate is on a given day: its state, its status-list value and its verdict.

Only the stored status is written (by :mod:`certreg.certificates.lifecycle`); the state is
computed from it and the dates. See the state machine there.
"""

from __future__ import annotations

import enum
from datetime import date

from certreg.certificates.checking import Verdict
from certreg.certificates.models import Certificate, CertificateStatus
from certreg.db import today as db_today
from certreg.tokens import status_list as statuslist


class State(enum.StrEnum):
    """What a certificate is on a given day."""

    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


today = db_today  # the rules' calendar (certreg.db.today), here beside the states it decides


# --- states ------------------------------------------------------------------------


def suspension_running(cert: Certificate, day: date) -> bool:
    return (
        cert.status is CertificateStatus.SUSPENDED
        and cert.suspended_from is not None
        and cert.suspended_from <= day
        and (cert.suspended_until is None or day <= cert.suspended_until)
    )


def state_on(cert: Certificate, day: date) -> State:
    """The certificate's state on ``day``: status first, then dates.

    A revocation or replacement counts from the day it happened, so a purchase
    recorded for an earlier day is judged as it stood then.
    """
    if cert.revoked_at is not None and day >= cert.revoked_at.date():
        return State.REVOKED
    if cert.superseded_at is not None and day >= cert.superseded_at.date():
        return State.SUPERSEDED
    if suspension_running(cert, day):
        return State.SUSPENDED
    if day < cert.valid_from:
        return State.NOT_YET_VALID
    if day > cert.valid_until:
        return State.EXPIRED
    return State.VALID


def status_list_value(cert: Certificate, day: date) -> int:
    """The certificate's entry in its country's status list (signing.py section 7)."""
    if cert.status is CertificateStatus.REVOKED:
        return statuslist.STATUS_INVALID
    if cert.status is CertificateStatus.SUPERSEDED:
        return statuslist.STATUS_SUPERSEDED
    if suspension_running(cert, day):
        return statuslist.STATUS_SUSPENDED
    return statuslist.STATUS_VALID


STATE_VERDICTS = {
    State.VALID: Verdict.VALID, State.NOT_YET_VALID: Verdict.NOT_YET_VALID,
    State.EXPIRED: Verdict.EXPIRED, State.SUSPENDED: Verdict.SUSPENDED,
    State.REVOKED: Verdict.REVOKED, State.SUPERSEDED: Verdict.SUPERSEDED,
}
