"""The registry API: create/read/update/search, errors as JSON with codes, nothing written on bad input."""

from __future__ import annotations

import pytest

from certreg.registry.models import Company, Technician
from certreg.vocabulary import Role
from tests.conftest import count_rows
from tests.factories import make_company, make_technician, make_token, make_user

TECHNICIAN = {
    "full_name": "Жумабекова Айгуль",
    "full_name_latin": "Zhumabekova Aigul",
    "national_id": "11507198800456",
    "date_of_birth": "1988-07-15",
    "phone": "+996 555 000 102",
}
COMPANY = {
    "legal_name": "ОсОО «Ала-Тоо Рефрижерейшн»",
    "name_latin": "Ala-Too Refrigeration LLC",
    "registration_number": "01811201510456",
    "address": "пр. Чуй 55, Бишкек",
    "activities": ["dealer", "importer"],
}


@pytest.fixture
def officer_api(api):
    api.token = make_token(make_user(Role.CERTIFYING_OFFICER, "KG"))
    return api


def test_create_read_update_search_technician(officer_api):
    response = officer_api.post("/technicians", json=TECHNICIAN)
    assert response.status_code == 201, response.json
    created = response.json
    assert created["country_code"] == "KG" and created["national_id"] == "11507198800456"
    assert created["access"] == "full"

    response = officer_api.patch(f"/technicians/{created['id']}", json={"email": "aigul@example.org"})
    assert response.status_code == 200 and response.json["email"] == "aigul@example.org"
    assert response.json["full_name"] == TECHNICIAN["full_name"]  # PATCH keeps what was not sent

    listing = officer_api.get("/technicians?q=айгуль").json
    assert [t["id"] for t in listing["items"]] == [created["id"]]

    found = officer_api.get("/search?q=Zhumabekova", token=None).json["items"]
    assert found[0]["name"] == TECHNICIAN["full_name"]
    assert "national_id" not in found[0] and "date_of_birth" not in found[0] and "phone" not in found[0]


def test_create_company_and_add_employee(officer_api):
    company = officer_api.post("/companies", json=COMPANY).json
    assert company["activities"] == ["dealer", "importer"]
    technician = officer_api.post("/technicians", json=TECHNICIAN).json
    response = officer_api.post(f"/companies/{company['id']}/employees",
                                json={"national_id": TECHNICIAN["national_id"], "started_on": "2024-02-01"})
    assert response.status_code == 201
    employment = response.json
    detail = officer_api.get(f"/technicians/{technician['id']}").json
    assert detail["employers"] == [{"id": company["id"], "legal_name": COMPANY["legal_name"]}]
    ended = officer_api.post(f"/companies/{company['id']}/employees/{employment['id']}/end",
                             json={"ended_on": "2025-01-31"}).json
    assert ended["ended_on"] == "2025-01-31"


BAD_TECHNICIANS = [
    ({**TECHNICIAN, "full_name": ""}, "full_name", "required"),
    ({**TECHNICIAN, "full_name": "x" * 256}, "full_name", "too_long"),
    ({**TECHNICIAN, "full_name": 42}, "full_name", "wrong_type"),
    ({**TECHNICIAN, "full_name": ["a"]}, "full_name", "wrong_type"),
    ({**TECHNICIAN, "national_id": "12\x0034"}, "national_id", "invalid_characters"),
    ({**TECHNICIAN, "date_of_birth": "1988-13-45"}, "date_of_birth", "invalid"),
    ({**TECHNICIAN, "date_of_birth": "2020-01-01"}, "date_of_birth", "implausible_date"),
    ({**TECHNICIAN, "email": "not-an-email"}, "email", "invalid_email"),
    ({**TECHNICIAN, "country_code": "XX"}, "country_code", "unknown_country"),
    ({**TECHNICIAN, "nickname": "x"}, "nickname", "unknown_field"),
    ({k: v for k, v in TECHNICIAN.items() if k != "national_id"}, "national_id", "required"),
]


@pytest.mark.parametrize(("payload", "field", "code"), BAD_TECHNICIANS,
                         ids=[f"{f}-{c}" for _, f, c in BAD_TECHNICIANS])
def test_bad_technician_input_is_a_422_with_field_code_and_writes_nothing(officer_api, payload, field, code):
    before = count_rows(Technician)
    response = officer_api.post("/technicians", json=payload)
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["fields"][field][0]["code"] == code
    assert count_rows(Technician) == before


