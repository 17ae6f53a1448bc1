"""Shipments and iPIC through the API (responses checked against the OpenAPI document by the ``api`` client)."""

from __future__ import annotations

from decimal import Decimal

from certreg.extensions import db
from certreg.vocabulary import Role
from tests import factories
from tests.shipments.builders import TODAY, importer_with_licence


def _body(company, **changes):
    body = {"declaration_number": "DT-API-1", "importer_registration": company.registration_number,
            "goods": "substance", "hs_code": "2903.71", "substance": "HCFC-22", "kg": "40",
            "import_licence": "KZ-IMP-1", "exporter_name": "Zhejiang Chem Co", "exporting_country": "CN",
            "origin_country": "CN", "transport_mode": "rail", "border_post": "Altynkol",
            "expected_on": TODAY.isoformat(), "cylinder_count": 2, "cylinder_serials": "CN-1, CN-2"}
    body.update(changes)
    return body


def test_announce_check_release_and_confirm(api):
    company = importer_with_licence()[0]
    importer = factories.make_token(factories.make_user(Role.COMPANY_USER, "KZ", company=company))
    inspector = factories.make_token(factories.make_user(Role.INSPECTOR, "KZ"))
    cn_admin = factories.make_token(factories.make_user(Role.ADMIN, "CN"))

    api.token = importer
    wrong = api.post("/shipments", json=_body(company, hs_code="3827.31"))
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "hs_code_mismatch"
    assert wrong.get_json()["error"]["fields"]["hs_code"][0]["code"] == "hs_code_mismatch"
    made = api.post("/shipments", json=_body(company))
    assert made.status_code == 201, made.get_json()
    shipment = made.get_json()
    assert shipment["cylinder_serials"] == ["CN-1", "CN-2"] and shipment["status"] == "expected"
    path = f"/shipments/{shipment['id']}"

    api.token = inspector
    check = api.get(f"{path}/check").get_json()
    assert check["passed"] is False and check["suggestion"] == "held"
    assert [r["code"] for r in check["rules"] if r["ok"] is False] == ["ipic_not_confirmed"]
    refused = api.post(f"{path}/decision", json={"decision": "released"})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "border_check_failed"
    assert refused.get_json()["error"]["fields"]["decision"][0]["code"] == "ipic_not_confirmed"

    api.token = cn_admin
    asked = api.post("/ipic/questions", json={"answering_country": "KZ", "importer_registration":
                                              company.registration_number, "substance": "HCFC-22", "kg": 100})
    assert asked.status_code == 201 and asked.get_json()["answer"] == "yes"
    assert asked.get_json()["licence_number"] == "KZ-IMP-1" and asked.get_json()["remaining_kg"] == "100.000"
    assert api.get(f"/ipic/questions/{asked.get_json()['id']}").status_code == 200

    api.token = inspector
    assert api.get(f"{path}/check").get_json()["passed"] is True
    released = api.post(f"{path}/decision", json={"decision": "released"})
    assert released.status_code == 200 and released.get_json()["entry_id"] is not None
    again = api.post(f"{path}/decision", json={"decision": "seized", "reason": "x"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "shipment_decided"
    assert [q["answer"] for q in api.get("/ipic/questions").get_json()["questions"]] == ["yes"]

    api.token = importer
    assert api.post(f"{path}/decision", json={"decision": "held", "reason": "x"}).status_code == 403
    confirmed = api.post(f"{path}/receipt", json={"answer": "confirm"})
    assert confirmed.status_code == 200 and confirmed.get_json()["receipt"] == "confirmed"
    assert [s["id"] for s in api.get("/shipments").get_json()["shipments"]] == [shipment["id"]]


def test_the_border_check_weighs_the_licence_cap_in_co2e_tonnes(api):
    """40 kg of HFC-134a (GWP 1430) are 57.2 CO2-eq tonnes: refused under a licence of Annex F capped at 57.199,
    released once the cap is 57.2."""
    company, licence = importer_with_licence()
    licence.scope, licence.cap_co2e_t = ["F"], Decimal("57.199")
    db.session.commit()
    cn_admin = factories.make_token(factories.make_user(Role.ADMIN, "CN"))
    api.token = factories.make_token(factories.make_user(Role.INSPECTOR, "KZ"))
    made = api.post("/shipments", json=_body(company, substance="HFC-134a", hs_code="2903.45"))
    assert made.status_code == 201, made.get_json()
    path = f"/shipments/{made.get_json()['id']}"
    api.token = cn_admin
    asked = api.post("/ipic/questions", json={"answering_country": "KZ", "importer_registration":
                                              company.registration_number, "substance": "HFC-134a", "kg": 40})
    assert asked.get_json()["answer"] == "no"  # 39.999 kg left under the CO2-eq cap
    api.token = factories.make_token(factories.make_user(Role.INSPECTOR, "KZ"))
    check = api.get(f"{path}/check").get_json()
    assert [r["code"] for r in check["rules"] if r["ok"] is False] == ["licence_cap_co2e_exceeded",
                                                                        "ipic_not_confirmed"]
    refused = api.post(f"{path}/decision", json={"decision": "released"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"]["decision"][0]["code"] == "licence_cap_co2e_exceeded"
    licence.cap_co2e_t = Decimal("57.2")
    db.session.commit()
    api.token = cn_admin
    asked = api.post("/ipic/questions", json={"answering_country": "KZ", "importer_registration":
                                              company.registration_number, "substance": "HFC-134a", "kg": 40})
    assert asked.get_json()["answer"] == "yes" and asked.get_json()["remaining_kg"] == "40.000"
    api.token = factories.make_token(factories.make_user(Role.INSPECTOR, "KZ"))
    assert api.get(f"{path}/check").get_json()["passed"] is True
    assert api.post(f"{path}/decision", json={"decision": "released"}).status_code == 200


def test_the_list_of_licensees_is_public(api):
    importer_with_licence()
    listed = api.get("/countries/KZ/licensees", token=None)
    assert listed.status_code == 200 and listed.get_json()["licensees"][0]["licence"] == "KZ-IMP-1"
    assert api.get("/countries/XX/licensees", token=None).status_code == 404
