"""Inspections through the services: idempotent records, readings, mismatch and seizure consequences."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.cylinders import scanning
from certreg.cylinders.models import CylinderStatus
from certreg.errors import Conflict, Forbidden, ValidationFailed
from certreg.extensions import db
from certreg.inspections import records, seizures
from certreg.inspections.models import Decision, Inspection, ReadingVerdict
from certreg.logbook.models import Balance, Entry, EntryKind, Logbook
from certreg.reports import anomalies
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyKind
from tests.cylinders.builders import make_cylinder
from tests.factories import make_company
from tests.inspections.builders import (
    border_post,
    inspector,
    mismatch,
    new_id,
    recorded_shipment,
    start,
    stock,
)


def test_the_same_client_id_records_once():
    actor = inspector()
    cid = new_id()
    first = start(actor, client_id=cid)
    again = start(actor, client_id=cid, place="somewhere else")
    assert again.id == first.id and again.place == first.place
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)
                             .where(Inspection.client_id == cid)) == 1
    check = mismatch(actor, first)
    assert mismatch(actor, first, client_id=check.client_id).id == check.id
    other = start(actor)
    with pytest.raises(Conflict) as caught:
        mismatch(actor, other, client_id=check.client_id)
    assert caught.value.code == "client_id_conflict"


@pytest.mark.parametrize(("overrides", "field", "code"), [
    ({"client_id": "not-a-uuid"}, "client_id", "invalid_client_id"),
    ({"place_kind": "border_post", "border_post": "NOWHERE"}, "border_post", "unknown_border_post"),
    ({"place_kind": "moon"}, "place_kind", "invalid_choice"),
    ({"officers": " "}, "officers", "required"),
    ({"started_at": "2999-01-01T00:00:00"}, "started_at", "invalid_date"),
    ({"subject_kind": "company", "company_registration": "NO-SUCH"}, "company_registration", "unknown_company"),
])
def test_refused_inspections_name_the_field(overrides, field, code):
    with pytest.raises(ValidationFailed) as caught:
        start(inspector(), **overrides)
    assert caught.value.code == code and field in caught.value.fields


def test_an_inspected_shipment_is_a_recorded_one():
    shipment = recorded_shipment("DT-KZ-0815")
    actor = inspector("KZ")
    by_number = start(actor, subject_kind="shipment", shipment_declaration=" DT-KZ-0815 ", person_details="")
    assert by_number.shipment_id == shipment.id and by_number.shipment_ref is None
    by_id = start(actor, subject_kind="shipment", shipment_id=str(shipment.id), person_details="")
    assert by_id.shipment_id == shipment.id
    # goods found with no declaration recorded: described, no shipment named
    undeclared = start(actor, subject_kind="shipment", shipment_ref="Van, 6 cylinders, no papers", person_details="")
    assert undeclared.shipment_id is None and undeclared.shipment_ref == "Van, 6 cylinders, no papers"


@pytest.mark.parametrize(("overrides", "field", "code"), [
    ({"shipment_declaration": "DT-NO-SUCH"}, "shipment_declaration", "unknown_shipment"),
    ({"shipment_declaration": "DT-NO-SUCH", "shipment_ref": "described too"}, "shipment_declaration",
     "unknown_shipment"),
    ({}, "shipment_declaration", "required"),
    ({"shipment_id": "99999999"}, "shipment_id", "unknown_shipment"),
    ({"shipment_id": "abc"}, "shipment_id", "invalid_number"),
])
def test_an_unknown_shipment_is_refused_on_its_field(overrides, field, code):
    recorded_shipment("DT-KZ-0815")
    with pytest.raises(ValidationFailed) as caught:
        start(inspector("KZ"), subject_kind="shipment", person_details="", **overrides)
    assert caught.value.code == code and field in caught.value.fields


def test_another_countrys_shipment_is_unknown():
    shipment = recorded_shipment("DT-KZ-0815")  # KZ's
    for overrides, field in (({"shipment_declaration": "DT-KZ-0815"}, "shipment_declaration"),
                             ({"shipment_id": shipment.id}, "shipment_id")):
        with pytest.raises(ValidationFailed) as caught:
            start(inspector("KG"), subject_kind="shipment", person_details="", **overrides)
        assert caught.value.code == "unknown_shipment" and field in caught.value.fields


def test_only_the_countrys_inspectors_write():
    with pytest.raises(Forbidden):
        start(inspector("KZ"), country_code="KG")  # an inspector of KZ recording for KG
    actor = inspector("KZ")
    post = border_post("KZ")
    inspection = start(actor, place_kind="border_post", border_post=post.code.lower(), place="")
    assert inspection.border_post_id == post.id and inspection.country_code == "KZ"


def test_a_mismatch_marks_the_cylinder_suspect_and_raises_an_anomaly():
    company = make_company(country_code="KG", activities=["importer", "dealer"])
    cylinder = make_cylinder(company)
    actor = inspector()
    inspection = start(actor, company=company)
    check = mismatch(actor, inspection, serial=cylinder.serial)
    assert check.verdict is ReadingVerdict.MISMATCH and check.found_substance == "CFC-12"
    assert check.register_answer == "registered" and check.cylinder_id == cylinder.id
    assert cylinder.suspect
    assert any("Suspect" in w for w in scanning.warnings(scanning.assess(cylinder.token).claims, cylinder))
    today = inspection.started_at.date()
    found = anomalies.detect("KG", Period(today.replace(day=1), today), kinds=[AnomalyKind.INSPECTION_FINDING])
    logbook = db.session.scalar(sa.select(Logbook.id).where(Logbook.company_id == company.id))
    assert [(a.logbook_id, a.facts["mismatches"]) for a in found] == [(logbook, 1)]


def test_a_seizure_seizes_the_cylinders_and_takes_the_kilograms_out_of_the_books():
    company = make_company(country_code="KG", activities=["importer", "dealer"])
    stock(company, "HFC-134a", "30")
    cylinder = make_cylinder(company)
    actor = inspector()
    inspection = start(actor, company=company)
    seizures.decide(actor, inspection, seizures.DecisionData(
        decision="seizure", storage_place="Customs warehouse 2, Bishkek",
        goods=[seizures.GoodsData("HFC-134a", "12", 1, [cylinder.serial])]))
    assert inspection.decision is Decision.SEIZURE and cylinder.status is CylinderStatus.SEIZED
    goods = inspection.seizure.goods[0]
    entry = db.session.get(Entry, goods.entry_id)
    assert entry.kind is EntryKind.STOCK_COUNT and entry.quantity == Decimal("12")
    assert entry.recorded_by_label == actor.label and entry.leaf_hash
    balance = db.session.scalar(sa.select(Balance.quantity).where(Balance.logbook_id == entry.logbook_id,
                                                                  Balance.substance_code == "HFC-134a"))
    assert balance == Decimal("18")
    with pytest.raises(Conflict):
        seizures.decide(actor, inspection, seizures.DecisionData(decision="warning"))


def test_custody_chain_is_append_only_and_verifiable():
    actor = inspector()
    inspection = start(actor)
    seizures.decide(actor, inspection, seizures.DecisionData(
        decision="seizure", storage_place="Post store", goods=[seizures.GoodsData("CFC-12", "27.2", 2)]))
    for to in ("Customs warehouse", "Destruction facility"):
        seizures.hand_over(actor, inspection, seizures.HandoverData(
            client_id=new_id(), handed_at=inspection.started_at.isoformat(), from_party="Inspector",
            to_party=to, place="Bishkek"))
    seizure = seizures.seizure_of(inspection)
    assert seizures.verify_chain(seizure)
    seizure.handovers[0].to_party = "Somebody else"
    assert not seizures.verify_chain(seizure)


def test_case_records_fines_and_closes_with_the_disposal():
    actor = inspector()
    inspection = start(actor)
    seizures.decide(actor, inspection, seizures.DecisionData(
        decision="seizure", storage_place="Post store", goods=[seizures.GoodsData("CFC-12", "10")]))
    seizures.record_case_event(actor, inspection, seizures.CaseData(
        client_id=new_id(), kind="fine", happened_on="2026-12-01", amount="50000", currency="kgs"))
    seizures.record_case_event(actor, inspection, seizures.CaseData(
        client_id=new_id(), kind="disposal", happened_on="2026-12-02", disposal="destruction"))
    with pytest.raises(Conflict) as caught:
        seizures.record_case_event(actor, inspection, seizures.CaseData(
            client_id=new_id(), kind="court_decision", happened_on="2026-12-03"))
    assert caught.value.code == "case_closed"


def test_readings_that_add_up_to_more_than_100_are_refused():
    actor = inspector()
    with pytest.raises(ValidationFailed) as caught:
        mismatch(actor, start(actor), r134a_percent="60", air_percent="0")
    assert caught.value.code == "readings_over_100"
    with pytest.raises(ValidationFailed) as caught:
        mismatch(actor, start(actor), instrument_model="")
    assert caught.value.code == "instrument_required"
    assert records.client_id("A3F1C2D4-0000-4000-8000-000000000001") == "a3f1c2d4-0000-4000-8000-000000000001"


def test_a_mismatch_with_a_foreign_exporter_shows_the_counterpart_focal_points():
    from certreg.actors import Actor
    from certreg.focalpoints import services as focalpoints
    from certreg.inspections import queries

    focalpoints.save(Actor.system("test"), "KG", focalpoints.FocalPointData(
        kind="ozone_unit", code="NOU", name="Ozone Centre of Kyrgyzstan", phone="+996 312 000000"))
    actor = inspector("KZ")
    quiet = start(actor, foreign_country="KG")
    assert queries.counterparts(quiet) == {}  # nothing found: nobody to call
    mismatch(actor, quiet)
    found = queries.counterparts(quiet)
    assert list(found) == ["KG"] and [f.code for f in found["KG"]] == ["NOU"]
