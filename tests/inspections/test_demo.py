"""The demo inspections load once; the illegal trade export of the demo matches the seizures recorded,
in the Ozone Secretariat's column order (issue 14 acceptance 5)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders.models import Cylinder
from certreg.demo import data
from certreg.demo.inspections import load_inspections
from certreg.extensions import db
from certreg.inspections import seizures, trade_report
from certreg.inspections.models import CylinderCheck, Inspection, ReadingVerdict, SeizedGoods, Seizure
from tests.factories import ensure_keys


def load():
    ensure_keys("KG", "KZ", "UZ")
    data.load_registry()
    data.load_cylinders()
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
