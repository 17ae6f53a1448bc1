"""Online verification: the one check behind ``/v/<token>``, ``POST /api/v1/verify`` and the
status by number; the live status read, the rate limit and the scan record.

:func:`verify` is what every surface calls: count the request against the client's rate limit
(:mod:`certreg.certificates.ratelimit`), check the signature against the trust list, read the
certificate's status live from the database, and record the scan (written behind,
:mod:`certreg.certificates.scanlog`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.autocommit_query import AutocommitQuery
from certreg.certificates import ratelimit, scanlog, trust
from certreg.certificates.checking import Assessment, Verdict, assess_token
from certreg.certificates.models import Certificate, CertificateScan
from certreg.certificates.queries import find_by_number, unknown_number
from certreg.certificates.states import STATE_VERDICTS, State, state_on, today
from certreg.certificates.token import CertificateClaims, token_from_scan
from certreg.db import utcnow
from certreg.errors import RateLimited
from certreg.extensions import db
from certreg.memo import SignatureMemo
from certreg.tokens.keys import TrustList
from certreg.vocabulary import Role


def verify(scanned: str, *, client: str, channel: str, inspector: Actor | None) -> Verification:
    """The public check of a token, the same for every surface.

    ``scanned`` is the token or a scanned ``…/v/TOKEN`` URL; ``client`` who is counted
    (``ip:<address>`` or ``user:<id>``); ``channel`` the surface recorded with the scan
    (``page``, ``api``); ``inspector`` the signed-in user, kept with the scan if an inspector.

    :raise RateLimited: beyond the client's limit (:func:`count_verification`); nothing is recorded.
    """
    count_verification(client)
    result = verify_online(token_from_scan(scanned) or scanned)
    record_scan(result, channel=channel, inspector=inspector)
    return result


def status_by_number(number: str, *, client: str, inspector: Actor | None) -> Certificate:
    """The live status by certificate number (what a dealer types): counted and recorded like :func:`verify`.

    :raise RateLimited: beyond the client's limit.
    :raise NotFound: malformed or unknown number (``unknown_certificate``).
    """
    count_verification(client)
    cert = find_by_number(number)
    if cert is None:
        raise unknown_number()
    record_scan(None, channel="status", inspector=inspector, certificate=cert,
                verdict=STATE_VERDICTS[state_on(cert, today())])
    return cert


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    reason: str | None
    claims: CertificateClaims | None
    certificate: Any | None  # the certificate's status columns (id, number, status, dates); see verify_online
    state: State | None


#: What online verification reads: just the columns that decide the state (no ORM object).
_STATUS_COLUMNS = (
    Certificate.id, Certificate.number, Certificate.token, Certificate.status, Certificate.revoked_at,
    Certificate.superseded_at, Certificate.suspended_from, Certificate.suspended_until, Certificate.valid_from,
    Certificate.valid_until,
)


STATUS_QUERY = sa.select(*_STATUS_COLUMNS).where(Certificate.number == sa.bindparam("number"))
_assessments: SignatureMemo[Assessment] = SignatureMemo()


def _assess(token: str, trusted: TrustList, day: date) -> Assessment:
    """:func:`assess_token` against the trust list, remembered per token, day and trust list
    (:class:`certreg.memo.SignatureMemo`; the status is not part of this: it is read live)."""
    return _assessments.get((token.upper(), day), trusted, lambda: assess_token(token, trusted, None, day))


_status_read = AutocommitQuery(STATUS_QUERY)


def _read_status(number: str) -> Any:
    """One indexed row. When scans are written behind, the public page touches the database with
    this one autocommitted SELECT and nothing else, on a connection kept for it
    (:class:`certreg.autocommit_query.AutocommitQuery`); otherwise inside the request's transaction."""
    if not scanlog.buffered():
        return db.session.connection().execute(STATUS_QUERY, {"number": number}).first()
    return _status_read.first(db.engine, number=number)


