"""Registering a cylinder: its national serial, its first contents and its signed label."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.certificates.lifecycle import allocate
from certreg.countries.codes import country_code
from certreg.cylinders import labelling, numbers
from certreg.cylinders.access import can_act, can_register
from certreg.cylinders.events import FillData, add_event, apply_fill, logged
from certreg.cylinders.models import Cylinder, CylinderKind, CylinderStatus, EventKind
from certreg.cylinders.refusals import refused
from certreg.errors import NotFound, ValidationFailed
from certreg.extensions import db
from certreg.registry.models import Company

logger = logging.getLogger(__name__)
#: The per-country counter (certificate counters table) giving each cylinder its serial and status index.
SERIAL_COUNTER = "cylinder"


@dataclass
class RegisterData:
    owner_company_id: int
    kind: CylinderKind
    water_capacity_l: Decimal
    tare_kg: Decimal
    manufacturer: str | None = None
    stamp_number: str | None = None
    grai: str | None = None
    test_due: date | None = None
    contents: FillData | None = None


def _owner(company_id: int) -> Company:
    company = db.session.get(Company, company_id)
    if company is None:
        raise ValidationFailed.for_field("owner", _("No such company."), "owner_unknown")
    return company


def register(actor: Actor, data: RegisterData) -> Cylinder:
    """Register a cylinder owned (and held) by a company; fill it if ``data.contents`` is given.

    :raise Forbidden: not an official of the owner's country nor the owner's user.
    :raise ValidationFailed: a bad GRAI, a GRAI already registered, or a fill the rules refuse.
    """
    owner = _owner(data.owner_company_id)
    actor.require(can_register(actor, owner.country_code, owner.id))
    grai = None
    if data.grai:
        try:
            grai = numbers.parse_grai(data.grai)
        except ValueError as exc:
            raise ValidationFailed.for_field("grai", str(exc), "grai_invalid") from None
        if db.session.scalar(sa.select(Cylinder.id).where(Cylinder.grai == grai)) is not None:
            raise ValidationFailed.for_field("grai", _("A cylinder with this GRAI is already registered."),
                                             "grai_taken")
    if data.water_capacity_l <= 0:
        raise ValidationFailed.for_field("water_capacity_l", _("The water capacity must be more than zero."),
                                         "capacity_not_positive")
    if data.tare_kg < 0:
        raise ValidationFailed.for_field("tare_kg", _("The tare cannot be negative."), "tare_negative")
    with logged(owner.country_code) as head:
        cylinder = _register(actor, head, owner, grai, data)
    audit.record(actor, "cylinder.register", cylinder, object_id=cylinder.serial,
                 summary=audit.msg("Registered cylinder %(serial)s", serial=cylinder.serial))
    logger.info("registered cylinder %s for company %s", cylinder.serial, owner.id)
    return cylinder


def flagged(country: str, stamp_number: str | None) -> Cylinder | None:
    """The unregistered cylinder that logbook entries of ``country`` name by ``stamp_number``, if any."""
    if not stamp_number:
        return None
    return db.session.scalar(sa.select(Cylinder).where(Cylinder.country_code == country, Cylinder.needs_registration,
                                                       Cylinder.stamp_number == stamp_number))


def _register(actor: Actor, head, owner: Company, grai: str | None, data: RegisterData) -> Cylinder:
    """A new record, or the unregistered one with this stamp number (flagged from logbook entries), which keeps
    its custodian and the entries that name it."""
    seq = allocate(owner.country_code, SERIAL_COUNTER)
    cylinder = flagged(owner.country_code, data.stamp_number)
    if cylinder is None:
        cylinder = Cylinder(country_code=owner.country_code, custodian_company=owner, status=CylinderStatus.EMPTY,
                            net_kg=Decimal("0"), fills=0)
        db.session.add(cylinder)
    elif cylinder.net_kg == 0:
        cylinder.status = CylinderStatus.EMPTY
    for name, value in dict(
            serial=numbers.format_serial(owner.country_code, seq), grai=grai, manufacturer=data.manufacturer or None,
            stamp_number=data.stamp_number or None, kind=data.kind, water_capacity_l=data.water_capacity_l,
            tare_kg=data.tare_kg, test_due=data.test_due, owner=owner, status_index=seq, kid="", token="",
            needs_registration=False).items():
        setattr(cylinder, name, value)
    db.session.flush()
    add_event(actor, head, cylinder, EventKind.REGISTER,  # names its first custodian (a reversal goes back to it)
              to=cylinder.custodian_company or cylinder.custodian_technician)
    if data.contents is not None:
        data.contents.origin_country = country_code(data.contents.origin_country, "origin_country")
        with refused(actor, cylinder, EventKind.FILL, {"substance": data.contents.substance_code,
                                                                 "net_kg": str(data.contents.net_kg)}):
            apply_fill(actor, head, cylinder, data.contents)
    labelling.sign_label(cylinder)
    return cylinder


def relabel(actor: Actor, cylinder: Cylinder) -> Cylinder:
    """Sign a fresh label from what the register says now (to print after a fill)."""
    actor.require(can_act(actor, cylinder))
    labelling.sign_label(cylinder)
    return cylinder


def get(serial: str) -> Cylinder:
    cylinder = db.session.scalar(sa.select(Cylinder).where(Cylinder.serial == serial))
    if cylinder is None:
        raise NotFound()
    return cylinder
