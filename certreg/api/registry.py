"""``/api/v1`` for the registry: countries, technicians, companies, staff, public search."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _

from certreg.api import bp
from certreg.api.common import api_actor, done, json_body, page_args, paginated
from certreg.audit.access import log_access
from certreg.errors import Forbidden, ValidationFailed
from certreg.forms import form_from_json
from certreg.registry import services
from certreg.registry.forms import (
    AuthorityForm,
    CompanyContactForm,
    CompanyForm,
    EmploymentForm,
    EndEmploymentForm,
    TechnicianContactForm,
    TechnicianForm,
    TrainingForm,
)
from certreg.registry.models import Company, Country, Employment, Technician
from certreg.registry.search import public_search
from certreg.registry.services import Access
from certreg.transactions import writes
from certreg.vocabulary import Role


def country_json(country: Country) -> dict[str, Any]:
    return {
        "code": country.code,
        "name": country.name,
        "authorities": [{"id": a.id, "name": a.name, "kind": a.kind.value} for a in country.authorities],
    }


def employment_json(e: Employment) -> dict[str, Any]:
    return {
        "id": e.id,
        "technician_id": e.technician_id,
        "company_id": e.company_id,
        "company_name": e.company.legal_name,
        "started_on": e.started_on.isoformat(),
        "ended_on": e.ended_on.isoformat() if e.ended_on else None,
    }


def technician_json(t: Technician, access: Access) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": t.id,
        "country_code": t.country_code,
        "full_name": t.full_name,
        "full_name_latin": t.full_name_latin,
        "employers": [{"id": c.id, "legal_name": c.legal_name} for c in t.current_employers],
        "access": access.name.lower(),
    }
    if access >= Access.EMPLOYER:
        data.update(
            email=t.email,
            phone=t.phone,
            address=t.address,
            trainings=[
                {"id": r.id, "course": r.course, "completed_on": r.completed_on.isoformat(), "provider": r.provider}
                for r in t.trainings
            ],
            employments=[employment_json(e) for e in t.employments],
        )
    if access >= Access.FULL:
        data.update(national_id=t.national_id, date_of_birth=t.date_of_birth.isoformat())
    return data


def company_json(c: Company, access: Access) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": c.id,
        "country_code": c.country_code,
        "legal_name": c.legal_name,
        "name_latin": c.name_latin,
        "registration_number": c.registration_number,
        "activities": [a.activity.value for a in c.activities],
        "access": access.name.lower(),
    }
    if access >= Access.FULL:
        data.update(
            address=c.address,
            email=c.email,
            phone=c.phone,
            employments=[employment_json(e) for e in c.employments],
        )
    return data


def _form_values(obj: Any, names: list[str]) -> dict[str, Any]:
    values = {}
    for name in names:
        value = getattr(obj, name)
        values[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return values


# --- countries and public search --------------------------------------------------


@bp.get("/countries")
def countries():
    return done({"items": [country_json(c) for c in services.active_countries()]})


@bp.get("/search")
def search():
    """Public: only public fields, never national ID, birth date or contact details."""
    q = request.args.get("q", "")
    if len(q) > 120:
        raise ValidationFailed.for_field("q", _("At most 120 characters."), "too_long")
    country = request.args.get("country") or None
    records = public_search(q, country_code=country.upper() if country else None)
    return done({
        "items": [
            {
                "kind": r.kind,
                "id": r.id,
                "name": r.name,
                "name_latin": r.name_latin,
                "country_code": r.country_code,
                "companies": list(r.companies),
                "registration_number": r.registration_number,
                "certification_status": r.certification_status,
                "certificates": list(r.certificates),
            }
            for r in records
        ]
    })


# --- technicians -----------------------------------------------------------------------


@bp.get("/technicians")
@writes  # the personal data access log
def list_technicians():
    actor = api_actor()
    page, per_page = page_args()
    pagination = services.list_technicians(
        actor, actor.country_code, q=request.args.get("q") or None, page=page, per_page=per_page
    )
    log_access(actor, pagination.items, "api")
    return done(paginated(pagination, lambda t: technician_json(t, Access.FULL)))


@bp.post("/technicians")
def create_technician():
    actor = api_actor()
    actor.require(services.can_manage_registry(actor, actor.country_code))
    payload = json_body()
    form = form_from_json(TechnicianForm, {"country_code": actor.country_code, **payload})
    technician = services.create_technician(
        actor, services.TechnicianData(**{n: form[n].data for n in services.TECHNICIAN_FIELDS})
    )
    return done(technician_json(technician, Access.FULL), 201)


@bp.get("/technicians/<int:technician_id>")
@writes  # the personal data access log
def get_technician(technician_id: int):
    actor = api_actor()
    technician = services.get_technician(actor, technician_id)
    access = services.technician_access(actor, technician)
    if access >= Access.FULL:
        log_access(actor, [technician], "api")
    return done(technician_json(technician, access))


@bp.patch("/technicians/<int:technician_id>")
def update_technician(technician_id: int):
    """Officials of the country may change every field; technicians only their contact details."""
    actor = api_actor()
    technician = services.get_technician(actor, technician_id)
    payload = json_body()
    if services.edit_scope(actor, technician) is services.EditScope.FULL:
        merged = {**_form_values(technician, services.TECHNICIAN_FIELDS), **payload}
        form = form_from_json(TechnicianForm, merged)
        services.update_technician(
            actor, technician, services.TechnicianData(**{n: form[n].data for n in services.TECHNICIAN_FIELDS})
        )
    else:
        extra = set(payload) - set(services.TECHNICIAN_CONTACT_FIELDS)
        if extra:
            raise Forbidden(_("You may change only your contact details: %(fields)s.",
                              fields=", ".join(services.TECHNICIAN_CONTACT_FIELDS)), code="forbidden_fields")
        merged = {**_form_values(technician, services.TECHNICIAN_CONTACT_FIELDS), **payload}
        form = form_from_json(TechnicianContactForm, merged)
        services.update_technician_contact(
            actor, technician, email=form.email.data, phone=form.phone.data, address=form.address.data
        )
    return done(technician_json(technician, services.technician_access(actor, technician)))


@bp.post("/technicians/<int:technician_id>/trainings")
def add_training(technician_id: int):
    actor = api_actor()
    technician = services.get_technician(actor, technician_id)
    actor.require(services.can_manage_registry(actor, technician.country_code))
    form = form_from_json(TrainingForm, json_body())
    services.add_training(
        actor, technician, course=form.course.data, completed_on=form.completed_on.data, provider=form.provider.data
    )
    return done(technician_json(technician, services.technician_access(actor, technician)), 201)


# --- companies ---------------------------------------------------------------------------


@bp.get("/companies")
def list_companies():
    actor = api_actor()
    page, per_page = page_args()
    pagination = services.list_companies(
        actor, actor.country_code, q=request.args.get("q") or None, activity=request.args.get("activity"),
        page=page, per_page=per_page,
    )
    return done(paginated(pagination, lambda c: company_json(c, Access.FULL)))


def _company_data(form: CompanyForm) -> services.CompanyData:
    return services.CompanyData(
        **{n: form[n].data for n in services.COMPANY_FIELDS}, activities=list(form.activities.data or [])
    )


@bp.post("/companies")
def create_company():
    actor = api_actor()
    actor.require(services.can_manage_registry(actor, actor.country_code))
    form = form_from_json(CompanyForm, {"country_code": actor.country_code, **json_body()})
    company = services.create_company(actor, _company_data(form))
    return done(company_json(company, Access.FULL), 201)


@bp.get("/companies/<int:company_id>")
def get_company(company_id: int):
    actor = api_actor()
    company = services.get_company(actor, company_id)
    return done(company_json(company, services.company_access(actor, company)))


@bp.patch("/companies/<int:company_id>")
def update_company(company_id: int):
    """Officials of the country may change every field; the company's users only address and contact."""
    actor = api_actor()
    company = services.get_company(actor, company_id)
    payload = json_body()
    if services.edit_scope(actor, company) is services.EditScope.FULL:
        current = _form_values(company, services.COMPANY_FIELDS)
        current["activities"] = [a.activity.value for a in company.activities]
        form = form_from_json(CompanyForm, {**current, **payload})
        services.update_company(actor, company, _company_data(form))
    else:
        extra = set(payload) - set(services.COMPANY_CONTACT_FIELDS)
        if extra:
            raise Forbidden(_("You may change only the address and contact details: %(fields)s.",
                              fields=", ".join(services.COMPANY_CONTACT_FIELDS)), code="forbidden_fields")
        merged = {**_form_values(company, services.COMPANY_CONTACT_FIELDS), **payload}
        form = form_from_json(CompanyContactForm, merged)
        services.update_company_contact(
            actor, company, address=form.address.data, email=form.email.data, phone=form.phone.data
        )
    return done(company_json(company, services.company_access(actor, company)))


