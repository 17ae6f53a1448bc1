"""Registry pages: technicians, companies, staff, and the public search."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certreg.audit.access import log_access
from certreg.db import today
from certreg.extensions import db
from certreg.registry import services
from certreg.registry.forms import (
    AuthorityForm,
    CompanyContactForm,
    CompanyForm,
    EmploymentForm,
    EndEmploymentForm,
    SearchForm,
    TechnicianContactForm,
    TechnicianForm,
    TrainingForm,
    country_choices,
)
from certreg.registry.models import ACTIVITY_LABELS
from certreg.registry.search import public_search
from certreg.registry.services import Access
from certreg.transactions import writes
from certreg.vocabulary import Role
from certreg.web import actor, args_str, form_status, page_arg, submit

bp = Blueprint("registry", __name__)


def technician_data(form: TechnicianForm) -> services.TechnicianData:
    return services.TechnicianData(**{name: form[name].data for name in services.TECHNICIAN_FIELDS})


def company_data(form: CompanyForm) -> services.CompanyData:
    return services.CompanyData(
        **{name: form[name].data for name in services.COMPANY_FIELDS}, activities=form.activities.data or []
    )


# --- technicians -----------------------------------------------------------------------


@bp.get("/registry/technicians")
@login_required
@writes  # the personal data access log
def technicians():
    q = args_str("q")
    pagination = services.list_technicians(
        actor(), current_user.country_code, q=q, page=page_arg(), per_page=50
    )
    log_access(actor(), pagination.items, "web")  # the list shows national ID numbers
    db.session.commit()
    return render_template("registry/technicians.html", pagination=pagination, q=q)


@bp.route("/registry/technicians/new", methods=["GET", "POST"])
@login_required
def new_technician():
    actor().require(services.can_manage_registry(actor(), current_user.country_code))
    form = TechnicianForm(country_code=current_user.country_code)
    done = submit(form, lambda: services.create_technician(actor(), technician_data(form)))
    if done:
        flash(_("Technician %(name)s registered.", name=done.result.full_name), "success")
        return redirect(url_for("registry.technician", technician_id=done.result.id))
    return render_template("registry/technician_form.html", form=form, technician=None), form_status(form)


@bp.get("/registry/technicians/<int:technician_id>")
@login_required
@writes  # the personal data access log
def technician(technician_id: int):
    record = services.get_technician(actor(), technician_id)
    access = services.technician_access(actor(), record)
    if access >= Access.FULL:  # the page shows the national ID number and date of birth
        log_access(actor(), [record], "web")
        db.session.commit()
    can_manage = services.can_manage_registry(actor(), record.country_code)
    return render_template(
        "registry/technician.html",
        technician=record,
        access=access,
        Access=Access,
        can_manage=can_manage,
        can_edit_contact=services.can_edit_technician_contact(actor(), record),
        training_form=TrainingForm() if can_manage else None,
    )


@bp.route("/registry/technicians/<int:technician_id>/edit", methods=["GET", "POST"])
@login_required
def edit_technician(technician_id: int):
    record = services.get_technician(actor(), technician_id)
    if services.edit_scope(actor(), record) is services.EditScope.FULL:
        form = TechnicianForm(obj=record)
        done = submit(form, lambda: services.update_technician(actor(), record, technician_data(form)))
    else:
        form = TechnicianContactForm(obj=record)
        done = submit(form, lambda: services.update_technician_contact(
            actor(), record, email=form.email.data, phone=form.phone.data, address=form.address.data))
    if done:
        flash(_("Saved."), "success")
        return redirect(url_for("registry.technician", technician_id=record.id))
    return render_template("registry/technician_form.html", form=form, technician=record), form_status(form)


@bp.post("/registry/technicians/<int:technician_id>/trainings")
@login_required
def add_training(technician_id: int):
    record = services.get_technician(actor(), technician_id)
    actor().require(services.can_manage_registry(actor(), record.country_code))
    form = TrainingForm()
    done = submit(form, lambda: services.add_training(
        actor(), record, course=form.course.data, completed_on=form.completed_on.data, provider=form.provider.data))
    if done:
        flash(_("Training recorded."), "success")
        return redirect(url_for("registry.technician", technician_id=record.id))
    return render_template(
        "registry/technician.html", technician=record, access=Access.FULL, Access=Access, can_manage=True,
        can_edit_contact=True, training_form=form,
    ), form_status(form)


# --- companies ---------------------------------------------------------------------------


@bp.get("/registry/companies")
@login_required
def companies():
    q = args_str("q")
    activity = args_str("activity")
    pagination = services.list_companies(
        actor(), current_user.country_code, q=q, activity=activity, page=page_arg(), per_page=50
    )
    return render_template(
        "registry/companies.html", pagination=pagination, q=q, activity=activity, activity_labels=ACTIVITY_LABELS
    )


@bp.route("/registry/companies/new", methods=["GET", "POST"])
@login_required
def new_company():
    actor().require(services.can_manage_registry(actor(), current_user.country_code))
    form = CompanyForm(country_code=current_user.country_code)
    done = submit(form, lambda: services.create_company(actor(), company_data(form)))
    if done:
        flash(_("Company %(name)s registered.", name=done.result.legal_name), "success")
        return redirect(url_for("registry.company", company_id=done.result.id))
    return render_template("registry/company_form.html", form=form, company=None), form_status(form)


def _company_page(record, **extra):
    can_staff = services.can_manage_staff(actor(), record)
    return render_template(
        "registry/company.html",
        company=record,
        access=services.company_access(actor(), record),
        Access=Access,
        activity_labels=ACTIVITY_LABELS,
        can_manage=services.can_manage_registry(actor(), record.country_code),
        can_edit_contact=services.can_edit_company_contact(actor(), record),
        employment_form=extra.get("employment_form")
        or (EmploymentForm(started_on=today()) if can_staff else None),
        end_form=EndEmploymentForm(ended_on=today()) if can_staff else None,
    )


@bp.get("/registry/companies/<int:company_id>")
@login_required
def company(company_id: int):
    return _company_page(services.get_company(actor(), company_id))


@bp.route("/registry/companies/<int:company_id>/edit", methods=["GET", "POST"])
@login_required
def edit_company(company_id: int):
    record = services.get_company(actor(), company_id)
    if services.edit_scope(actor(), record) is services.EditScope.FULL:
        form = CompanyForm(obj=record, activities=[a.activity.value for a in record.activities])
        done = submit(form, lambda: services.update_company(actor(), record, company_data(form)))
    else:
        form = CompanyContactForm(obj=record)
        done = submit(form, lambda: services.update_company_contact(
            actor(), record, address=form.address.data, email=form.email.data, phone=form.phone.data))
    if done:
        flash(_("Saved."), "success")
        return redirect(url_for("registry.company", company_id=record.id))
    return render_template("registry/company_form.html", form=form, company=record), form_status(form)


@bp.post("/registry/companies/<int:company_id>/employees")
@login_required
def add_employee(company_id: int):
    record = services.get_company(actor(), company_id)
    actor().require(services.can_manage_staff(actor(), record))
    form = EmploymentForm()
    done = submit(form, lambda: services.add_employment(
        actor(), record, national_id=form.national_id.data, started_on=form.started_on.data))
    if done:
        flash(_("Employee added."), "success")
        return redirect(url_for("registry.company", company_id=record.id))
    return _company_page(record, employment_form=form), form_status(form)


@bp.post("/registry/companies/<int:company_id>/employees/<int:employment_id>/end")
@login_required
def end_employee(company_id: int, employment_id: int):
    record = services.get_company(actor(), company_id)
    actor().require(services.can_manage_staff(actor(), record))
    employment = services.get_employment(actor(), record, employment_id)
    form = EndEmploymentForm()
    if submit(form, lambda: services.end_employment(actor(), employment, ended_on=form.ended_on.data)):
        flash(_("Employment ended."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
    return redirect(url_for("registry.company", company_id=record.id))


# --- issuing authorities ---------------------------------------------------------------


@bp.route("/registry/authorities", methods=["GET", "POST"])
@login_required
def authorities():
    """The country's issuing authorities; its administrators appoint certification bodies here."""
    can_add = current_user.role is Role.ADMIN
    form = AuthorityForm()
    if request.method == "POST":
        actor().require(can_add)
        done = submit(form, lambda: services.add_authority(
            actor(), current_user.country_code, name=form.name.data, kind=form.kind.data, address=form.address.data))
        if done:
            flash(_("Issuing authority %(name)s added.", name=done.result.name), "success")
            return redirect(url_for("registry.authorities"))
    authorities = services.list_authorities(current_user.country_code)
    return render_template("registry/authorities.html", authorities=authorities,
                           form=form if can_add else None), form_status(form)


# --- public search -------------------------------------------------------------------


@bp.get("/search")
def search():
    """Public registry search (no sign-in): only public fields are ever shown."""
    form = SearchForm(request.args)
    form.country.choices = country_choices(blank=_("All countries"))
    results = []
    if form.validate() and form.q.data:
        results = public_search(form.q.data, country_code=form.country.data or None)
    return render_template("registry/search.html", form=form, results=results, searched=bool(form.q.data))


