"""Expected shipments: the importer (or a customs officer) records a shipment before the goods arrive.

Services flush, never commit. Codes (stable): ``required``, ``invalid_choice``, ``invalid_date``,
``invalid_number``, ``invalid_country``/``unknown_country``, ``unknown_company``, ``unknown_substance``,
``declaration_taken``, ``too_many_serials``, and those of :mod:`certreg.shipments.hscodes`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.countries.codes import country_code
from certreg.cylinders import registration as cylinders
from certreg.errors import NotFound, ValidationFailed
from certreg.extensions import db
from certreg.registry.models import Company
from certreg.shipments import hscodes
from certreg.shipments.models import Goods, Shipment, ShipmentStatus, TransportMode
from certreg.substances import services as substances
from certreg.vocabulary import Role

logger = logging.getLogger(__name__)

#: Who stands at the border for the country: certreg's inspectors (customs officers work under this role).
BORDER_ROLES = (Role.ADMIN, Role.INSPECTOR)
READ_ROLES = (Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR, Role.AUDITOR)
MAX_SERIALS = 200


@dataclass
class ShipmentData:
    """A shipment as announced (all text, as typed on any surface)."""

    declaration_number: str
    importer_registration: str
    goods: str
    hs_code: str
    substance: str
    kg: str | Decimal
    import_licence: str
    exporter_name: str
    exporting_country: str
    origin_country: str
    transport_mode: str
    border_post: str
    expected_on: str | date
    cylinder_count: str | int = 0
    cylinder_serials: list[str] = field(default_factory=list)
    product_description: str | None = None
    units: str | int | None = None


def can_record(actor: Actor, country_code: str) -> bool:
    return (actor.is_system or actor.in_country(country_code, *BORDER_ROLES, Role.CERTIFYING_OFFICER)
            or actor.in_country(country_code, Role.COMPANY_USER))


def can_read(actor: Actor, shipment: Shipment) -> bool:
    return (actor.is_system or actor.in_country(shipment.country_code, *READ_ROLES)
            or actor.acts_for_company(shipment.importer_id))


def can_decide(actor: Actor, shipment: Shipment) -> bool:
    return actor.is_system or actor.in_country(shipment.country_code, *BORDER_ROLES)


def _bad(name: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed.for_field(name, message, code)


def _required(name: str, value: Any, maximum: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise _bad(name, _("This field is required."), "required")
    if len(text) > maximum:
        raise _bad(name, _("At most %(n)s characters.", n=maximum), "too_long")
    return text


def _count(name: str, value: Any, *, required: bool) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _bad(name, _("This field is required."), "required")
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise _bad(name, _("Enter a whole number."), "invalid_number") from None
    if not 0 <= number <= 1_000_000:
        raise _bad(name, _("Enter a whole number."), "invalid_number")
    return number


def parse_kg(value: Any) -> Decimal:
    """Kilograms as typed: positive, at most three decimals. :raise ValidationFailed: ``invalid_number``."""
    try:
        parsed = value if isinstance(value, Decimal) else Decimal(str(value or "").strip().replace(",", "."))
    except InvalidOperation:
        raise _bad("kg", _("Enter a positive number."), "invalid_number") from None
    if not parsed.is_finite() or parsed <= 0 or parsed >= Decimal("1e11") or parsed != parsed.quantize(
            Decimal("0.001")):
        raise _bad("kg", _("Enter a positive number."), "invalid_number")
    return parsed


def _choice(name: str, enum_cls: type, value: Any):
    try:
        return enum_cls(str(value or "").strip())
    except ValueError:
        raise _bad(name, _("Not a valid choice."), "invalid_choice") from None


def _country(name: str, value: Any) -> str:
    code = country_code(str(value or ""), name)
    if code is None:
        raise _bad(name, _("This field is required."), "required")
    return code


def record(actor: Actor, country_code_: str, data: ShipmentData) -> Shipment:
    """Record an expected shipment into ``country_code_``. A company user records for their own company.

    :raise ValidationFailed: on the field at fault.
    """
    # One piece on purpose: the fields in the order of the customs declaration, each checked where it is read.
    actor.require(can_record(actor, country_code_))
    number = _required("declaration_number", data.declaration_number, 64)
    registration = _required("importer_registration", data.importer_registration, 64)
    importer = db.session.scalar(sa.select(Company).where(Company.country_code == country_code_,
                                                          Company.registration_number == registration))
    if importer is None:
        raise _bad("importer_registration", _("No company with this registration number in this country."),
                   "unknown_company")
    if actor.has_role(Role.COMPANY_USER):
        actor.require(actor.acts_for_company(importer.id))
    goods = _choice("goods", Goods, data.goods)
    substance = substances.resolve(str(data.substance or "").strip())
    product = goods is not Goods.SUBSTANCE
    hscodes.check(data.hs_code, product=product, is_blend=substance.is_blend, catalogue_code=substance.hs_code)
    kg = parse_kg(data.kg)
    serials = sorted({s.strip().upper() for s in data.cylinder_serials or [] if s and s.strip()})
    if len(serials) > MAX_SERIALS or any(len(s) > 64 for s in serials):
        raise _bad("cylinder_serials", _("At most %(n)s serials.", n=MAX_SERIALS), "too_many_serials")
    cylinder_count = _count("cylinder_count", data.cylinder_count, required=False) or 0
    if len(serials) > cylinder_count:
        raise _bad("cylinder_serials", _("More serials than cylinders."), "too_many_serials")
    description = (data.product_description or "").strip()[:255] or None
    units = _count("units", data.units, required=product)
    if product and not description:
        raise _bad("product_description", _("Describe the equipment or extinguishers."), "required")
    expected_on = data.expected_on
    if not isinstance(expected_on, date):
        try:
            expected_on = date.fromisoformat(str(expected_on or "").strip())
        except ValueError:
            raise _bad("expected_on", _("Enter a date as YYYY-MM-DD."), "invalid_date") from None
    if db.session.scalar(sa.select(Shipment.id).where(Shipment.country_code == country_code_,
                                                      Shipment.declaration_number == number)) is not None:
        raise _bad("declaration_number", _("A shipment with this declaration number exists."), "declaration_taken")
    shipment = Shipment(
        country_code=country_code_, declaration_number=number, importer_id=importer.id, goods=goods,
        product_description=description if product else None, units=units if product else None,
        hs_code=_required("hs_code", data.hs_code, 32), substance_code=substance.code, kg=kg,
        cylinder_count=cylinder_count, cylinder_serials=serials,
        import_licence=_required("import_licence", data.import_licence, 64),
        exporter_name=_required("exporter_name", data.exporter_name, 255),
        exporting_country=_country("exporting_country", data.exporting_country),
        origin_country=_country("origin_country", data.origin_country),
        transport_mode=_choice("transport_mode", TransportMode, data.transport_mode),
        border_post=_required("border_post", data.border_post, 120), expected_on=expected_on,
        status=ShipmentStatus.EXPECTED, recorded_by_label=actor.label)
    db.session.add(shipment)
    db.session.flush()
    audit.record(actor, "shipment.expect", shipment, country_code=country_code_,
                 summary=audit.msg("Expected shipment %(number)s: %(kg)s kg of %(substance)s", number=number,
                                   kg=f"{kg:f}", substance=substance.code),
                 after={"declaration": number, "importer": registration, "goods": goods.value,
                        "hs_code": shipment.hs_code, "substance": substance.code, "kg": f"{kg:f}",
                        "licence": shipment.import_licence, "exporting_country": shipment.exporting_country})
    logger.info("shipment %s expected in %s by %s", number, country_code_, actor.label)
    return shipment


#: The shipment with its importer (what the pages and the API show of it), in one statement built once (its
#: cache key is not computed per request). The border check reads its own facts (:mod:`.facts`).
_WITH_IMPORTER = sa.select(Shipment).options(joinedload(Shipment.importer)).where(
    Shipment.id == sa.bindparam("shipment_id"))


def get(actor: Actor, shipment_id: int) -> Shipment:
    """:raise NotFound: no such shipment, or the actor may not see it."""
    shipment = db.session.execute(_WITH_IMPORTER, {"shipment_id": shipment_id}).scalar_one_or_none()
    if shipment is None or not can_read(actor, shipment):
        raise NotFound()
    return shipment


def listing(actor: Actor, country_code_: str | None, *, limit: int = 200) -> list[Shipment]:
    """The shipments the actor sees: a country's (its officials) or their company's (a company user)."""
    query = sa.select(Shipment).order_by(Shipment.expected_on.desc(), Shipment.id.desc()).limit(limit)
    if actor.has_role(Role.COMPANY_USER):
        query = query.where(Shipment.importer_id == actor.user.company_id)
    else:
        actor.require(actor.is_system or actor.in_country(country_code_, *READ_ROLES))
        if country_code_:
            query = query.where(Shipment.country_code == country_code_)
    return list(db.session.scalars(query))


def registered_cylinders(shipment: Shipment) -> dict[str, bool]:
    """Each declared serial: whether the register knows the cylinder."""
    found: dict[str, bool] = {}
    for serial in shipment.cylinder_serials:
        try:
            cylinders.get(serial)
            found[serial] = True
        except NotFound:
            found[serial] = False
    return found
