"""The demo inspections load once and the border inspection names its recorded shipment; the illegal trade
export of the demo matches the seizures recorded, in the Ozone Secretariat's column order (issue 14 acceptance 5)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders.models import Cylinder
from certreg.demo import data
from certreg.demo import shipments as demo_shipments
from certreg.demo.inspections import load_inspections
from certreg.extensions import db
from certreg.inspections import seizures, trade_report
from certreg.inspections.findings import holder_findings
from certreg.inspections.models import CylinderCheck, Inspection, ReadingVerdict, SeizedGoods, Seizure, SubjectKind
from certreg.shipments.models import ShipmentStatus
from certreg.vocabulary import HolderKind, Role
from tests.conftest import login
from tests.factories import ensure_keys, make_user


def load(*, shipments: bool = True):
    ensure_keys("KG", "KZ", "UZ")
    data.load_registry()
    data.load_cylinders()
    if shipments:  # as load_all: the shipments before the inspections, which name one
        data.load_certificates()
        data.load_logbook()
        demo_shipments.load()
    return load_inspections()


def test_demo_inspections_load_once_and_show_the_story():
    assert load() >= 3
    assert load_inspections() == 0
    market = db.session.scalar(sa.select(Inspection).where(Inspection.country_code == "KG"))
    mismatch = next(c for c in market.cylinders if c.verdict is ReadingVerdict.MISMATCH)
    assert (mismatch.label_substance, mismatch.found_substance) == ("HFC-134a", "CFC-12")
    assert db.session.get(Cylinder, mismatch.cylinder_id).suspect
    khorgos = db.session.scalar(sa.select(Inspection).where(Inspection.country_code == "KZ"))
    seizure = khorgos.seizure
    assert khorgos.border_post.code == "KHORGOS" and len(seizure.handovers) == 2 and len(seizure.case_events) == 3
    assert seizures.verify_chain(seizure)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CylinderCheck)) == 4


def test_the_border_inspection_names_the_recorded_shipment_it_stopped(client):
    load()
    khorgos = db.session.scalar(sa.select(Inspection).where(Inspection.country_code == "KZ"))
    shipment = khorgos.shipment
    assert khorgos.subject_kind is SubjectKind.SHIPMENT and shipment is not None
    assert shipment.declaration_number == demo_shipments.KHORGOS_DECLARATION
    assert (shipment.country_code, shipment.substance_code, shipment.cylinder_count) == ("KZ", "HFC-134a", 2)
    assert shipment.importer.registration_number == "150240098765" and shipment.status is ShipmentStatus.SEIZED
    assert [g.substance_code for g in khorgos.seizure.goods] == ["CFC-12"]  # declared HFC-134a, found CFC-12
    # the seizure is held against the shipment's importer (the ministry's anomaly list)
    [finding] = holder_findings("KZ", khorgos.started_at.date(), khorgos.started_at.date())
    assert (finding.holder_kind, finding.holder_id, finding.seizures) == (HolderKind.COMPANY, shipment.importer_id, 1)
    login(client, make_user(Role.INSPECTOR, "KZ"))
    page = client.get(f"/inspections/{khorgos.id}")
    assert page.status_code == 200
    assert (f'<a href="/shipments/{shipment.id}" id="inspected-shipment">customs declaration '
            f'{demo_shipments.KHORGOS_DECLARATION}</a>') in page.text


def test_without_the_shipments_the_border_inspection_names_the_importer():
    """A database whose shipments an older demo loaded (or none): the inspection still loads, of the company."""
    load(shipments=False)
    khorgos = db.session.scalar(sa.select(Inspection).where(Inspection.country_code == "KZ"))
    assert khorgos.subject_kind is SubjectKind.COMPANY and khorgos.shipment_id is None
    assert khorgos.company.registration_number == "150240098765"


def test_illegal_trade_export_of_the_demo_matches_the_seizures():
    load()
    rows = list(csv.reader(io.StringIO(trade_report.csv_text(Actor.system("test"), "KZ"))))
    assert rows[0] == ["Party", "Date of seizure", "Substances", "Quantity (kg)", "Importing country",
                       "Exporting country", "Details", "Action taken", "Remarks"]
    recorded = db.session.execute(
        sa.select(Seizure.seized_on, SeizedGoods.substance_code, SeizedGoods.kg, Inspection.foreign_country)
        .join(Seizure, Seizure.id == SeizedGoods.seizure_id).join(Inspection, Inspection.id == Seizure.inspection_id)
        .where(Inspection.country_code == "KZ")).all()
    assert [(r[1], r[2], Decimal(r[3]), r[4], r[5]) for r in rows[1:]] == [
        (on.isoformat(), code, kg, "KZ", exporter) for on, code, kg, exporter in recorded]
    assert rows[1][2:4] == ["CFC-12", "27.200"] and rows[1][7] == "seizure, destruction"
    assert "fine 1150000.00 KZT" in rows[1][8]