@bp.post("/companies/<int:company_id>/employees")
def add_employee(company_id: int):
    actor = api_actor()
    company = services.get_company(actor, company_id)
    actor.require(services.can_manage_staff(actor, company))
    form = form_from_json(EmploymentForm, json_body())
    employment = services.add_employment(
        actor, company, national_id=form.national_id.data, started_on=form.started_on.data
    )
    return done(employment_json(employment), 201)


@bp.post("/companies/<int:company_id>/employees/<int:employment_id>/end")
def end_employee(company_id: int, employment_id: int):
    actor = api_actor()
    company = services.get_company(actor, company_id)
    actor.require(services.can_manage_staff(actor, company))
    employment = services.get_employment(actor, company, employment_id)
    form = form_from_json(EndEmploymentForm, json_body())
    services.end_employment(actor, employment, ended_on=form.ended_on.data)
    return done(employment_json(employment))


@bp.get("/me")
def me():
    actor = api_actor()
    user = actor.user
    return done({
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role.value,
        "country_code": user.country_code,
        "company_id": user.company_id,
        "technician_id": user.technician_id,
    })


@bp.post("/authorities")
def add_authority():
    """Appoint an issuing authority in the token user's country (administrators)."""
    actor = api_actor()
    actor.require(actor.has_role(Role.ADMIN))
    form = form_from_json(AuthorityForm, json_body())
    authority = services.add_authority(actor, actor.country_code, name=form.name.data, kind=form.kind.data,
                                       address=form.address.data)
    return done({"id": authority.id, "name": authority.name, "kind": authority.kind.value,
                 "country_code": authority.country_code, "address": authority.address}, 201)
