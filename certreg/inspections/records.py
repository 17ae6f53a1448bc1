"""Recording an inspection and what it checked: one path for the page, the API and the demo.

Idempotent by the client's identifier: every record a phone makes carries a UUID it made
(``client_id``). Sending the same record again (a retried or replayed sync) changes nothing and
answers the record stored the first time (``created`` False), so an offline queue syncs exactly
once. A ``client_id`` already used by another inspection is refused (``client_id_conflict``).
Every rule is checked again at sync; a refusal writes nothing (the request rolls back).

Codes: ``required``, ``invalid_client_id``, ``invalid_choice``, ``invalid_date``, ``invalid_number``,
``unknown_border_post``, ``unknown_company``, ``unknown_technician``, ``unknown_shipment``, ``unknown_substance``,
``unknown_scan``, ``readings_over_100``, ``instrument_required``, ``client_id_conflict``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.certificates.models import CertificateScan
from certreg.countries import codes as country_codes
from certreg.cylinders import findings as cylinder_findings
from certreg.cylinders import numbers
from certreg.cylinders.models import Cylinder
from certreg.db import Base, utcnow
from certreg.errors import Conflict, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.focalpoints import services as focalpoints
from certreg.inspections import access, readings
from certreg.inspections.models import (
    CertificateCheck,
    CylinderCheck,
    Inspection,
    PlaceKind,
    ReadingVerdict,
    SubjectKind,
)
from certreg.logbook.holders import holder, logbook_for
from certreg.registry.models import Company, Technician
from certreg.shipments.models import Shipment
from certreg.substances import services as substances
from certreg.vocabulary import HolderKind

logger = logging.getLogger(__name__)
R = TypeVar("R", bound=Base)
TEXT_MAX = 4000


def bad(name: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed.for_field(name, message, code)


def text(value: Any, name: str, limit: int, *, required: bool = False) -> str | None:
    value = (value or "").strip() if isinstance(value, str) else ("" if value is None else str(value))
    if required and not value:
        raise bad(name, _("This field is required."), "required")
    if len(value) > limit:
        raise bad(name, _("At most %(n)s characters.", n=limit), "too_long")
    return value or None


def client_id(value: Any, name: str = "client_id") -> str:
    """A UUID in its canonical lower-case form. :raise ValidationFailed: ``invalid_client_id``."""
    try:
        return str(uuid.UUID(str(value or "").strip()))
    except ValueError:
        raise bad(name, _("Give the record's identifier (a UUID)."), "invalid_client_id") from None


def when(value: Any, name: str) -> datetime:
    """An ISO 8601 time (UTC when no zone is given), not later than a few minutes from now."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value or "").strip().replace("Z", "+00:00"))
        except ValueError:
            raise bad(name, _("Enter a date and time (YYYY-MM-DD HH:MM)."), "invalid_date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1900 <= moment.year <= 2200 or moment > utcnow() + timedelta(minutes=10):
        raise bad(name, _("The time cannot be in the future."), "invalid_date")
    return moment.astimezone(UTC)


def day(value: Any, name: str, *, required: bool = True) -> date | None:
    if isinstance(value, date):
        return value
    if not value and not required:
        return None
    try:
        parsed = date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise bad(name, _("Enter a date as YYYY-MM-DD."), "invalid_date") from None
    if not 1900 <= parsed.year <= 2200:
        raise bad(name, _("Enter a date as YYYY-MM-DD."), "invalid_date")
    return parsed


def number(value: Any, name: str, *, low: Decimal, high: Decimal, required: bool = False) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise bad(name, _("This field is required."), "required")
        return None
    try:
        parsed = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise bad(name, _("Enter a number."), "invalid_number") from None
    if not parsed.is_finite() or not low <= parsed <= high:
        raise bad(name, _("Enter a number from %(low)s to %(high)s.", low=low, high=high), "invalid_number")
    return parsed


def existing(model: type[R], cid: str, inspection: Inspection | None = None) -> R | None:
    """The record stored under ``cid`` earlier (a repeated sync), or None.

    :raise Conflict: ``client_id_conflict`` (used by another inspection).
    """
    found = db.session.scalar(sa.select(model).where(model.client_id == cid))
    if found is not None and inspection is not None and found.inspection_id != inspection.id:
        raise Conflict(_("This identifier is already used by another record."), code="client_id_conflict")
    return found


# --- the inspection --------------------------------------------------------------------------


@dataclass
class InspectionData:
    """An inspection as a page, the API or the phone's queue gives it (text as typed)."""

    client_id: str
    started_at: str | datetime
    place_kind: str
    officers: str
    subject_kind: str
    place: str = ""
    border_post: str = ""  # the border post's code in the country's directory
    vehicle_number: str = ""
    company_registration: str = ""
    technician_id: int | str | None = None
    shipment_declaration: str = ""  # the recorded shipment's customs declaration number in the country
    shipment_id: int | str | None = None  # or its id (the API)
    shipment_ref: str = ""  # goods found with no declaration recorded: described as found
    person_details: str = ""
    foreign_country: str = ""
    notes: str = ""


def start(actor: Actor, country_code: str, data: InspectionData) -> tuple[Inspection, bool]:
    """Record an inspection (or answer the one recorded earlier under the same ``client_id``).

    :return: (the inspection, whether it was created now).
    """
    # One piece on purpose: the inspection's parts in the order of the form, each checked where it is read.
    actor.require(access.can_write(actor, country_code))
    cid = client_id(data.client_id)
    found = existing(Inspection, cid)
    if found is not None:
        if found.country_code != country_code:
            raise Conflict(_("This identifier is already used by another record."), code="client_id_conflict")
        return found, False
    try:
        place_kind = PlaceKind(data.place_kind)
    except ValueError:
        raise bad("place_kind", _("Not a valid choice."), "invalid_choice") from None
    try:
        subject_kind = SubjectKind(data.subject_kind)
    except ValueError:
        raise bad("subject_kind", _("Not a valid choice."), "invalid_choice") from None
    values: dict[str, Any] = {
        "client_id": cid, "country_code": country_code, "inspector_user_id": actor.user_id,
        "inspector_label": actor.label[:255], "started_at": when(data.started_at, "started_at"),
        "place_kind": place_kind, "subject_kind": subject_kind,
        "officers": text(data.officers, "officers", TEXT_MAX, required=True),
        "place": text(data.place, "place", 255, required=place_kind in (PlaceKind.MARKET_STALL, PlaceKind.SHOP,
                                                                      PlaceKind.WAREHOUSE)),
        "vehicle_number": text(data.vehicle_number, "vehicle_number", 64,
                               required=place_kind is PlaceKind.VEHICLE),
        "shipment_ref": text(data.shipment_ref, "shipment_ref", 120),
        "person_details": text(data.person_details, "person_details", TEXT_MAX,
                               required=subject_kind is SubjectKind.UNKNOWN_PERSON),
        "notes": text(data.notes, "notes", TEXT_MAX),
    }
    if place_kind is PlaceKind.BORDER_POST:
        code = text(data.border_post, "border_post", 32, required=True)
        post = focalpoints.border_post(country_code, code or "")
        if post is None:
            raise bad("border_post", _("No border post with this code in the country's list."), "unknown_border_post")
        values["border_post_id"] = post.id
    if subject_kind is SubjectKind.COMPANY:
        registration = text(data.company_registration, "company_registration", 64, required=True)
        company = db.session.scalar(sa.select(Company).where(Company.country_code == country_code,
                                                             Company.registration_number == registration))
        if company is None:
            raise bad("company_registration", _("No company with this registration number in this country."),
                      "unknown_company")
        values["company_id"] = company.id
    elif subject_kind is SubjectKind.TECHNICIAN:
        record = number(data.technician_id, "technician_id", low=Decimal(1), high=Decimal(2**31 - 1), required=True)
        technician = db.session.get(Technician, int(record)) if record == record.to_integral_value() else None
        if technician is None or technician.country_code != country_code:
            raise bad("technician_id", _("No technician with this record number in this country."),
                      "unknown_technician")
        values["technician_id"] = technician.id
    elif subject_kind is SubjectKind.SHIPMENT:
        values["shipment_id"] = shipment_named(country_code, data, described=values["shipment_ref"] is not None)
    foreign = text(data.foreign_country, "foreign_country", 2)
    values["foreign_country"] = country_codes.country_code(foreign, "foreign_country") if foreign else None
    inspection = Inspection(**values)
    db.session.add(inspection)
    db.session.flush()
    audit.record(actor, "inspection.start", inspection, country_code=country_code,
                 summary=audit.msg("Inspection %(id)s recorded", id=inspection.id),
                 after={"client_id": cid, "place_kind": place_kind.value, "subject_kind": subject_kind.value})
    logger.info("inspection %s (%s) recorded by %s", inspection.id, cid, actor.label)
    return inspection, True


def shipment_named(country_code: str, data: InspectionData, *, described: bool) -> int | None:
    """The recorded shipment an inspection of a shipment names (its id, or its declaration number in the
    country), or None for goods with no declaration recorded (``described`` in ``shipment_ref``).

    :raise ValidationFailed: ``unknown_shipment`` (none in the country), ``required`` (nothing given).
    """
    if data.shipment_id not in (None, ""):
        record = number(data.shipment_id, "shipment_id", low=Decimal(1), high=Decimal(2**31 - 1), required=True)
        shipment = db.session.get(Shipment, int(record)) if record == record.to_integral_value() else None
        if shipment is None or shipment.country_code != country_code:
            raise bad("shipment_id", _("No shipment with this number in this country."), "unknown_shipment")
        return shipment.id
    declaration = text(data.shipment_declaration, "shipment_declaration", 64, required=not described)
    if declaration is None:
        return None
    shipment = db.session.scalar(sa.select(Shipment).where(Shipment.country_code == country_code,
                                                           Shipment.declaration_number == declaration))
    if shipment is None:
        raise bad("shipment_declaration", _("No shipment with this customs declaration number in this country."),
                  "unknown_shipment")
    return shipment.id


def get(actor: Actor, inspection_id: int) -> Inspection:
    """:raise NotFound: none, or the actor may not read it (an other country's inspector: same answer)."""
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None or not access.can_read(actor, inspection.country_code):
        raise NotFound()
    return inspection


# --- certificates checked --------------------------------------------------------------------


def check_certificate(actor: Actor, inspection: Inspection, cid: str, *, scan_id: int | None = None,
                      number: str = "", note: str = "") -> tuple[CertificateCheck, bool]:
    """Link a certificate check: one of the inspector's own scan log entries (``scan_id``), or a number
    read off a card that could not be scanned (verdict ``not_checked``)."""
    actor.require(access.can_write(actor, inspection.country_code))
    cid = client_id(cid)
    found = existing(CertificateCheck, cid, inspection)
    if found is not None:
        return found, False
    if scan_id is not None:
        scan = db.session.get(CertificateScan, scan_id)
        if scan is None or (not actor.is_system and scan.inspector_user_id != actor.user_id):
            raise bad("scan_id", _("No check of yours with this number."), "unknown_scan")
        values = {"scan_id": scan.id, "number": scan.number or "?", "verdict": scan.verdict.value}
    else:
        values = {"number": text(number, "number", 32, required=True), "verdict": "not_checked"}
    check = CertificateCheck(client_id=cid, inspection_id=inspection.id, note=text(note, "note", TEXT_MAX),
                             **values)
    db.session.add(check)
    db.session.flush()
    return check, True


# --- cylinders checked, with an identifier reading ---------------------------------------------


@dataclass
class CylinderCheckData:
    client_id: str
    label_substance: str
    label_serial: str = ""
    origin_country: str = ""
    net_kg: Any = None
    instrument_model: str = ""
    instrument_serial: str = ""
    calibration_date: Any = None
    r12_percent: Any = None
    r22_percent: Any = None
    r134a_percent: Any = None
    hydrocarbons_percent: Any = None
    air_percent: Any = None
    instrument_verdict: str = ""


PERCENT_FIELDS = ("r12_percent", "r22_percent", "r134a_percent", "hydrocarbons_percent", "air_percent")


def find_cylinder(serial: str) -> Cylinder | None:
    """The registered cylinder with this national serial, in any country of the installation."""
    try:
        parsed = numbers.parse_serial(serial)
    except ValueError:
        return None
    return db.session.scalar(sa.select(Cylinder).where(Cylinder.serial == parsed))


def holder_of_finding(inspection: Inspection, cylinder: Cylinder | None) -> tuple[HolderKind, int] | None:
    """Whom a mismatch or seizure is held against: the inspection's subject (a recorded shipment's importer),
    else the cylinder's custodian."""
    if inspection.company_id is not None:
        return HolderKind.COMPANY, inspection.company_id
    if inspection.technician_id is not None:
        return HolderKind.TECHNICIAN, inspection.technician_id
    if inspection.shipment_id is not None:
        return HolderKind.COMPANY, db.session.get_one(Shipment, inspection.shipment_id).importer_id
    if cylinder is not None and cylinder.custodian_company_id is not None:
        return HolderKind.COMPANY, cylinder.custodian_company_id
    if cylinder is not None and cylinder.custodian_technician_id is not None:
        return HolderKind.TECHNICIAN, cylinder.custodian_technician_id
    return None


def ensure_logbook(kind: HolderKind, holder_id: int) -> None:
    """A finding is listed against the holder's logbook: make sure it has one."""
    logbook_for(holder(kind, holder_id), create=True)


def check_cylinder(actor: Actor, inspection: Inspection, data: CylinderCheckData) -> tuple[CylinderCheck, bool]:
    """Record a cylinder as found (label read, the register's answer) and, if taken, its identifier reading
    with certreg's verdict. A mismatch marks a registered cylinder suspect and is listed as an anomaly
    against the holder (:mod:`certreg.inspections.findings`)."""
    actor.require(access.can_write(actor, inspection.country_code))
    cid = client_id(data.client_id)
    found = existing(CylinderCheck, cid, inspection)
    if found is not None:
        return found, False
    declared = substances.resolve(text(data.label_substance, "label_substance", 64, required=True) or "",
                                  field="label_substance")
    serial = text(data.label_serial, "label_serial", 64)
    cylinder = find_cylinder(serial) if serial else None
    if cylinder is None:
        answer, register_substance = "unknown", None
    elif cylinder.substance_code and cylinder.substance_code != declared.code:
        answer, register_substance = "substance_differs", cylinder.substance_code
    else:
        answer, register_substance = "registered", cylinder.substance_code
    origin = text(data.origin_country, "origin_country", 2)
    values: dict[str, Any] = {
        "client_id": cid, "inspection_id": inspection.id, "cylinder_id": cylinder.id if cylinder else None,
        "label_serial": serial, "label_substance": declared.code, "register_answer": answer,
        "register_substance": register_substance,
        "origin_country": country_codes.country_code(origin, "origin_country") if origin else None,
        "net_kg": number(data.net_kg, "net_kg", low=Decimal(0), high=Decimal(100000)),
    }
    percents = {name: number(getattr(data, name), name, low=Decimal(0), high=Decimal(100)) for name in PERCENT_FIELDS}
    model = text(data.instrument_model, "instrument_model", 120)
    if any(v is not None for v in percents.values()) or model:
        if not model:
            raise bad("instrument_model", _("Name the identifier that took the reading."), "instrument_required")
        reading = readings.Reading(*(percents[name] for name in PERCENT_FIELDS))
        if reading.refrigerant_total() > Decimal("100.5"):
            raise bad("r134a_percent", _("The refrigerant readings add up to more than 100 %."),
                      "readings_over_100")
        assessment = readings.assess(declared.code, reading)
        values.update(percents, instrument_model=model,
                      instrument_serial=text(data.instrument_serial, "instrument_serial", 64, required=True),
                      calibration_date=day(data.calibration_date, "calibration_date"),
                      instrument_verdict=text(data.instrument_verdict, "instrument_verdict", 64),
                      verdict=assessment.verdict, found_substance=assessment.found_substance)
    check = CylinderCheck(**values)
    db.session.add(check)
    db.session.flush()
    if check.verdict is ReadingVerdict.MISMATCH:
        if cylinder is not None:
            cylinder_findings.mark_suspect(actor, cylinder, _(
                "Inspection %(id)s: the identifier read %(found)s, the label says %(label)s.", id=inspection.id,
                found=check.found_substance, label=declared.code))
        owner = holder_of_finding(inspection, cylinder)
        if owner is not None:
            ensure_logbook(*owner)
    audit.record(actor, "inspection.cylinder", inspection, country_code=inspection.country_code,
                 summary=audit.msg("Inspection %(id)s: cylinder checked", id=inspection.id),
                 after={"client_id": cid, "serial": serial, "label": declared.code,
                        "verdict": check.verdict.value if check.verdict else None})
    return check, True
