"""Demo inspections (issue 14): the focal point directories, a market inspection in Bishkek whose identifier
reads CFC-12 in a registered cylinder labelled R-134a, and a seizure at Khorgos (of a recorded shipment) with its
custody chain and case.
Idempotent: every record has a fixed client id, so loading again changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.auth.models import User
from certreg.cylinders.models import Cylinder
from certreg.db import utcnow
from certreg.demo import shipments as demo_shipments
from certreg.extensions import db
from certreg.focalpoints import services as focalpoints
from certreg.focalpoints.models import FocalPoint
from certreg.inspections import records, seizures
from certreg.inspections.models import Decision, Inspection
from certreg.registry.models import Country
from certreg.shipments.models import Shipment

ACTOR = Actor.system("demo")
FOCAL_POINTS = [
    # country, kind, code, name, post, contact, languages, phone, email, hours, neighbour
    ("KG", "ozone_unit", "NOU", "Ozone Centre, Ministry of Natural Resources", "Head of the ozone centre",
     "A. Bekova", "ky, ru, en", "+996 312 000 100", "ozone@example.kg", "Mon-Fri 09:00-18:00", ""),
    ("KG", "customs", "CUSTOMS", "State Customs Service, enforcement department", "Focal point for ODS",
     "T. Usenov", "ky, ru", "+996 312 000 200", "customs-ods@example.kg", "Mon-Fri 09:00-18:00", ""),
    ("KG", "border_post", "TORUGART", "Torugart border post", "Shift supervisor", "", "ky, ru, zh",
     "+996 3534 000 300", "", "08:00-20:00", "CN"),
    ("KZ", "ozone_unit", "NOU", "Ozone Centre, Ministry of Ecology", "Head of the ozone centre", "G. Sadykova",
     "kk, ru, en", "+7 7172 000 100", "ozone@example.kz", "Mon-Fri 09:00-18:30", ""),
    ("KZ", "customs", "CUSTOMS", "State Revenue Committee, customs control", "Focal point for ODS",
     "E. Nurlanov", "kk, ru", "+7 7172 000 200", "customs-ods@example.kz", "Mon-Fri 09:00-18:30", ""),
    ("KZ", "border_post", "KHORGOS", "Nur Zholy (Khorgos) border post", "Shift supervisor", "", "kk, ru, zh",
     "+7 72831 000 300", "", "24/7", "CN"),
    ("KZ", "border_post", "DOSTYK", "Dostyk rail border post", "Shift supervisor", "", "kk, ru, zh",
     "+7 72833 000 400", "", "24/7", "CN"),
    ("UZ", "ozone_unit", "NOU", "Ozone unit, Ministry of Ecology", "National ozone officer", "D. Karimov",
     "uz, ru, en", "+998 71 000 0100", "ozone@example.uz", "Mon-Fri 09:00-18:00", ""),
]
NAMESPACE = uuid.UUID("5f0c7e1e-6c55-4d1f-9d55-1d8f0e0a1400")


def cid(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


def _user(email: str) -> Actor | None:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    return Actor.of(user) if user is not None else None


def load_focal_points() -> int:
    created = 0
    for country, kind, code, name, post, contact, languages, phone, email, hours, neighbour in FOCAL_POINTS:
        if db.session.get(Country, country) is None:
            continue
        exists = db.session.scalar(sa.select(FocalPoint.id).where(FocalPoint.country_code == country,
                                                                  FocalPoint.code == code))
        if exists is None:
            focalpoints.save(ACTOR, country, focalpoints.FocalPointData(
                kind=kind, code=code, name=name, post=post, contact_name=contact, languages=languages, phone=phone,
                email=email, hours=hours, neighbour_country=neighbour))
            created += 1
    return created


def _reading(name: str, serial: str = "", **values) -> records.CylinderCheckData:
    base = {"label_substance": "HFC-134a", "instrument_model": "Neutronics Ultima ID", "instrument_serial": "UID-2291",
            "calibration_date": (utcnow() - timedelta(days=45)).date().isoformat(), "r12_percent": "98.7",
            "r22_percent": "0.6", "r134a_percent": "0.7", "hydrocarbons_percent": "0.0", "air_percent": "1.4",
            "instrument_verdict": "R-12 98.7 %, PASS"}
    base.update(values)
    return records.CylinderCheckData(client_id=cid(name), label_serial=serial, **base)


def load_market(now) -> int:
    inspector = _user("inspector@kg.example.org")
    if inspector is None:
        return 0
    if db.session.scalar(sa.select(Inspection.id).where(Inspection.client_id == cid("market"))):
        return 0
    inspection, _ = records.start(inspector, "KG", records.InspectionData(
        client_id=cid("market"), started_at=now - timedelta(days=6, hours=3), place_kind="market_stall",
        place="Dordoi bazaar, container row 14, stall 7", officers="B. Asanov (inspector); T. Usenov (customs)",
        subject_kind="company", company_registration="01811201510456",
        notes="Stall sells refrigerants in disposable cylinders; seller showed invoices of Ala-Too Refrigeration."))
    cylinder = db.session.scalar(sa.select(Cylinder).where(Cylinder.stamp_number == "DEMO-01811201510456-R134A-1"))
    records.check_cylinder(inspector, inspection, _reading("market-1", cylinder.serial if cylinder else "",
                                                           origin_country="CN", net_kg="13.6"))
    records.check_cylinder(inspector, inspection, _reading(
        "market-2", label_substance="HCFC-22", r12_percent="0", r22_percent="99.3", r134a_percent="0.4",
        air_percent="0.8", instrument_verdict="R-22 99.3 %, PASS", net_kg="13.6"))
    seizures.decide(inspector, inspection, seizures.DecisionData(
        decision=Decision.HOLD.value, note="Cylinder held pending the importer's explanation of its contents."))
    return 1


def load_khorgos(now) -> int:
    inspector = _user("inspector@kz.example.org")
    if inspector is None or focalpoints.border_post("KZ", "KHORGOS") is None:
        return 0
    if db.session.scalar(sa.select(Inspection.id).where(Inspection.client_id == cid("khorgos"))):
        return 0
    started = now - timedelta(days=3, hours=5)
    # The truck's recorded shipment (certreg.demo.shipments, loaded before); a database whose shipments were
    # loaded by an older demo has none: the importing company is inspected then, as before.
    recorded = db.session.scalar(sa.select(Shipment.id).where(
        Shipment.country_code == "KZ", Shipment.declaration_number == demo_shipments.KHORGOS_DECLARATION))
    subject = ({"subject_kind": "shipment", "shipment_id": recorded} if recorded is not None
               else {"subject_kind": "company", "company_registration": "150240098765"})
    inspection, _ = records.start(inspector, "KZ", records.InspectionData(
        client_id=cid("khorgos"), started_at=started, place_kind="border_post", border_post="KHORGOS",
        vehicle_number="Truck 777 ABX 05, container MSKU 1234565", officers="S. Abenov (customs); A. Nurlanova (NOU)",
        foreign_country="CN", notes="Declared as HFC-134a for car air conditioning, 2 cylinders of 13.6 kg.",
        **subject))
    for n in (1, 2):
        records.check_cylinder(inspector, inspection, _reading(f"khorgos-{n}", origin_country="CN", net_kg="13.6"))
    seizures.decide(inspector, inspection, seizures.DecisionData(
        decision=Decision.SEIZURE.value, note="CFC-12 declared as HFC-134a: import of a phased-out substance.",
        storage_place="Khorgos customs temporary storage warehouse, bay 3",
        seized_on=started.date().isoformat(), goods=[seizures.GoodsData("CFC-12", "27.2", 2)]))
    for n, (source, target, place, hours) in enumerate([
            ("S. Abenov (customs)", "Warehouse keeper, Khorgos customs store", "Khorgos", 2),
            ("Warehouse keeper, Khorgos customs store", "ODS destruction facility, Almaty", "Almaty", 60)]):
        seizures.hand_over(inspector, inspection, seizures.HandoverData(
            client_id=cid(f"khorgos-custody-{n}"), handed_at=started + timedelta(hours=hours), from_party=source,
            to_party=target, place=place))
    for n, (kind, days, extra) in enumerate([
            ("fine", 1, {"amount": "1150000", "currency": "KZT", "reference": "AP-2026-0815"}),
            ("court_decision", 2, {"reference": "Zharkent district court 2-815/2026",
                                   "text": "Confiscation and destruction ordered."}),
            ("disposal", 3, {"disposal": "destruction", "reference": "Destruction certificate D-2026-31"})]):
        seizures.record_case_event(inspector, inspection, seizures.CaseData(
            client_id=cid(f"khorgos-case-{n}"), kind=kind,
            happened_on=(started + timedelta(days=days)).date().isoformat(), **extra))
    return 1


def load_inspections() -> int:
    now = utcnow()
    return load_focal_points() + load_market(now) + load_khorgos(now)
