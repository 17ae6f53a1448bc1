"""Registry pages: forms show field errors, refused input writes nothing, public pages leak nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from certreg.extensions import db
from certreg.registry.models import Company, Technician
from certreg.vocabulary import Role
from tests.conftest import count_rows, login, post_form
from tests.factories import make_company, make_technician, make_user

TECHNICIAN_FORM = {
    "country_code": "KG", "full_name": "Асанов Нурлан Бакытович", "full_name_latin": "Asanov Nurlan Bakytovich",
    "national_id": "21203199000123", "date_of_birth": "1990-03-12", "email": "", "phone": "", "address": "",
}
COMPANY_FORM = {
    "country_code": "KG", "legal_name": "ОсОО «Холод»", "name_latin": "Kholod LLC", "registration_number": "02304",
    "address": "Бишкек", "email": "", "phone": "", "activities": ["service", "dealer"],
}


@pytest.fixture
def officer(client):
    user = make_user(Role.CERTIFYING_OFFICER)
    login(client, user)
    return user


def test_officer_registers_a_technician_and_sees_the_record(client, officer):
    response = post_form(client, "/registry/technicians/new", TECHNICIAN_FORM)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Асанов Нурлан Бакытович" in page and "21203199000123" in page


BAD_FORMS = [
    ({"full_name": ""}, "full_name", "This field is required."),
    ({"full_name": "x" * 256}, "full_name", "Field cannot be longer than 255 characters."),
    ({"national_id": "12\x0034"}, "national_id", "control characters"),
    ({"full_name_latin": "Asanov\nNurlan"}, "full_name_latin", "control characters"),
    ({"date_of_birth": "yesterday"}, "date_of_birth", "Not a valid date value."),
    ({"country_code": "XX"}, "country_code", "Unknown country."),
    ({"email": "not-an-email"}, "email", "Invalid email address."),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_FORMS, ids=[f for _, f, _ in BAD_FORMS])
def test_bad_technician_form_shows_the_field_error_and_writes_nothing(client, officer, change, field, message):
    before = count_rows(Technician)
    response = post_form(client, "/registry/technicians/new", {**TECHNICIAN_FORM, **change})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and message in page
    assert 'aria-invalid="true"' in page
    assert count_rows(Technician) == before


def test_duplicate_registration_number_shows_on_the_field(client, officer):
    make_company(registration_number="02304")
    before = count_rows(Company)
    response = post_form(client, "/registry/companies/new", COMPANY_FORM)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="registration_number-error"' in page
    assert "already registered in this country" in page
    assert count_rows(Company) == before


def test_company_form_keeps_the_chosen_activities(client, officer):
    response = post_form(client, "/registry/companies/new", COMPANY_FORM)
    assert response.status_code == 302
    company = db.session.scalar(sa.select(Company).where(Company.registration_number == "02304"))
    assert {a.value for a in company.activity_set} == {"service", "dealer"}


def test_company_user_sees_public_fields_of_another_company_and_cannot_edit_it(client):
    own, other = make_company(), make_company(address="Secret street 1", email="boss@other.example.org")
    login(client, make_user(Role.COMPANY_USER, company=own))
    page = client.get(f"/registry/companies/{other.id}").get_data(as_text=True)
    assert other.legal_name in page and "Secret street 1" not in page and "boss@other" not in page
    assert client.get(f"/registry/companies/{other.id}/edit").status_code == 403
    response = post_form(client, f"/registry/companies/{other.id}/edit",
                         {"address": "Hijacked", "email": "", "phone": ""}, page="/account")
    assert response.status_code == 403
    assert db.session.get(Company, other.id).address == "Secret street 1"


def test_company_user_edits_own_contact_details_only(client):
    own = make_company(registration_number="OWN-1")
    login(client, make_user(Role.COMPANY_USER, company=own))
    response = post_form(client, f"/registry/companies/{own.id}/edit",
                         {"address": "New address", "email": "office@own.example.org", "phone": "",
                          "registration_number": "CHANGED"})
    assert response.status_code == 302
    company = db.session.get(Company, own.id)
    assert company.address == "New address" and company.registration_number == "OWN-1"


def test_company_user_adds_an_employee_by_national_id(client):
    own = make_company()
    technician = make_technician(national_id="NID-777")
    login(client, make_user(Role.COMPANY_USER, company=own))
    response = post_form(client, f"/registry/companies/{own.id}/employees",
                         {"national_id": "NID-777", "started_on": "2024-05-01"}, page=f"/registry/companies/{own.id}")
    assert response.status_code == 302
    assert db.session.get(Technician, technician.id).current_employers[0].id == own.id
    response = post_form(client, f"/registry/companies/{own.id}/employees",
                         {"national_id": "NOBODY", "started_on": "2024-05-01"}, page=f"/registry/companies/{own.id}")
    assert response.status_code == 422
    assert "No technician with this national ID number" in response.get_data(as_text=True)


def test_public_search_never_shows_national_id_birth_date_or_contact(client):
    company = make_company(legal_name="ТОО «АлматыХладоТорг»", email="info@almaty.example.org", phone="+7 701 1")
    make_technician(employer=company, full_name="Серикбаев Ерлан", full_name_latin="Serikbayev Yerlan",
                    national_id="850612300111", email="yerlan@example.org", phone="+7 701 000 0201")
    for query in ["Серикбаев", "Serikbayev", "850612300111", "АлматыХладо"]:
        page = client.get(f"/search?q={query}").get_data(as_text=True)
        for secret in ["850612300111", "1990-01-01", "yerlan@example.org", "+7 701 000 0201",
                       "info@almaty.example.org", "+7 701 1"]:
            if secret != query:  # the visitor's own query is echoed back, nothing else
                assert secret not in page, (query, secret)
    assert "Серикбаев" not in client.get("/search?q=850612300111").get_data(as_text=True)
    page = client.get("/search?q=Серикбаев").get_data(as_text=True)
    result = page.split('class="results"')[1]
    assert "Серикбаев Ерлан" in result and "ТОО «АлматыХладоТорг»" in result and "Kyrgyzstan" in result


def test_public_search_filters_by_country(client):
    make_technician(country_code="KZ", full_name="Ким Виктор")
    make_technician(country_code="KG", full_name="Ким Олег")
    page = client.get("/search?q=Ким&country=KZ").get_data(as_text=True)
    assert "Ким Виктор" in page and "Ким Олег" not in page


def test_pages_work_in_russian(client, officer):
    client.get("/language/ru")
    page = client.get("/registry/technicians/new").get_data(as_text=True)
    assert "Зарегистрировать техника" in page
