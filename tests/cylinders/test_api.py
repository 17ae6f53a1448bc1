"""The cylinder API: register, look up by any serial, refused rules with their codes, the label check."""

from __future__ import annotations

import base64

from certreg.cylinders import labelling
from certreg.tokens import status_list as statuslist
from certreg.tokens.keys import TrustList
from certreg.vocabulary import Role
from tests.conftest import ApiClient
from tests.cylinders.builders import make_cylinder
from tests.factories import ensure_keys, make_company, make_token, make_user


def test_register_find_fill_charge_and_refusals(client, openapi):
    ensure_keys("KG")
    owner = make_company(country_code="KG")
    api = ApiClient(client, openapi, make_token(make_user(Role.ADMIN, "KG")))
    response = api.open("POST", "/cylinders", json={
        "owner_company_id": owner.id, "kind": "non_refillable", "water_capacity_l": 13.6, "tare_kg": 6.5,
        "stamp_number": "ZX-991", "substance": "HFC-134a", "net_kg": 13.6, "condition": "virgin"})
    assert response.status_code == 201, response.json
    serial = response.json["serial"]
    assert api.open("GET", "/cylinders/ZX-991").json["serial"] == serial  # found by the stamp number
    refused = api.open("POST", f"/cylinders/{serial}/fill", json={"substance": "HFC-134a", "net_kg": 1,
                                                                  "condition": "virgin"})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "non_refillable_refill"
    refused = api.open("POST", f"/cylinders/{serial}/charge", json={"net_kg": 13.601})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "contents_below_zero"
    charged = api.open("POST", f"/cylinders/{serial}/charge", json={"net_kg": 13.6})
    assert charged.status_code == 200 and charged.json["net_kg"] == "0.000" and charged.json["status"] == "empty"


def test_label_check_and_status_list(client, openapi):
    cylinder = make_cylinder()
    api = ApiClient(client, openapi)
    checked = api.open("GET", f"/cylinders/check/{cylinder.token}").json
    assert checked["verdict"] == "genuine" and checked["cylinder"]["serial"] == cylinder.serial
    assert api.open("GET", "/cylinders/check/AAAA").json["verdict"] == "forged"
    lists = api.open("GET", "/cylinders/status-list").json["status_lists"]
    trusted = TrustList.from_jwks(client.get("/.well-known/jwks.json").json)
    verified = statuslist.verify_status_list_token(lists["KG"], trusted, typ="certreg-label-statuslist+cwt")
    assert verified.status(cylinder.status_index) == statuslist.STATUS_VALID
    raw = base64.urlsafe_b64decode(lists["KG"] + "==")
    assert b"certreg-label-statuslist+cwt" in raw and labelling.LABEL_STATUS_LIST_TYP == "certreg-label-statuslist+cwt"


def test_one_cylinder_from_import_through_a_dealer_a_technician_recovery_and_destruction(client, openapi):
    """Four holders: importer -> dealer -> technician (charges) -> recovery cylinder -> destruction."""
    from tests.factories import make_technician

    ensure_keys("KG")
    importer, dealer = make_company(country_code="KG"), make_company(country_code="KG")
    technician = make_technician(country_code="KG")
    api = ApiClient(client, openapi, make_token(make_user(Role.ADMIN, "KG")))
    serial = api.open("POST", "/cylinders", json={
        "owner_company_id": importer.id, "kind": "refillable", "water_capacity_l": 13.6, "tare_kg": 6.5,
        "substance": "HFC-134a", "net_kg": 12, "condition": "virgin", "origin_country": "CN"}).json["serial"]
    assert api.open("POST", f"/cylinders/{serial}/transfer", json={"to_company_id": dealer.id,
                                                                    "sold_as": "virgin"}).status_code == 200
    held = api.open("POST", f"/cylinders/{serial}/transfer", json={"to_technician_id": technician.id}).json
    assert held["custodian_technician_id"] == technician.id and held["status"] == "with_technician"
    for kg in (5, 7):
        assert api.open("POST", f"/cylinders/{serial}/charge", json={"net_kg": kg}).status_code == 200
    recovery = api.open("POST", "/cylinders", json={
        "owner_company_id": dealer.id, "kind": "recovery", "water_capacity_l": 26.8, "tare_kg": 13}).json["serial"]
    refused = api.open("POST", f"/cylinders/{serial}/recover", json={"substance": "HFC-134a", "net_kg": 3,
                                                                      "condition": "recovered"})
    assert refused.json["error"]["code"] == "recovery_needs_recovery_cylinder"
    filled = api.open("POST", f"/cylinders/{recovery}/recover", json={"substance": "HFC-134a", "net_kg": 3,
                                                                       "condition": "recovered"}).json
    assert filled["net_kg"] == "3.000" and filled["condition"] == "recovered"
    refused = api.open("POST", f"/cylinders/{recovery}/transfer", json={"to_company_id": importer.id,
                                                                         "sold_as": "virgin"})
    assert refused.json["error"]["code"] == "recovered_as_virgin"
    destroyed = api.open("POST", f"/cylinders/{recovery}/destroy", json={"reference": "DC-2026-17"}).json
    assert destroyed["status"] == "destroyed" and destroyed["net_kg"] == "0.000"
    history = api.open("GET", f"/cylinders/{serial}").json["events"]
    assert [e["kind"] for e in history] == ["register", "fill", "transfer", "transfer", "charge", "charge"]
    assert history[-1]["net_kg_after"] == "0.000"
