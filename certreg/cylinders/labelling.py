"""Signing cylinder labels and publishing the signed label status lists.

The token is specified in :mod:`certreg.cylinders.token`; the keys, trust list and status list
format are :mod:`certreg.tokens`, shared with certificates.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from certreg.certificates.states import today
from certreg.certificates.trust import cached, trust_list
from certreg.cylinders.models import Cylinder, CylinderStatus
from certreg.cylinders.token import LABEL_STATUS_LIST_TYP, LABEL_TOKEN, LabelClaims
from certreg.db import utcnow
from certreg.errors import InvalidState, NotFound
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.keys.models import KeyStatus, SigningKey
from certreg.tokens import format as tokens
from certreg.tokens import peers
from certreg.tokens import status_list as statuslist
from certreg.tokens.encoding import MalformedToken

#: Status list values of a label.
SUSPENDED_STATUSES = frozenset({CylinderStatus.LOST, CylinderStatus.SEIZED})


def claims_for(cylinder: Cylinder) -> LabelClaims:
    return LabelClaims(
        serial=cylinder.serial, country=cylinder.country_code, kind=cylinder.kind.value,
        substance=cylinder.substance_code or "", net_grams=int(cylinder.net_kg * 1000),
        condition=cylinder.condition.value if cylinder.condition else None,
        status_index=cylinder.status_index, labelled_on=today(),
    )


def sign_label(cylinder: Cylinder) -> None:
    """(Re)sign the cylinder's label token from what the register says now."""
    try:
        key = keys.active_key(cylinder.country_code)
    except NotFound as exc:
        raise InvalidState(exc.message, code=exc.code) from None
    cylinder.token = tokens.encode(LABEL_TOKEN, claims_for(cylinder), key.private_key)
    cylinder.kid = key.kid


def label_claims(cylinder: Cylinder) -> LabelClaims:
    return tokens.decode(LABEL_TOKEN, cylinder.token).claims


def label_url(cylinder: Cylinder) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/c/{cylinder.token}"


def _build_status_lists() -> dict[str, str]:
    now = utcnow()
    countries = db.session.scalars(
        sa.select(SigningKey.country_code).where(SigningKey.status == KeyStatus.ACTIVE)).all()
    sizes = dict(db.session.execute(
        sa.select(Cylinder.country_code, sa.func.max(Cylinder.status_index) + 1)
        .where(Cylinder.status_index.is_not(None)).group_by(Cylinder.country_code)).all())
    flagged: dict[str, dict[int, int]] = {c: {} for c in countries}
    rows = db.session.execute(sa.select(Cylinder.country_code, Cylinder.status_index, Cylinder.status)
                              .where(Cylinder.status.in_([CylinderStatus.DESTROYED, *SUSPENDED_STATUSES]),
                                     Cylinder.status_index.is_not(None)))
    for country, index, status in rows:
        if country in flagged:
            flagged[country][index] = (statuslist.STATUS_SUSPENDED if status in SUSPENDED_STATUSES
                                       else statuslist.STATUS_INVALID)
    result = {}
    for country in countries:
        key = keys.active_key(country)
        lst = statuslist.build_status_list(flagged[country], sizes.get(country) or 0)
        result[country] = statuslist.encode_status_list_token(
            country, lst, key.private_key, issued_at=now, ttl=current_app.config["STATUS_LIST_TTL_SECONDS"],
            typ=LABEL_STATUS_LIST_TYP)
    return result


#: The kind of status list labels publish (:mod:`certreg.tokens.peers`, the federation's documents).
STATUS_KIND = "cylinder-labels"


def own_status_list_document() -> dict:
    """``{"status_lists": {CC: token}}``: the signed label status list of every country with a key."""
    return cached("cylinder-status", "STATUS_LIST_CACHE_SECONDS",
                  lambda: statuslist.status_list_document(_build_status_lists()))


def peer_status_list(country: str) -> tuple[statuslist.StatusList, peers.PeerStatusList] | None:
    """The verified label status list of a federation peer's ``country`` (its last synced copy) and where and
    when it came from, if any."""
    own = own_status_list_document()
    entry = peers.peer_status_lists(STATUS_KIND, set(own["status_lists"])).get(country)
    if entry is None:
        return None
    try:
        return statuslist.verify_status_list_token(entry.token, trust_list(), typ=LABEL_STATUS_LIST_TYP), entry
    except (ValueError, MalformedToken):
        return None


def status_list_document() -> dict:
    """What this installation's verifiers use: its own label lists, then its federation peers'."""
    own = own_status_list_document()
    return peers.merge_status_document(own, STATUS_KIND, set(own["status_lists"]))


def grams(kg: Decimal) -> int:
    return int(kg * 1000)