def test_duplicate_registration_number_is_a_field_error(officer_api):
    assert officer_api.post("/companies", json=COMPANY).status_code == 201
    before = count_rows(Company)
    response = officer_api.post("/companies", json={**COMPANY, "legal_name": "Another"})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "duplicate_registration_number"
    assert response.json["error"]["fields"]["registration_number"][0]["code"] == "duplicate_registration_number"
    assert count_rows(Company) == before


@pytest.mark.parametrize("activities", [[], ["smuggler"], "dealer", [1]])
def test_bad_activities(officer_api, activities):
    response = officer_api.post("/companies", json={**COMPANY, "activities": activities})
    assert response.status_code == 422
    assert "activities" in response.json["error"]["fields"]


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    ("{not json", "application/json", 422, "invalid_json"),
    ("[1, 2]", "application/json", 422, "invalid_json"),
    ("full_name=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
])
def test_malformed_bodies(officer_api, body, content_type, status, code):
    response = officer_api.client.post("/api/v1/technicians", data=body, content_type=content_type,
                                       headers={"Authorization": f"Bearer {officer_api.token}"})
    assert response.status_code == status
    assert response.json["error"]["code"] == code
    officer_api.validate(response)


def test_unknown_route_and_wrong_method_are_json(api):
    response = api.get("/nowhere", validate=False)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    response = api.client.delete("/api/v1/countries")
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"


def test_tokens_wrong_missing_revoked(api, client):
    assert api.get("/me", token=None).json["error"]["code"] == "unauthenticated"
    assert api.get("/me", token="crt_wrong").json["error"]["code"] == "invalid_token"
    user = make_user(Role.INSPECTOR)
    token = make_token(user)
    assert api.get("/me", token=token).json["email"] == user.email
    from certreg.actors import Actor
    from certreg.auth import services
    from certreg.extensions import db
    from tests.factories import token_id

    services.revoke_api_token(Actor.of(user), token_id(token))
    db.session.commit()
    assert api.get("/me", token=token).status_code == 401


def test_company_user_cannot_read_or_change_another_company(api):
    own, other = make_company(), make_company(email="secret@example.org")
    api.token = make_token(make_user(Role.COMPANY_USER, company=own))
    seen = api.get(f"/companies/{other.id}").json
    assert seen["access"] == "public" and "address" not in seen and "email" not in seen
    response = api.patch(f"/companies/{other.id}", json={"address": "Hijacked"})
    assert response.status_code == 403
    assert api.patch(f"/companies/{own.id}", json={"address": "New address"}).json["address"] == "New address"
    response = api.patch(f"/companies/{own.id}", json={"registration_number": "X"})
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden_fields"


def test_technician_sees_self_fully_and_edits_only_contact(api):
    technician = make_technician()
    api.token = make_token(make_user(Role.TECHNICIAN, technician=technician))
    assert api.get(f"/technicians/{technician.id}").json["national_id"] == technician.national_id
    assert api.patch(f"/technicians/{technician.id}", json={"phone": "+996 700 111 222"}).status_code == 200
    assert api.patch(f"/technicians/{technician.id}", json={"full_name": "X"}).status_code == 403


def test_foreign_inspector_sees_public_fields_only_and_cannot_change(api):
    technician = make_technician(national_id="KG-SECRET")
    api.token = make_token(make_user(Role.INSPECTOR, "KZ"))
    seen = api.get(f"/technicians/{technician.id}").json
    assert seen["access"] == "public" and "national_id" not in seen and "email" not in seen
    assert api.patch(f"/technicians/{technician.id}", json={"phone": "1"}).status_code == 403
    assert api.get("/technicians").status_code == 200  # their own country's list, without KG people
    assert api.get("/technicians").json["total"] == 0


def test_pagination_arguments_are_checked(officer_api):
    assert officer_api.get("/technicians?page=0").status_code == 422
    assert officer_api.get("/technicians?per_page=abc").json["error"]["fields"]["per_page"][0]["code"] == "wrong_type"
    assert officer_api.get("/technicians?per_page=2").json["per_page"] == 2


def test_search_input_limits(api):
    assert api.get("/search?q=" + "x" * 121).status_code == 422
    assert api.get("/search?q=ab%00").status_code == 422
    assert api.get("/search?q=a").json == {"items": []}