def verify_online(token: str, day: date | None = None) -> Verification:
    """Check the signature against the trust list, then read the live status from the database.

    ``Verification.certificate`` is a row of the status columns (``.id``, ``.number``, ...), not
    the ORM object: this runs on every public scan, so it reads one indexed row and nothing else.
    """
    day = day or today()
    assessment = _assess(token, trust.trust_list(), day)
    claims = assessment.claims
    if claims is None:
        if assessment.reason == "unknown-key":
            # Offline, an unknown key may be a neighbour's new key the phone has not synced yet
            # (UNKNOWN, amber). This server holds the trust list itself: no key it knows signed
            # the token, so it is not genuine (docs/qr-token.md section 8).
            return Verification(Verdict.INVALID_SIGNATURE, "unknown-key", None, None, None)
        return Verification(assessment.verdict, assessment.reason, None, None, None)
    cert = _read_status(claims.number)
    if cert is None:
        peer_list = trust.peer_status_list(claims.country)
        if peer_list is not None:
            # A federation peer's certificate: its status from the peer's last synced list.
            peer = assess_token(token, trust.trust_list(), {claims.country: peer_list}, day)
            return Verification(peer.verdict, "peer", claims, None, None)
        return Verification(Verdict.UNKNOWN, "not-in-registry", claims, None, None)
    if cert.token != token.upper():
        return Verification(Verdict.INVALID_SIGNATURE, "not-issued-here", claims, None, None)
    state = state_on(cert, day)
    return Verification(STATE_VERDICTS[state], None, claims, cert, state)


def count_verification(client: str) -> None:
    """Count one request of ``client`` in the fixed window (shared by all workers).

    Spent from a share of the client's budget this process reserved in the database (see
    :mod:`certreg.certificates.ratelimit`), or counted in the request's transaction when
    ``VERIFY_LOG_FLUSH_SECONDS`` is 0.

    :raise RateLimited: beyond ``VERIFY_RATE_LIMIT`` requests in ``VERIFY_RATE_WINDOW_SECONDS``
        (code ``verify_rate_limited``, with Retry-After).
    """
    config = current_app.config
    now = utcnow()
    window = timedelta(seconds=config["VERIFY_RATE_WINDOW_SECONDS"])
    if scanlog.buffered():
        allowed, retry = ratelimit.rate_budget().admit(client, now, config["VERIFY_RATE_LIMIT"], window)
    else:
        hits, started = ratelimit.throttle_upsert(db.session.connection(), client, 1, now, now - window)
        allowed, retry = hits <= config["VERIFY_RATE_LIMIT"], max(1, int((started + window - now).total_seconds()))
    if not allowed:
        raise RateLimited(_("Too many checks from this device. Try again in %(seconds)s seconds.", seconds=retry),
                          retry_after=retry, code="verify_rate_limited")


def record_scan(verification: Verification | None, *, channel: str, inspector: Actor | None,
                certificate: Certificate | None = None, verdict: Verdict | None = None) -> None:
    """Record one verification: written behind (:mod:`certreg.certificates.scanlog`), or in the
    request's transaction when ``VERIFY_LOG_FLUSH_SECONDS`` is 0."""
    cert = certificate or (verification.certificate if verification else None)
    number = cert.number if cert else (verification.claims.number if verification and verification.claims else None)
    row = {
        "at": utcnow(), "certificate_id": cert.id if cert else None, "number": number,
        "verdict": verdict or verification.verdict, "channel": channel,
        "inspector_user_id": inspector.user_id if inspector and inspector.has_role(Role.INSPECTOR) else None,
    }
    if scanlog.buffered():
        scanlog.scan_log().record(row)
    else:
        db.session.add(CertificateScan(**row))


def my_scans(actor: Actor, *, page: int = 1, per_page: int = 50):
    actor.require(actor.has_role(Role.INSPECTOR))
    query = (sa.select(CertificateScan).where(CertificateScan.inspector_user_id == actor.user_id)
             .order_by(CertificateScan.id.desc()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
