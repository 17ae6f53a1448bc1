"""Seizure alerts received from peer installations: goods of one of this installation's countries seized
by another country (the federation carries them, :mod:`certreg.federation.alerts`; this module keeps them).

An alert is stored once per sender and reference (a repeated alert changes nothing), against the holder
of its cylinders (the registered custodian of the first cylinder named by national serial that this
register knows, else its owner) or, when none is known, against the country. The ministry's anomaly list
ranks them (``seizure_abroad``, :mod:`certreg.reports.inspection_findings`).

Codes: ``bad_alert`` (the body does not hold together), ``not_our_country`` (nothing in it is of a
country this installation signs for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.cylinders import numbers
from certreg.cylinders.models import Cylinder
from certreg.errors import Forbidden, ValidationFailed
from certreg.extensions import db
from certreg.inspections import access
from certreg.inspections.models import SeizureAlert
from certreg.inspections.records import ensure_logbook, find_cylinder
from certreg.keys import services as keys
from certreg.logbook.holders import holder, logbook_for
from certreg.vocabulary import HolderKind

MAX_GOODS = 50
MAX_SERIALS = 200
MAX_KG = Decimal(1_000_000)


def _bad(detail: str) -> ValidationFailed:
    return ValidationFailed(_("The seizure alert is not valid: %(detail)s.", detail=detail), code="bad_alert")


def _text(body: dict, name: str, limit: int, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit or not value.isprintable():
        raise _bad(name)
    return value.strip()


def _country(body: dict, name: str, *, required: bool = True) -> str | None:
    value = _text(body, name, 2, required=required)
    if value is not None and (len(value) != 2 or not value.isascii() or not value.isalpha()):
        raise _bad(name)
    return value.upper() if value else None


def _kg(value: Any) -> Decimal:
    try:
        kg = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _bad("kg") from None
    if not kg.is_finite() or not Decimal(0) <= kg <= MAX_KG:
        raise _bad("kg")
    return kg.quantize(Decimal("0.001"))


def _serial(text: Any) -> str:
    try:
        return numbers.parse_serial(text if isinstance(text, str) else "")
    except ValueError:
        raise _bad("serials") from None


@dataclass
class AlertData:
    reference: str
    seizing_country: str
    seized_on: date
    place: str
    origin_country: str | None
    goods: list[dict[str, Any]]
    serials: list[str]

    @property
    def kg(self) -> Decimal:
        return sum((Decimal(g["kg"]) for g in self.goods), Decimal("0.000"))


def parse(body: Any) -> AlertData:
    """The alert as a peer sent it (``seizure-alert`` body). :raise ValidationFailed: ``bad_alert``."""
    if not isinstance(body, dict):
        raise _bad("body")
    try:
        seized_on = date.fromisoformat(_text(body, "seized_on", 10) or "")
    except ValueError:
        raise _bad("seized_on") from None
    goods_in = body.get("goods")
    if not isinstance(goods_in, list) or not 0 < len(goods_in) <= MAX_GOODS:
        raise _bad("goods")
    goods, serials = [], []
    for item in goods_in:
        if not isinstance(item, dict) or not isinstance(item.get("serials", []), list):
            raise _bad("goods")
        line_serials = [_serial(s) for s in item.get("serials", [])]
        count = item.get("cylinders", 0)
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 100_000:
            raise _bad("cylinders")
        goods.append({"substance": _text(item, "substance", 32), "kg": str(_kg(item.get("kg"))),
                      "cylinders": count, "serials": line_serials})
        serials += [s for s in line_serials if s not in serials]
    for item in body.get("cylinders", []) if isinstance(body.get("cylinders", []), list) else []:
        serial = _serial(item.get("serial") if isinstance(item, dict) else None)
        if serial not in serials:
            serials.append(serial)
    if len(serials) > MAX_SERIALS:
        raise _bad("serials")
    return AlertData(reference=_text(body, "reference", 120) or "", seizing_country=_country(body, "seizing_country"),
                     seized_on=seized_on, place=_text(body, "place", 255) or "",
                     origin_country=_country(body, "origin_country", required=False), goods=goods, serials=serials)


def _holder_of(cylinder: Cylinder) -> tuple[HolderKind, int] | None:
    if cylinder.custodian_company_id is not None:
        return HolderKind.COMPANY, cylinder.custodian_company_id
    if cylinder.custodian_technician_id is not None:
        return HolderKind.TECHNICIAN, cylinder.custodian_technician_id
    if cylinder.owner_company_id is not None:
        return HolderKind.COMPANY, cylinder.owner_company_id
    return None


def _concerned(data: AlertData) -> tuple[str | None, int | None]:
    """This installation's country the alert is about and the logbook of the cylinders' holder (if known)."""
    ours = keys.local_countries()
    for serial in data.serials:
        cylinder = find_cylinder(serial)
        if cylinder is not None and cylinder.country_code in ours:
            owner = _holder_of(cylinder)
            if owner is None:
                return cylinder.country_code, None
            ensure_logbook(*owner)
            logbook = logbook_for(holder(*owner))
            return cylinder.country_code, logbook.id if logbook is not None else None
    for country in [serial[:2] for serial in data.serials] + [data.origin_country]:
        if country in ours:
            return country, None
    return None, None


def receive(actor: Actor, sender_url: str, sender_name: str, data: AlertData) -> tuple[SeizureAlert, bool]:
    """Keep a peer's seizure alert (once per sender and reference) and audit it.

    :return: (the alert, whether it was stored now).
    :raise ValidationFailed: ``not_our_country``.
    """
    actor.require(actor.is_system)
    found = db.session.scalar(sa.select(SeizureAlert).where(SeizureAlert.sender_url == sender_url,
                                                            SeizureAlert.reference == data.reference))
    if found is not None:
        return found, False
    country, logbook_id = _concerned(data)
    if country is None:
        raise ValidationFailed(_("The seizure alert names no cylinder or country of this installation."),
                               code="not_our_country")
    alert = SeizureAlert(sender_url=sender_url, sender_name=sender_name[:80], reference=data.reference,
                         country_code=country, seizing_country=data.seizing_country, seized_on=data.seized_on,
                         place=data.place, origin_country=data.origin_country, kg=data.kg, serials=data.serials,
                         goods=data.goods, logbook_id=logbook_id)
    db.session.add(alert)
    db.session.flush()
    audit.record(actor, "seizure_alert.receive", alert, country_code=country,
                 summary=audit.msg("Seizure alert %(reference)s from %(sender)s: %(kg)s kg seized in %(country)s",
                                   reference=data.reference, sender=sender_name, kg=str(data.kg),
                                   country=data.seizing_country),
                 after={"reference": data.reference, "seizing_country": data.seizing_country,
                        "serials": data.serials[:20], "logbook_id": logbook_id})
    return alert, True


def can_read(actor: Actor, country_code: str | None) -> bool:
    """The ministry (administrators, auditors) and inspectors of the country, as for inspections."""
    return access.can_read(actor, country_code)


def received(actor: Actor, country_code: str | None, *, limit: int = 100) -> list[SeizureAlert]:
    """The latest alerts received about ``country_code`` (every country for the command line).

    :raise Forbidden: not a reader of the country's inspections.
    """
    if not (actor.is_system or (country_code and can_read(actor, country_code))):
        raise Forbidden()
    query = sa.select(SeizureAlert).order_by(SeizureAlert.id.desc()).limit(limit)
    if country_code:
        query = query.where(SeizureAlert.country_code == country_code)
    return list(db.session.scalars(query))


def in_period(country_code: str, date_from: date, date_to: date) -> list[SeizureAlert]:
    """The alerts about ``country_code`` of seizures made in the period (for the anomaly list)."""
    return list(db.session.scalars(sa.select(SeizureAlert).where(
        SeizureAlert.country_code == country_code, SeizureAlert.seized_on >= date_from,
        SeizureAlert.seized_on <= date_to).order_by(SeizureAlert.id)))
