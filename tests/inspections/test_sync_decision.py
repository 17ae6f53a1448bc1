"""The inspection's decision through the phone's offline queue (issue 14): a queued inspection carries its
decision (a seizure with its goods); the sync records it once (a repeated sync changes nothing, a decision
recorded online afterwards stands) and a refused decision refuses the whole queued inspection, nothing
written."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from certreg.audit.models import AuditEntry
from certreg.db import utcnow
from certreg.errors import Conflict, ValidationFailed
from certreg.extensions import db
from certreg.inspections import seizures, sync
from certreg.inspections.models import CaseEvent, CustodyHandover, Decision, Inspection, SeizedGoods, Seizure
from tests.conftest import count_rows
from tests.inspections.builders import border_post, inspector, new_id, recorded_shipment


def queued(decision=None, **inspection):
    body = {"inspection": {"started_at": (utcnow() - timedelta(minutes=30)).isoformat(), "place_kind": "border_post",
                           "border_post": "KHORGOS", "officers": "S. Abenov", "subject_kind": "shipment",
                           "shipment_ref": "TIR-CN-2026-0815", **inspection},
            "cylinders": [], "photos": []}
    if decision is not None:
        body["decision"] = decision
    return body


SEIZURE = {"decision": "seizure", "note": "CFC-12 under an R-134a label", "storage_place": "Khorgos customs store",
           "goods": [{"substance": "CFC-12", "kg": "13.6", "cylinders": "1", "serials": []}]}


def test_a_queued_seizure_is_recorded_once():
    border_post("KZ")
    officer = inspector("KZ")
    cid = new_id()
    inspection, created = sync.sync_inspection(officer, "KZ", cid, queued(SEIZURE))
    assert created and inspection.decision is Decision.SEIZURE
    counts = count_rows(Inspection, Seizure, SeizedGoods, AuditEntry)
    again, created = sync.sync_inspection(officer, "KZ", cid, queued(SEIZURE))
    assert not created and again.id == inspection.id
    assert count_rows(Inspection, Seizure, SeizedGoods, AuditEntry) == counts
    goods = db.session.scalars(sa.select(SeizedGoods)).all()
    assert [(g.substance_code, str(g.kg)) for g in goods] == [("CFC-12", "13.600")]


def test_a_decision_made_online_afterwards_stands():
    border_post("KZ")
    officer = inspector("KZ")
    cid = new_id()
    inspection, _created = sync.sync_inspection(officer, "KZ", cid, queued({"decision": "warning", "note": ""}))
    assert inspection.decision is Decision.WARNING
    seizures.decide(officer, inspection, seizures.DecisionData(decision="hold"))
    again, _created = sync.sync_inspection(officer, "KZ", cid, queued({"decision": "warning", "note": ""}))
    assert again.decision is Decision.HOLD
    undecided, _created = sync.sync_inspection(officer, "KZ", new_id(), queued({"decision": ""}))
    assert undecided.decision is None


@pytest.mark.parametrize(("decision", "code"), [
    ({**SEIZURE, "storage_place": ""}, "storage_required"),
    ({**SEIZURE, "goods": []}, "goods_required"),
    ({**SEIZURE, "goods": [{"substance": "CFC-12", "kg": "13.6", "serials": ["NO-SUCH-1"]}]}, "unknown_cylinder"),
    ({"decision": "confiscate"}, "invalid_choice"),
    ({**SEIZURE, "goods": "CFC-12"}, "invalid_type"),
])
def test_a_refused_decision_refuses_the_queued_inspection(decision, code):
    border_post("KZ")
    officer = inspector("KZ")
    db.session.commit()
    counts = count_rows(Inspection, Seizure, SeizedGoods)
    with pytest.raises(ValidationFailed) as info, db.session.begin_nested():
        sync.sync_inspection(officer, "KZ", new_id(), queued(decision))
    assert code in {info.value.code, *(e.code for errors in info.value.fields.values() for e in errors)}
    assert count_rows(Inspection, Seizure, SeizedGoods) == counts


def test_a_queued_declaration_number_is_checked_at_sync():
    border_post("KZ")
    shipment = recorded_shipment("DT-KZ-SYNC-1")
    officer = inspector("KZ")
    db.session.commit()
    inspection, created = sync.sync_inspection(officer, "KZ", new_id(), queued(
        SEIZURE, shipment_declaration="DT-KZ-SYNC-1", shipment_ref=""))
    assert created and inspection.shipment_id == shipment.id
    counts = count_rows(Inspection, Seizure, SeizedGoods)
    with pytest.raises(ValidationFailed) as info, db.session.begin_nested():
        sync.sync_inspection(officer, "KZ", new_id(), queued(SEIZURE, shipment_declaration="DT-KZ-TYPO"))
    assert info.value.code == "unknown_shipment" and "shipment_declaration" in info.value.fields
    assert count_rows(Inspection, Seizure, SeizedGoods) == counts


HANDOVER = {"handed_at": "2026-12-01 12:00", "from_party": "S. Abenov", "to_party": "Khorgos store keeper",
            "place": "Khorgos customs store"}
FINE = {"kind": "fine", "happened_on": "2026-12-01", "amount": "150000", "currency": "kzt"}


def test_queued_custody_and_case_steps_are_recorded_once():
    border_post("KZ")
    officer = inspector("KZ")
    cid, hand, fine = new_id(), new_id(), new_id()
    body = {**queued(SEIZURE), "custody": [{"client_id": hand, **HANDOVER}], "case": [{"client_id": fine, **FINE}]}
    inspection, created = sync.sync_inspection(officer, "KZ", cid, body)
    assert created
    seizure = db.session.scalar(sa.select(Seizure))
    assert [h.client_id for h in seizure.handovers] == [hand] and seizures.verify_chain(seizure)
    assert [(e.client_id, e.currency) for e in seizure.case_events] == [(fine, "KZT")]
    counts = count_rows(Inspection, Seizure, CustodyHandover, CaseEvent)
    sync.sync_inspection(officer, "KZ", cid, body)  # the same queued inspection again
    assert count_rows(Inspection, Seizure, CustodyHandover, CaseEvent) == counts
    # a later queued step for the same inspection (the queue sends it whole again, with one more step)
    later = {**body, "custody": [*body["custody"], {"client_id": new_id(), **HANDOVER, "to_party": "Court"}]}
    sync.sync_inspection(officer, "KZ", cid, later)
    db.session.expire_all()
    assert [h.to_party for h in db.session.scalar(sa.select(Seizure)).handovers] == ["Khorgos store keeper", "Court"]
    assert seizures.verify_chain(db.session.scalar(sa.select(Seizure)))


@pytest.mark.parametrize(("body", "code"), [
    ({**queued(), "custody": [{"client_id": new_id(), **HANDOVER}]}, "not_a_seizure"),  # nothing seized
    ({**queued(SEIZURE), "custody": [{"client_id": new_id(), **HANDOVER, "to_party": ""}]}, "required"),
    ({**queued(SEIZURE), "case": [{"client_id": new_id(), **FINE, "currency": "tenge"}]}, "too_long"),
    ({**queued(SEIZURE), "case": [{"client_id": new_id(), "kind": "disposal", "happened_on": "2026-12-02",
                                   "disposal": "destruction"},
                                  {"client_id": new_id(), **FINE}]}, "case_closed"),
    ({**queued(SEIZURE), "custody": "to the store"}, "invalid_type"),
])
def test_a_refused_step_refuses_the_queued_inspection(body, code):
    border_post("KZ")
    officer = inspector("KZ")
    db.session.commit()
    counts = count_rows(Inspection, Seizure, SeizedGoods, CustodyHandover, CaseEvent)
    with pytest.raises((ValidationFailed, Conflict)) as info, db.session.begin_nested():
        sync.sync_inspection(officer, "KZ", new_id(), body)
    fields = getattr(info.value, "fields", {})
    assert code in {info.value.code, *(e.code for errors in fields.values() for e in errors)}
    assert count_rows(Inspection, Seizure, SeizedGoods, CustodyHandover, CaseEvent) == counts
