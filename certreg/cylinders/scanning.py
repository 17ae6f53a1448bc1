"""What a label scan at ``/c/<token>`` tells an inspector: the verdict, then what the register
says now, then the warnings to see at a glance.

Verdicts: ``genuine`` (the signature verifies under the issuing country's key and the serial is
registered), ``unknown`` (unknown key or unsupported version: the trust list may be out of
date; or a genuine signature over a serial this installation does not hold) and ``forged``
(malformed, or the signature does not verify, or a key of another country).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from certreg.actors import Actor
from certreg.certificates import scanlog, trust
from certreg.certificates.verification import count_verification
from certreg.cylinders.models import Cylinder, CylinderKind, CylinderScan, CylinderStatus
from certreg.cylinders.token import LABEL_TOKEN, LabelClaims
from certreg.db import utcnow
from certreg.extensions import db
from certreg.tokens import format as tokens
from certreg.tokens.encoding import BadSignature, MalformedToken, UnknownKey, UnsupportedVersion
from certreg.vocabulary import Role

GENUINE, UNKNOWN, FORGED = "genuine", "unknown", "forged"


@dataclass
class Scan:
    verdict: str
    claims: LabelClaims | None = None
    cylinder: Cylinder | None = None
    warnings: list[str] = field(default_factory=list)


def assess(token: str) -> Scan:
    """The verdict for ``token`` (no rate limit, no log)."""
    try:
        claims = tokens.verify(LABEL_TOKEN, token.upper(), trust.trust_list())
    except (UnsupportedVersion, UnknownKey):
        return Scan(UNKNOWN)
    except (MalformedToken, BadSignature):
        return Scan(FORGED)
    cylinder = db.session.scalar(sa.select(Cylinder).where(Cylinder.serial == claims.serial).options(
        joinedload(Cylinder.owner), joinedload(Cylinder.custodian_company),
        joinedload(Cylinder.custodian_technician)))
    if cylinder is None:
        return Scan(UNKNOWN, claims)
    return Scan(GENUINE, claims, cylinder, warnings(claims, cylinder))


def warnings(claims: LabelClaims, cylinder: Cylinder) -> list[str]:
    found = []
    if cylinder.status is CylinderStatus.DESTROYED:
        found.append(_("The register says this cylinder was destroyed: it should not be in circulation."))
    elif cylinder.status is CylinderStatus.EMPTY:
        found.append(_("The register says this cylinder is empty: if it holds gas, the gas is not accounted for."))
    if cylinder.status is CylinderStatus.LOST:
        found.append(_("The register says this cylinder was reported lost or stolen, or seized."))
    if cylinder.status is CylinderStatus.SEIZED:
        found.append(_("Seized: this cylinder was seized at an inspection and must not be sold or used."))
    if cylinder.suspect:
        found.append(_("Suspect: an inspection found that the contents do not match the label."))
    if claims.substance and cylinder.substance_code and claims.substance != cylinder.substance_code:
        found.append(_("The label says %(label)s but the register says %(register)s.", label=claims.substance,
                       register=cylinder.substance_code))
    if cylinder.kind is CylinderKind.NON_REFILLABLE and cylinder.status in (CylinderStatus.EMPTY,
                                                                         CylinderStatus.RETURNED):
        found.append(_("A non-refillable cylinder the register says was emptied: if it holds gas, it was "
                       "refilled illegally."))
    return found


def scan(token: str, *, client: str, inspector: Actor | None) -> Scan:
    """Assess ``token`` and log the scan (with the inspector if one is signed in).

    The scan record is written behind the request like the certificates' (one multi-row insert every
    ``VERIFY_LOG_FLUSH_SECONDS``, :mod:`certreg.certificates.scanlog`), or in the request's own
    transaction when that setting is 0 (then the caller commits).

    :raise RateLimited: beyond the client's verification rate limit (shared with certificates).
    """
    count_verification(client)
    result = assess(token)
    row = {"at": utcnow(), "cylinder_id": result.cylinder.id if result.cylinder else None,
           "serial": result.claims.serial if result.claims else None, "verdict": result.verdict,
           "inspector_user_id": inspector.user_id if inspector and inspector.has_role(Role.INSPECTOR) else None}
    if scanlog.buffered():
        scanlog.scan_log(CylinderScan.__table__).record(row)
    else:
        db.session.add(CylinderScan(**row))
    return result


def logged_in_request() -> bool:
    """Whether :func:`scan` writes in the request's transaction (else behind it)."""
    return not scanlog.buffered()
