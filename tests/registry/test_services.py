from datetime import date

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.errors import Forbidden, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.registry import services
from certreg.registry.models import Company, Technician
from certreg.registry.search import public_search
from certreg.vocabulary import Role
from tests.conftest import count_rows
from tests.factories import make_company, make_technician, make_user


def technician_data(**overrides):
    data = dict(country_code="KG", full_name="Асанов Нурлан", full_name_latin="Asanov Nurlan",
                national_id="KG-123", date_of_birth=date(1990, 3, 12))
    data.update(overrides)
    return services.TechnicianData(**data)


def company_data(**overrides):
    data = dict(country_code="KG", legal_name="ОсОО «Холод»", name_latin="Kholod LLC", registration_number="777",
                address="Bishkek", activities=["dealer"])
    data.update(overrides)
    return services.CompanyData(**data)


def test_officer_registers_technician_with_audit_entry():
    officer = make_user(Role.CERTIFYING_OFFICER)
    technician = services.create_technician(Actor.of(officer), technician_data())
    db.session.commit()
    assert technician.id and technician.search_key == "асанов нурлан asanov nurlan"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "technician.create"))
    assert entry.actor_user_id == officer.id and entry.object_id == str(technician.id)
    assert entry.after["national_id"] == "KG-123"


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.AUDITOR, Role.COMPANY_USER, Role.TECHNICIAN])
def test_other_roles_cannot_register(role):
    user = make_user(role)
    with pytest.raises(Forbidden):
        services.create_technician(Actor.of(user), technician_data())


def test_officer_of_another_country_cannot_register_here():
    officer = make_user(Role.CERTIFYING_OFFICER, "KZ")
    with pytest.raises(Forbidden):
        services.create_technician(Actor.of(officer), technician_data(country_code="KG"))


def test_duplicate_national_id_in_same_country_refused_other_country_allowed():
    admin = Actor.of(make_user(Role.ADMIN))
    services.create_technician(admin, technician_data())
    before = count_rows(Technician)
    with pytest.raises(ValidationFailed) as info:
        services.create_technician(admin, technician_data(full_name="Other"))
    assert info.value.code == "duplicate_national_id"
    assert info.value.fields["national_id"][0].code == "duplicate_national_id"
    assert count_rows(Technician) == before
    kz_admin = Actor.of(make_user(Role.ADMIN, "KZ"))
    assert services.create_technician(kz_admin, technician_data(country_code="KZ")).country_code == "KZ"


def test_unknown_country_is_a_field_error():
    with pytest.raises(ValidationFailed) as info:
        services.create_company(Actor.system(), company_data(country_code="XX"))
    assert info.value.fields["country_code"][0].code == "unknown_country"


def test_duplicate_registration_number_refused():
    admin = Actor.of(make_user(Role.ADMIN))
    services.create_company(admin, company_data())
    with pytest.raises(ValidationFailed) as info:
        services.create_company(admin, company_data(legal_name="Another"))
    assert info.value.fields["registration_number"][0].code == "duplicate_registration_number"


def test_update_company_changes_activities_and_audits_the_difference():
    admin = Actor.of(make_user(Role.ADMIN))
    company = services.create_company(admin, company_data(activities=["dealer", "importer"]))
    services.update_company(admin, company, company_data(activities=["dealer", "exporter"], address="New"))
    assert {a.value for a in company.activity_set} == {"dealer", "exporter"}
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "company.update"))
    assert entry.before == {"address": "Bishkek", "activities": ["dealer", "importer"]}
    assert entry.after == {"address": "New", "activities": ["dealer", "exporter"]}


def test_access_levels():
    company = make_company()
    other = make_company()
    technician = make_technician(employer=company)
    assert services.technician_access(Actor.of(make_user(Role.INSPECTOR)), technician) is services.Access.FULL
    assert services.technician_access(Actor.of(make_user(Role.INSPECTOR, "KZ")), technician) is services.Access.PUBLIC
    assert services.technician_access(
        Actor.of(make_user(Role.COMPANY_USER, company=company)), technician) is services.Access.EMPLOYER
    assert services.technician_access(
        Actor.of(make_user(Role.COMPANY_USER, company=other)), technician) is services.Access.PUBLIC
    assert services.technician_access(
        Actor.of(make_user(Role.TECHNICIAN, technician=technician)), technician) is services.Access.FULL
    with pytest.raises(NotFound):
        services.get_company(Actor.of(make_user(Role.COMPANY_USER, company=company)), other.id,
                             minimum=services.Access.FULL)


