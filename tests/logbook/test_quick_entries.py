"""The quick charge or recovery recorded once per client-made id (issue 14: the technicians' offline queue):
the API's PUT /quick-entries/<id> and the phone's sync answer 201 the first time, 200 with the same entry
again (nothing written), 409 ``client_id_conflict`` for another entry under the id; every rule is checked
again and a refusal writes nothing. Every API response is validated against the OpenAPI document."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.extensions import db
from certreg.logbook import equipment as eq
from certreg.logbook import quick_entries, recording
from certreg.logbook.models import Entry, EntryKind, Intervention
from tests import factories
from tests.conftest import count_rows, login, post_form
from tests.logbook.conftest import TODAY, certify, entry_data, stock


@pytest.fixture
def freezer(people):
    certify(people.tech_record, ("A1",), valid_from=TODAY - timedelta(days=500))
    recording.record_entry(people.tech_actor, people.technician, entry_data(
        "purchase", substance="R-404A", quantity=Decimal("30")))
    unit = eq.register(people.tech_actor, people.technician, eq.EquipmentData(
        owner_kind="company", owner_name="Narodny 12", site_address="Bishkek", kind="commercial_refrigeration",
        substance="R-404A", nominal_charge=Decimal("10")))
    db.session.commit()
    return unit


@pytest.fixture
def tech_api(api, people):
    api.token = factories.make_token(people.tech_user)
    return api


def charge(unit, **overrides):
    return {"equipment": unit.code, "kind": "charge", "quantity": "2.5", "condition": "virgin",
            "operation_date": TODAY.isoformat(), "cylinders": ["CYL-1"], "note": None, **overrides}


def put(api, cid, body, **kw):
    return api.open("PUT", f"/quick-entries/{cid}", json=body, **kw)


def entries() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Entry))


def test_the_same_client_id_records_once(tech_api, people, freezer):
    cid = str(uuid.uuid4())
    before = entries()
    first = put(tech_api, cid, charge(freezer))
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["client_id"] == cid and body["equipment"] == freezer.code and body["kind"] == "charge"
    assert [(e["kind"], e["quantity"], e["channel"]) for e in body["entries"]] == [("charge", "2.500", "api")]
    again = put(tech_api, cid.upper(), charge(freezer, quantity=2.5))  # same entry
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == body["id"] and again.get_json()["entries"] == body["entries"]
    assert entries() == before + 1
    assert stock(people.technician, "R-404A") == Decimal("27.5")


def test_another_entry_under_the_same_id_is_a_conflict(tech_api, people, freezer):
    cid = str(uuid.uuid4())
    assert put(tech_api, cid, charge(freezer)).status_code == 201
    other = factories.make_technician(country_code="KG")
    other_token = factories.make_token(factories.make_user("technician", "KG", technician=other))
    counts = count_rows(Entry, Intervention)
    for changed in ({"quantity": "3"}, {"kind": "recovery", "condition": None}, {"cylinders": []}):
        answer = put(tech_api, cid, charge(freezer, **changed))
        assert answer.status_code == 409, answer.get_json()
        assert answer.get_json()["error"]["code"] == "client_id_conflict"
    # another technician cannot take over the id either
    answer = put(tech_api, cid, charge(freezer), token=other_token)
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "client_id_conflict"
    assert count_rows(Entry, Intervention) == counts


def test_every_rule_is_checked_and_a_refusal_writes_nothing(tech_api, people, freezer):
    counts = count_rows(Entry, Intervention)
    cid = str(uuid.uuid4())
    too_much = put(tech_api, cid, charge(freezer, quantity="31"))
    assert too_much.status_code == 422 and too_much.get_json()["error"]["code"] == "insufficient_stock"
    unknown = put(tech_api, uuid.uuid4(), charge(freezer, equipment="KG-E-000000-0"))
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["fields"]["equipment"][0]["code"] == "unknown_equipment"
    bad_id = put(tech_api, "not-a-uuid", charge(freezer))
    assert bad_id.status_code == 422 and bad_id.get_json()["error"]["code"] == "invalid_client_id"
    bad_kind = put(tech_api, uuid.uuid4(), charge(freezer, kind="leak_check"))
    assert bad_kind.status_code == 422
    assert count_rows(Entry, Intervention) == counts
    # the refused id is free: the corrected entry is recorded under it
    fixed = put(tech_api, cid, charge(freezer, quantity="3"))
    assert fixed.status_code == 201


def test_an_uncertified_technician_is_refused(tech_api, people, freezer):
    kz = factories.make_technician(country_code="KG")
    user = factories.make_user("technician", "KG", technician=kz)
    answer = put(tech_api, uuid.uuid4(), charge(freezer, kind="recovery", condition=None),
                          token=factories.make_token(user))
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "technician_not_certified"
    officials = put(tech_api, uuid.uuid4(), charge(freezer),
                             token=factories.make_token(factories.make_user("inspector", "KG")))
    assert officials.status_code == 403


def test_a_recovery_goes_into_recovered_stock(tech_api, people, freezer):
    answer = put(tech_api, uuid.uuid4(), charge(freezer, kind="recovery", quantity="1.2",
                                                                         condition=None))
    assert answer.status_code == 201, answer.get_json()
    assert [e["condition"] for e in answer.get_json()["entries"]] == ["recovered"]
    assert stock(people.technician, "R-404A", "recovered") == Decimal("1.2")


def test_the_phone_sync_and_the_page_record_once(app, client, people, freezer):
    login(client, people.tech_user)
    token = client.get("/logbook/quick/sync/token").get_json()["csrf_token"]
    cid = str(uuid.uuid4())
    headers = {"X-CSRFToken": token}
    first = client.put(f"/logbook/quick/sync/{cid}", json=charge(freezer), headers=headers)
    assert first.status_code == 201, first.get_json()
    again = client.put(f"/logbook/quick/sync/{cid}", json=charge(freezer), headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    conflict = client.put(f"/logbook/quick/sync/{cid}", json=charge(freezer, quantity="1"), headers=headers)
    assert conflict.status_code == 409 and conflict.get_json()["error"]["code"] == "client_id_conflict"
    refused = client.put(f"/logbook/quick/sync/{uuid.uuid4()}", json=charge(freezer, quantity="99"), headers=headers)
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "insufficient_stock"
    unknown_field = client.put(f"/logbook/quick/sync/{uuid.uuid4()}", json={**charge(freezer), "x": 1},
                               headers=headers)
    assert unknown_field.status_code == 422
    assert unknown_field.get_json()["error"]["fields"]["x"][0]["code"] == "unknown_field"
    interventions = db.session.scalars(sa.select(Intervention).where(Intervention.client_id == cid)).all()
    assert len(interventions) == 1 and [e.kind for e in interventions[0].entries] == [EntryKind.CHARGE]


def test_the_digest_ignores_how_the_entry_was_typed(freezer):
    one = quick_entries.QuickEntryData(equipment=freezer.code, kind="charge", quantity=Decimal("2.50"),
                                       operation_date=TODAY, condition=None, note=" ")
    other = quick_entries.QuickEntryData(equipment=freezer.code.lower().replace("-", " "), kind="charge",
                                         quantity=Decimal("2.5"), operation_date=TODAY, condition="virgin")
    assert quick_entries.digest(one) == quick_entries.digest(other)
    assert quick_entries.digest(one) != quick_entries.digest(
        quick_entries.QuickEntryData(equipment=freezer.code, kind="charge", quantity=Decimal("2.51"),
                                     operation_date=TODAY))


def test_the_page_form_sent_twice_records_once(client, people, freezer):
    login(client, people.tech_user)
    page = client.get(f"/logbook/quick?equipment={freezer.code}").get_data(as_text=True)
    cid = re.search(r'name="client_id" type="hidden" value="([0-9a-f-]{36})"', page).group(1)
    form = {"equipment": freezer.code, "kind": "charge", "quantity": "1.5", "condition": "virgin",
            "operation_date": TODAY.isoformat(), "client_id": cid}
    before = entries()
    for _ in range(2):
        answer = post_form(client, "/logbook/quick", form, page=f"/logbook/quick?equipment={freezer.code}")
        assert answer.status_code == 302
    assert entries() == before + 1
    assert stock(people.technician, "R-404A") == Decimal("28.5")
    other = dict(form, quantity="2")  # the same form changed and sent again: refused on the page
    answer = post_form(client, "/logbook/quick", other, page=f"/logbook/quick?equipment={freezer.code}")
    assert answer.status_code == 422 and "already used for another entry" in answer.get_data(as_text=True)
    assert entries() == before + 1
