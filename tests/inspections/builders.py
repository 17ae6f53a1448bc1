"""Inspections for tests, made through the services."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from certreg.actors import Actor
from certreg.db import today, utcnow
from certreg.focalpoints import services as focalpoints
from certreg.inspections import records
from certreg.logbook.drafts import EntryData
from certreg.logbook.holders import holder
from certreg.logbook.recording import record_entry
from certreg.registry.models import Company
from certreg.vocabulary import HolderKind, Role
from tests.factories import make_user
from tests.shipments.builders import expect, importer_with_licence

SYSTEM = Actor.system("test")


def new_id() -> str:
    return str(uuid.uuid4())


def inspector(country: str = "KG") -> Actor:
    return Actor.of(make_user(Role.INSPECTOR, country))


def border_post(country: str = "KZ", code: str = "KHORGOS"):
    found = focalpoints.border_post(country, code)
    return found or focalpoints.save(SYSTEM, country, focalpoints.FocalPointData(
        kind="border_post", code=code, name=f"{code.title()} border post", neighbour_country="CN",
        phone="+7 700 000 0000", hours="24/7", languages="kk, ru, zh"))


def stock(company: Company, substance: str = "CFC-12", kg: str = "50") -> None:
    """Give the company ``kg`` of virgin ``substance`` in its books (a stock count in)."""
    record_entry(SYSTEM, holder(HolderKind.COMPANY, company.id), EntryData(
        kind="stock_count", operation_date=today(), substance=substance, condition="virgin",
        counted_quantity=Decimal(kg), reason="opening stock"))


def start(actor: Actor, *, company: Company | None = None, country_code: str | None = None, **overrides):
    values = {"client_id": new_id(), "started_at": (utcnow() - timedelta(hours=1)).isoformat(),
              "place_kind": "market_stall", "place": "Dordoi market, row 4, stall 12", "officers": "A. Officer",
              "subject_kind": "company" if company else "unknown_person",
              "company_registration": company.registration_number if company else "",
              "person_details": "" if company else "Seller, about 40, no papers"}
    values.update(overrides)
    return records.start(actor, country_code or actor.country_code, records.InspectionData(**values))[0]


def mismatch(actor: Actor, inspection, serial: str = "", **overrides):
    values = {"client_id": new_id(), "label_substance": "HFC-134a", "label_serial": serial,
              "instrument_model": "Neutronics Ultima ID", "instrument_serial": "U-1234",
              "calibration_date": (today() - timedelta(days=30)).isoformat(), "r12_percent": "99.1",
              "r22_percent": "0.4", "r134a_percent": "0.5", "hydrocarbons_percent": "0", "air_percent": "1.2"}
    values.update(overrides)
    return records.check_cylinder(actor, inspection, records.CylinderCheckData(**values))[0]


def recorded_shipment(declaration: str = "DT-KZ-2026-0815"):
    """A shipment of HCFC-22 expected at the KZ border under ``declaration`` (the shipment tests' importer)."""
    company, _licence = importer_with_licence(f"KZ-IMP-{declaration}"[:60])
    return expect(company, declaration_number=declaration, import_licence=f"KZ-IMP-{declaration}"[:60])
