"""What a label scan at ``/c/<token>`` tells an inspector: the verdict, then what the register
says now, then the warnings to see at a glance.

Verdicts: ``genuine`` (the signature verifies under the issuing country's key and the serial is
registered), ``unknown`` (unknown key or unsupported version: the trust list may be out of
date; or a genuine signature over a serial this installation does not hold) and ``forged``
(malformed, or the signature does not verify, or a key of another country).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from certreg.actors import Actor
from certreg.autocommit_query import AutocommitQuery
from certreg.certificates import scanlog, trust
from certreg.certificates.verification import count_verification
from certreg.cylinders import labelling
from certreg.cylinders.models import Cylinder, CylinderKind, CylinderScan, CylinderStatus
from certreg.cylinders.token import LABEL_TOKEN, LabelClaims
from certreg.db import utcnow
from certreg.extensions import db
from certreg.i18n import country_name
from certreg.memo import SignatureMemo
from certreg.registry.models import Company, Technician
from certreg.tokens import format as tokens
from certreg.tokens import status_list as statuslist
from certreg.tokens.encoding import BadSignature, MalformedToken, UnknownKey, UnsupportedVersion
from certreg.vocabulary import Role

GENUINE, UNKNOWN, FORGED = "genuine", "unknown", "forged"
#: A federation peer's label, as its last synced status list says (the offline verdicts too).
DESTROYED, SUSPENDED = "destroyed", "suspended"
_PEER_VERDICTS = {statuslist.STATUS_VALID: GENUINE, statuslist.STATUS_INVALID: DESTROYED,
                  statuslist.STATUS_SUSPENDED: SUSPENDED}


@dataclass
class Scan:
    verdict: str
    claims: LabelClaims | None = None
    cylinder: Cylinder | Any | None = None  # the ORM object, or for the page a row of PAGE_ROW's columns
    warnings: list[str] = field(default_factory=list)


class _Kilograms(sa.TypeDecorator[Decimal]):
    """``net_kg`` as the page's row reads it outside the ORM (an ``AutocommitQuery`` knows no column type codes,
    which PostgreSQL's Numeric processor needs): the driver's value as a Decimal of three places, as the ORM's."""

    impl = sa.String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(Decimal("0.001"))


_owner, _custodian_company = Company.__table__.alias("owner"), Company.__table__.alias("custodian_company")
_custodian_technician = Technician.__table__.alias("custodian_technician")
#: What the public page shows of the cylinder, read live in one indexed row (the names are the holders'
#: ``display_name``: a company's legal name, a technician's full name).
PAGE_ROW = (sa.select(Cylinder.id, Cylinder.serial, Cylinder.kind, Cylinder.status, Cylinder.suspect,
                       Cylinder.substance_code, sa.type_coerce(Cylinder.net_kg, _Kilograms).label("net_kg"),
                       Cylinder.condition,
                       _owner.c.legal_name.label("owner_name"),
                       sa.func.coalesce(_custodian_company.c.legal_name,
                                        _custodian_technician.c.full_name).label("custodian_name"))
             .outerjoin(_owner, _owner.c.id == Cylinder.owner_company_id)
             .outerjoin(_custodian_company, _custodian_company.c.id == Cylinder.custodian_company_id)
             .outerjoin(_custodian_technician, _custodian_technician.c.id == Cylinder.custodian_technician_id)
             .where(Cylinder.serial == sa.bindparam("serial")))
_page_read = AutocommitQuery(PAGE_ROW)


def _orm_cylinder(serial: str) -> Cylinder | None:
    return db.session.scalar(sa.select(Cylinder).where(Cylinder.serial == serial).options(
        joinedload(Cylinder.owner), joinedload(Cylinder.custodian_company),
        joinedload(Cylinder.custodian_technician)))


def _page_cylinder(serial: str) -> Any:
    """The page's row: when scans are written behind, one autocommitted SELECT on a connection kept for it
    (as the certificate check's status read); otherwise inside the request's transaction."""
    if scanlog.buffered():
        return _page_read.first(db.engine, serial=serial)
    return db.session.connection().execute(PAGE_ROW, {"serial": serial}).first()


#: A label's signature checked once per trust list (the same cylinder is scanned again and again at a counter);
#: the cylinder itself is read live on every scan.
_labels: SignatureMemo[LabelClaims] = SignatureMemo()


def assess(token: str, *, page: bool = False) -> Scan:
    """The verdict for ``token`` (no rate limit, no log). ``page``: the cylinder as the public page's row
    (:data:`PAGE_ROW`), not the ORM object; the same live read, the same warnings."""
    try:
        trusted, text = trust.trust_list(), token.upper()
        claims = _labels.get(text, trusted, lambda: tokens.verify(LABEL_TOKEN, text, trusted))
    except (UnsupportedVersion, UnknownKey):
        return Scan(UNKNOWN)
    except (MalformedToken, BadSignature):
        return Scan(FORGED)
    cylinder = (_page_cylinder if page else _orm_cylinder)(claims.serial)
    if cylinder is None:
        return _peer_scan(claims) or Scan(UNKNOWN, claims)
    return Scan(GENUINE, claims, cylinder, warnings(claims, cylinder))


def _peer_scan(claims: LabelClaims) -> Scan | None:
    """A label of a federation peer's country (not in this register): the verdict its last synced status list
    gives, as the offline verifier does, and where and when that list came from."""
    found = labelling.peer_status_list(claims.country)
    if found is None:
        return None
    status_list, entry = found
    try:
        verdict = _PEER_VERDICTS.get(status_list.status(claims.status_index), SUSPENDED)
    except IndexError:
        return None
    origin = _("Issued in a partner installation (%(origin)s); its statuses here are as of %(time)s.",
               origin=f"{country_name(claims.country)}, {entry.origin}", time=entry.as_of.replace("T", " ")[:16])
    return Scan(verdict, claims, None, [origin])


def warnings(claims: LabelClaims, cylinder: Cylinder | Any) -> list[str]:
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


def scan(token: str, *, client: str, inspector: Actor | None, page: bool = False) -> Scan:
    """Assess ``token`` and log the scan (with the inspector if one is signed in); ``page`` as in :func:`assess`.

    The scan record is written behind the request like the certificates' (one batch every
    ``VERIFY_LOG_FLUSH_SECONDS``, :mod:`certreg.certificates.scanlog`), or in the request's own
    transaction when that setting is 0 (then the caller commits).

    :raise RateLimited: beyond the client's verification rate limit (shared with certificates).
    """
    count_verification(client)
    result = assess(token, page=page)
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
