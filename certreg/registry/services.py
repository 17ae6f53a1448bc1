"""Registry rules: who may register, see and change technicians and companies."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.errors import NotFound, ValidationFailed
from certreg.extensions import db
from certreg.registry.models import (
    Activity,
    AuthorityKind,
    Company,
    CompanyActivity,
    Country,
    Employment,
    IssuingAuthority,
    Technician,
    TrainingRecord,
)
from certreg.vocabulary import OFFICIAL_ROLES, Role

logger = logging.getLogger(__name__)

REGISTRY_MANAGERS = (Role.ADMIN, Role.CERTIFYING_OFFICER)


class Access(enum.IntEnum):
    """How much of a record an actor may see."""
    PUBLIC = 1  # name, employer, country, certification status
    EMPLOYER = 2  # + contact details and training (a company seeing its own staff)
    FULL = 3  # + national ID and date of birth


# --- countries -----------------------------------------------------------------


def active_countries() -> Sequence[Country]:
    return db.session.scalars(sa.select(Country).where(Country.is_active).order_by(Country.code)).all()


def get_country(code: str | None, *, field: str = "country_code") -> Country:
    country = db.session.get(Country, (code or "").upper()) if code else None
    if country is None or not country.is_active:
        raise ValidationFailed.for_field(field, _("Unknown country."), "unknown_country")
    return country


def list_authorities(country_code: str) -> Sequence[IssuingAuthority]:
    return db.session.scalars(
        sa.select(IssuingAuthority).where(IssuingAuthority.country_code == country_code).order_by(IssuingAuthority.id)
    ).all()


def add_authority(actor: Actor, country_code: str, *, name: str, kind: str, address: str | None = None
                  ) -> IssuingAuthority:
    """Appoint an issuing authority (a certification body, or the national ozone unit) in a country.

    Only the country's administrators (or the command line) appoint them.
    """

    country = get_country(country_code)
    actor.require(actor.is_system or actor.in_country(country.code, Role.ADMIN))
    try:
        kind_value = AuthorityKind(kind)
    except ValueError:
        raise ValidationFailed.for_field("kind", _("Unknown kind of authority."), "invalid_choice") from None
    exists = db.session.scalar(sa.select(IssuingAuthority.id).where(
        IssuingAuthority.country_code == country.code, IssuingAuthority.name == name))
    if exists is not None:
        raise ValidationFailed.for_field("name", _("This country already has an authority of this name."),
                                         "duplicate_authority")
    authority = IssuingAuthority(country_code=country.code, name=name, kind=kind_value,
                                 address=_blank_to_none(address))
    db.session.add(authority)
    db.session.flush()
    audit.record(actor, "issuing_authority.create", authority, object_type="issuing_authority",
                 summary=audit.msg("Appointed issuing authority %(name)s", name=name),
                 after={"name": name, "kind": kind_value, "address": authority.address})
    return authority


# --- access --------------------------------------------------------------------


def technician_access(actor: Actor, technician: Technician) -> Access:
    if actor.is_system or actor.in_country(technician.country_code, *OFFICIAL_ROLES):
        return Access.FULL
    if actor.acts_for_technician(technician.id):
        return Access.FULL
    if actor.has_role(Role.COMPANY_USER) and any(
        e.company_id == actor.user.company_id and e.ended_on is None for e in technician.employments
    ):
        return Access.EMPLOYER
    return Access.PUBLIC


def company_access(actor: Actor, company: Company) -> Access:
    if actor.is_system or actor.in_country(company.country_code, *OFFICIAL_ROLES):
        return Access.FULL
    if actor.acts_for_company(company.id):
        return Access.FULL
    return Access.PUBLIC


def can_manage_registry(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, *REGISTRY_MANAGERS)


def can_edit_technician_contact(actor: Actor, technician: Technician) -> bool:
    return can_manage_registry(actor, technician.country_code) or actor.acts_for_technician(technician.id)


def can_edit_company_contact(actor: Actor, company: Company) -> bool:
    return can_manage_registry(actor, company.country_code) or actor.acts_for_company(company.id)


class EditScope(enum.StrEnum):
    """What an actor may change of a technician's or company's record (every surface asks this once)."""
    FULL = "full"  # officials of the country: every field
    CONTACT = "contact"  # the technician or the company's users: contact details (and a company's address)


def edit_scope(actor: Actor, record: Technician | Company) -> EditScope:
    """:raise Forbidden: the actor may change nothing of ``record``."""
    if can_manage_registry(actor, record.country_code):
        return EditScope.FULL
    if isinstance(record, Technician):
        actor.require(actor.acts_for_technician(record.id))
    else:
        actor.require(actor.acts_for_company(record.id))
    return EditScope.CONTACT


def can_manage_staff(actor: Actor, company: Company) -> bool:
    return can_manage_registry(actor, company.country_code) or actor.acts_for_company(company.id)


# --- search keys ------------------------------------------------------------------


def search_key(*parts: str | None) -> str:
    """Case-folded text searched with LIKE (SQLite's lower() only knows ASCII)."""
    return " ".join(p.casefold() for p in parts if p)


# --- technicians -------------------------------------------------------------------


@dataclass
class TechnicianData:
    country_code: str
    full_name: str
    full_name_latin: str
    national_id: str
    date_of_birth: date
    email: str | None = None
    phone: str | None = None
    address: str | None = None


TECHNICIAN_FIELDS = [f.name for f in fields(TechnicianData)]
TECHNICIAN_CONTACT_FIELDS = ["email", "phone", "address"]


def _blank_to_none(value):
    return None if isinstance(value, str) and value == "" else value


def get_technician(actor: Actor, technician_id: int, *, minimum: Access = Access.PUBLIC) -> Technician:
    """:raise NotFound: when it does not exist, or the actor may not see that much of it."""
    technician = db.session.get(Technician, technician_id)
    if technician is None or technician_access(actor, technician) < minimum:
        raise NotFound()
    return technician


def _check_unique_national_id(country_code: str, national_id: str, exclude_id: int | None = None) -> None:
    query = sa.select(Technician.id).where(
        Technician.country_code == country_code, Technician.national_id == national_id
    )
    if exclude_id is not None:
        query = query.where(Technician.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise _duplicate_national_id()


def _duplicate_national_id() -> ValidationFailed:
    return ValidationFailed.for_field(
        "national_id",
        _("A technician with this national ID number is already registered in this country."),
        "duplicate_national_id",
    )


def _flush_unique(error: Callable[[], ValidationFailed]) -> None:
    """Flush; a unique constraint lost to a concurrent request becomes the same field error."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise error() from None


def create_technician(actor: Actor, data: TechnicianData) -> Technician:
    country = get_country(data.country_code)
    actor.require(can_manage_registry(actor, country.code))
    _check_unique_national_id(country.code, data.national_id)
    technician = Technician(**{name: _blank_to_none(getattr(data, name)) for name in TECHNICIAN_FIELDS})
    technician.country_code = country.code
    technician.search_key = search_key(data.full_name, data.full_name_latin)
    db.session.add(technician)
    _flush_unique(_duplicate_national_id)
    audit.record(
        actor,
        "technician.create",
        technician,
        summary=audit.msg("Registered technician %(name)s", name=technician.full_name_latin),
        after=audit.snapshot(technician, TECHNICIAN_FIELDS),
    )
    return technician


def update_technician(actor: Actor, technician: Technician, data: TechnicianData) -> Technician:
    actor.require(can_manage_registry(actor, technician.country_code))
    country = get_country(data.country_code)
    actor.require(can_manage_registry(actor, country.code))
    _check_unique_national_id(country.code, data.national_id, exclude_id=technician.id)
    before = audit.snapshot(technician, TECHNICIAN_FIELDS)
    for name in TECHNICIAN_FIELDS:
        setattr(technician, name, _blank_to_none(getattr(data, name)))
    technician.country_code = country.code
    technician.search_key = search_key(technician.full_name, technician.full_name_latin)
    _flush_unique(_duplicate_national_id)
    audit.record(
        actor, "technician.update", technician, summary=audit.msg("Edited technician %(name)s",
                                                                  name=technician.full_name_latin),
        before=before, after=audit.snapshot(technician, TECHNICIAN_FIELDS),
    )
    return technician


def update_technician_contact(
    actor: Actor, technician: Technician, *, email: str | None, phone: str | None, address: str | None
) -> Technician:
    actor.require(can_edit_technician_contact(actor, technician))
    before = audit.snapshot(technician, TECHNICIAN_CONTACT_FIELDS)
    technician.email, technician.phone, technician.address = map(_blank_to_none, (email, phone, address))
    db.session.flush()
    audit.record(
        actor, "technician.update_contact", technician, summary=audit.msg("Edited contact details"),
        before=before, after=audit.snapshot(technician, TECHNICIAN_CONTACT_FIELDS),
    )
    return technician


def add_training(
    actor: Actor, technician: Technician, *, course: str, completed_on: date, provider: str
) -> TrainingRecord:
    actor.require(can_manage_registry(actor, technician.country_code))
    record = TrainingRecord(technician=technician, course=course, completed_on=completed_on, provider=provider)
    db.session.add(record)
    db.session.flush()
    audit.record(
        actor, "training.create", record, country_code=technician.country_code,
        summary=audit.msg("Training “%(course)s” for technician %(technician_id)s",
                          course=course, technician_id=technician.id),
        after={"technician_id": technician.id, "course": course, "completed_on": completed_on, "provider": provider},
    )
    return record


def list_technicians(actor: Actor, country_code: str, *, q: str | None = None, page: int = 1, per_page: int = 50):
    """The country's technicians for its officials (full records), newest first."""
    actor.require(actor.in_country(country_code, *OFFICIAL_ROLES))
    query = sa.select(Technician).where(Technician.country_code == country_code)
    if q:
        needle = f"%{like_escape(q.casefold())}%"
        query = query.where(
            sa.or_(Technician.search_key.like(needle, escape="\\"), Technician.national_id == q.strip())
        )
    return db.paginate(query.order_by(Technician.id.desc()), page=page, per_page=per_page, error_out=False)


# --- companies ---------------------------------------------------------------------


@dataclass
class CompanyData:
    country_code: str
    legal_name: str
    name_latin: str
    registration_number: str
    address: str
    activities: list[str]
    email: str | None = None
    phone: str | None = None


COMPANY_FIELDS = ["country_code", "legal_name", "name_latin", "registration_number", "address", "email", "phone"]
COMPANY_CONTACT_FIELDS = ["address", "email", "phone"]


def get_company(actor: Actor, company_id: int, *, minimum: Access = Access.PUBLIC) -> Company:
    """:raise NotFound: when it does not exist, or the actor may not see that much of it."""
    company = db.session.get(Company, company_id)
    if company is None or company_access(actor, company) < minimum:
        raise NotFound()
    return company


def _duplicate_registration() -> ValidationFailed:
    return ValidationFailed.for_field(
        "registration_number",
        _("A company with this registration number is already registered in this country."),
        "duplicate_registration_number",
    )


def _check_unique_registration(country_code: str, number: str, exclude_id: int | None = None) -> None:
    query = sa.select(Company.id).where(Company.country_code == country_code, Company.registration_number == number)
    if exclude_id is not None:
        query = query.where(Company.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise _duplicate_registration()


def _parse_activities(values: list[str]) -> list[Activity]:
    try:
        activities = sorted({Activity(v) for v in values})
    except ValueError:
        raise ValidationFailed.for_field("activities", _("Unknown activity."), "invalid_choice") from None
    if not activities:
        raise ValidationFailed.for_field("activities", _("Choose at least one activity."), "required")
    return activities


def _company_snapshot(company: Company) -> dict:
    data = audit.snapshot(company, COMPANY_FIELDS)
    data["activities"] = sorted(a.activity.value for a in company.activities)
    return data


def create_company(actor: Actor, data: CompanyData) -> Company:
    country = get_country(data.country_code)
    actor.require(can_manage_registry(actor, country.code))
    activities = _parse_activities(data.activities)
    _check_unique_registration(country.code, data.registration_number)
    company = Company(**{name: _blank_to_none(getattr(data, name)) for name in COMPANY_FIELDS})
    company.country_code = country.code
    company.activities = [CompanyActivity(activity=a) for a in activities]
    company.search_key = search_key(data.legal_name, data.name_latin, data.registration_number)
    db.session.add(company)
    _flush_unique(_duplicate_registration)
    audit.record(actor, "company.create", company, summary=audit.msg("Registered company %(name)s",
                                                                     name=company.name_latin),
                 after=_company_snapshot(company))
    return company


def update_company(actor: Actor, company: Company, data: CompanyData) -> Company:
    actor.require(can_manage_registry(actor, company.country_code))
    country = get_country(data.country_code)
    actor.require(can_manage_registry(actor, country.code))
    activities = _parse_activities(data.activities)
    _check_unique_registration(country.code, data.registration_number, exclude_id=company.id)
    before = _company_snapshot(company)
    for name in COMPANY_FIELDS:
        setattr(company, name, _blank_to_none(getattr(data, name)))
    company.country_code = country.code
    current = company.activity_set
    company.activities = [a for a in company.activities if a.activity in activities] + [
        CompanyActivity(activity=a) for a in activities if a not in current
    ]
    company.search_key = search_key(company.legal_name, company.name_latin, company.registration_number)
    _flush_unique(_duplicate_registration)
    audit.record(actor, "company.update", company, summary=audit.msg("Edited company %(name)s",
                                                                     name=company.name_latin),
                 before=before, after=_company_snapshot(company))
    return company


def update_company_contact(
    actor: Actor, company: Company, *, address: str, email: str | None, phone: str | None
) -> Company:
    actor.require(can_edit_company_contact(actor, company))
    before = audit.snapshot(company, COMPANY_CONTACT_FIELDS)
    company.address, company.email, company.phone = address, _blank_to_none(email), _blank_to_none(phone)
    db.session.flush()
    audit.record(actor, "company.update_contact", company, summary=audit.msg("Edited contact details"),
                 before=before, after=audit.snapshot(company, COMPANY_CONTACT_FIELDS))
    return company


def list_companies(actor: Actor, country_code: str, *, q: str | None = None, activity: str | None = None,
                   page: int = 1, per_page: int = 50):
    actor.require(actor.in_country(country_code, *OFFICIAL_ROLES))
    query = sa.select(Company).where(Company.country_code == country_code)
    if q:
        needle = f"%{like_escape(q.casefold())}%"
        query = query.where(Company.search_key.like(needle, escape="\\"))
    if activity in {a.value for a in Activity}:
        query = query.where(Company.activities.any(CompanyActivity.activity == Activity(activity)))
    return db.paginate(query.order_by(Company.id.desc()), page=page, per_page=per_page, error_out=False)


# --- employment --------------------------------------------------------------------


def add_employment(actor: Actor, company: Company, *, national_id: str, started_on: date) -> Employment:
    """Record that the technician with ``national_id`` (in the company's country) works for the company."""
    actor.require(can_manage_staff(actor, company))
    technician = db.session.scalar(
        sa.select(Technician).where(
            Technician.country_code == company.country_code, Technician.national_id == national_id
        )
    )
    if technician is None:
        raise ValidationFailed.for_field(
            "national_id", _("No technician with this national ID number is registered in this country."),
            "unknown_technician",
        )
    if any(e.company_id == company.id and e.ended_on is None for e in technician.employments):
        raise ValidationFailed.for_field(
            "national_id", _("This technician already works for this company."), "already_employed"
        )
    employment = Employment(technician=technician, company=company, started_on=started_on)
    db.session.add(employment)
    db.session.flush()
    audit.record(actor, "employment.create", employment, country_code=company.country_code,
                 summary=audit.msg("Technician %(technician_id)s employed by company %(company_id)s",
                                   technician_id=technician.id, company_id=company.id),
                 after={"technician_id": technician.id, "company_id": company.id, "started_on": started_on})
    return employment


def end_employment(actor: Actor, employment: Employment, *, ended_on: date) -> Employment:
    actor.require(can_manage_staff(actor, employment.company))
    if employment.ended_on is not None:
        raise ValidationFailed.for_field("ended_on", _("This employment has already ended."), "already_ended")
    if ended_on < employment.started_on:
        raise ValidationFailed.for_field(
            "ended_on", _("The end date cannot be before the start date."), "dates_out_of_order"
        )
    employment.ended_on = ended_on
    db.session.flush()
    audit.record(actor, "employment.end", employment, country_code=employment.company.country_code,
                 summary=audit.msg("Technician %(technician_id)s left company %(company_id)s",
                                   technician_id=employment.technician_id, company_id=employment.company_id),
                 before={"ended_on": None}, after={"ended_on": ended_on})
    return employment


def get_employment(actor: Actor, company: Company, employment_id: int) -> Employment:
    employment = db.session.get(Employment, employment_id)
    if employment is None or employment.company_id != company.id:
        raise NotFound()
    return employment


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
