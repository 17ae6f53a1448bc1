"""The licence register through the API: issue, list, suspend; refusals on their field (responses checked against
the OpenAPI document by the ``api`` client)."""

from __future__ import annotations

from datetime import date, timedelta

from certreg.vocabulary import Role
from tests import factories

TODAY = date.today()


def test_issue_list_and_suspend(api):
    company = factories.make_company(country_code="KZ", activities=["importer"])
    api.token = factories.make_token(factories.make_user(Role.ADMIN, "KZ"))
    body = {"number": "KZ-IMP-77", "company_registration": company.registration_number, "direction": "import",
            "scope": ["HCFC-22", "C/I"], "cap_kg": "250", "valid_from": TODAY.isoformat(),
            "valid_until": (TODAY + timedelta(days=90)).isoformat(), "issuing_authority": "Ministry of Ecology",
            "partner_countries": ["CN"]}
    issued = api.post("/countries/KZ/licences", json=body)
    assert issued.status_code == 201, issued.get_json()
    assert issued.get_json()["used_kg"] == "0.000" and issued.get_json()["status"] == "active"
    again = api.post("/countries/KZ/licences", json=body)
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "licence_number_taken"
    listed = api.get("/countries/kz/licences")
    assert [item["number"] for item in listed.get_json()["licences"]] == ["KZ-IMP-77"]
    suspended = api.patch("/countries/KZ/licences/KZ-IMP-77", json={"status": "suspended", "reason": "Inquiry"})
    assert suspended.status_code == 200 and suspended.get_json()["status_reason"] == "Inquiry"
    missing = api.patch("/countries/KZ/licences/NOPE", json={"status": "revoked", "reason": "x"})
    assert missing.status_code == 404


def test_other_countries_and_holders_may_not_issue(api):
    company = factories.make_company(country_code="KZ", activities=["importer"])
    api.token = factories.make_token(factories.make_user(Role.ADMIN, "KG"))
    refused = api.post("/countries/KZ/licences", json={"number": "X", "company_registration":
                                                       company.registration_number, "direction": "import",
                                                       "scope": ["HCFC-22"], "cap_kg": "1",
                                                       "valid_from": TODAY.isoformat(),
                                                       "valid_until": TODAY.isoformat(), "issuing_authority": "M"})
    assert refused.status_code == 403