def test_company_user_adds_and_ends_employment_of_own_company_only():
    company, other = make_company(), make_company()
    technician = make_technician()
    user = Actor.of(make_user(Role.COMPANY_USER, company=company))
    employment = services.add_employment(user, company, national_id=technician.national_id,
                                         started_on=date(2024, 1, 1))
    assert technician.current_employers == [company]
    with pytest.raises(ValidationFailed) as info:
        services.add_employment(user, company, national_id=technician.national_id, started_on=date(2024, 1, 1))
    assert info.value.fields["national_id"][0].code == "already_employed"
    with pytest.raises(Forbidden):
        services.add_employment(user, other, national_id=technician.national_id, started_on=date(2024, 1, 1))
    with pytest.raises(ValidationFailed):
        services.end_employment(user, employment, ended_on=date(2023, 1, 1))
    services.end_employment(user, employment, ended_on=date(2025, 1, 1))
    assert technician.current_employers == []


def test_public_search_finds_by_cyrillic_name_any_case_and_registration_number():
    company = make_company(legal_name="ТОО «АлматыХладоТорг»", registration_number="120540012345")
    make_technician(employer=company, full_name="Серикбаев Ерлан", full_name_latin="Serikbayev Yerlan")
    names = [r.name for r in public_search("СЕРИКБАЕВ")]
    assert names == ["Серикбаев Ерлан"]
    assert [r.kind for r in public_search("120540012345")] == ["company"]
    assert public_search("алматыхладо")[0].registration_number == "120540012345"
    assert public_search("x") == []  # too short
    assert public_search("%") == []  # LIKE wildcards are literal


def test_public_record_has_only_public_fields():
    make_technician(full_name="Ким Виктор", national_id="SECRET-NID", email="kim@example.org")
    record = public_search("Ким")[0]
    flat = repr(record)
    assert "SECRET-NID" not in flat and "kim@example.org" not in flat and "1990" not in flat


def test_list_technicians_only_for_officials_of_that_country():
    make_technician(full_name="Абдыкеримов")
    inspector = Actor.of(make_user(Role.INSPECTOR))
    assert services.list_technicians(inspector, "KG", q="абдык").total == 1
    with pytest.raises(Forbidden):
        services.list_technicians(inspector, "KZ")
    with pytest.raises(Forbidden):
        services.list_technicians(Actor.of(make_user(Role.COMPANY_USER)), "KG")


def test_company_model_unique_constraint_holds_in_the_database():
    company = make_company(registration_number="DUP-1")
    db.session.add(Company(country_code="KG", legal_name="x", name_latin="x", registration_number="DUP-1",
                           address="x"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert company.id


def test_administrator_appoints_a_certification_body_on_every_surface(client, api, app):
    from certreg.registry.models import IssuingAuthority
    from tests.conftest import login, post_form
    from tests.factories import make_token

    admin = make_user(Role.ADMIN)
    login(client, admin)
    response = post_form(client, "/registry/authorities",
                         {"name": "Kyrgyz Refrigeration Training Centre", "kind": "certification_body", "address": ""})
    assert response.status_code == 302
    page = client.get("/registry/authorities").get_data(as_text=True)
    assert "Kyrgyz Refrigeration Training Centre" in page and "National Ozone Unit of Kyrgyzstan" in page
    duplicate = post_form(client, "/registry/authorities",
                          {"name": "Kyrgyz Refrigeration Training Centre", "kind": "certification_body"})
    assert duplicate.status_code == 422

    api.token = make_token(admin)
    created = api.post("/authorities", json={"name": "Osh certification body", "kind": "certification_body"})
    assert created.status_code == 201 and created.json["country_code"] == "KG"
    assert api.post("/authorities", json={"name": "X", "kind": "smuggler"}).status_code == 422

    result = app.test_cli_runner().invoke(args=["registry", "add-authority", "--country", "KZ", "--name",
                                                "Almaty certification body"])
    assert result.exit_code == 0, result.output
    query = sa.select(IssuingAuthority).where(IssuingAuthority.country_code == "KZ")
    names = {a.name for a in db.session.scalars(query)}
    assert names == {"National Ozone Unit of Kazakhstan", "Almaty certification body"}
    with pytest.raises(Forbidden):
        services.add_authority(Actor.of(make_user(Role.CERTIFYING_OFFICER)), "KG", name="Y", kind="certification_body")
