"""Equipment pages, on the logbook's blueprint: the register, a unit with its work and its QR label, and
where a scanned label leads."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certreg.certificates.qr import render_svg
from certreg.db import today
from certreg.logbook import equipment as equipment_services
from certreg.logbook import holders
from certreg.logbook.forms import EquipmentForm, InterventionForm
from certreg.logbook.views import bp, own_holder
from certreg.vocabulary import OFFICIAL_ROLES, Role
from certreg.web import actor, args_str, form_status, page_arg, submit


@bp.get("/equipment")
@login_required
def equipment_list():
    who = holders.acting_holder(actor())
    if who is None:
        actor().require(current_user.role in OFFICIAL_ROLES)
    q = args_str("q")
    pagination = equipment_services.search(actor(), current_user.country_code, q, who=who, limit=50, page=page_arg())
    return render_template("logbook/equipment_list.html", pagination=pagination, q=q, who=who,
                           rates=equipment_services.leak_rates(list(pagination.items)))


@bp.route("/equipment/new", methods=["GET", "POST"])
@login_required
def new_equipment():
    who = own_holder()
    form = EquipmentForm(owner_kind="company")
    done = submit(form, lambda: equipment_services.register(actor(), who, equipment_services.EquipmentData(
        owner_kind=form.owner_kind.data, owner_name=form.owner_name.data, site_address=form.site_address.data,
        kind=form.kind.data, substance=form.substance.data, nominal_charge=form.nominal_charge.data,
        description=form.description.data)))
    if done:
        flash(_("Equipment %(code)s registered. Print its QR label and stick it on the unit.", code=done.result.code),
              "success")
        return redirect(url_for("logbook.equipment_detail", equipment_id=done.result.id))
    return render_template("logbook/equipment_form.html", form=form), form_status(form)


def _equipment_page(unit, form=None, status: int = 200):
    who = holders.acting_holder(actor())
    can_work = who is not None and who.country_code == unit.country_code and unit.decommissioned_on is None
    if can_work and form is None:
        form = InterventionForm(performed_on=today(), charge_condition="virgin")
    return render_template("logbook/equipment.html", unit=unit, form=form if can_work else None,
                           rate=equipment_services.leak_rates([unit])[unit.id],
                           label_url=equipment_services.label_url(unit)), status


@bp.get("/equipment/<int:equipment_id>")
@login_required
def equipment_detail(equipment_id: int):
    return _equipment_page(equipment_services.get_equipment(actor(), equipment_id))


@bp.post("/equipment/<int:equipment_id>/interventions")
@login_required
def add_intervention(equipment_id: int):
    unit = equipment_services.get_equipment(actor(), equipment_id)
    who = own_holder()
    form = InterventionForm()
    done = submit(form, lambda: equipment_services.record_intervention(
        actor(), who, unit, equipment_services.InterventionData.from_form(form)))
    if done:
        flash(_("Work recorded."), "success")
        return redirect(url_for("logbook.equipment_detail", equipment_id=unit.id))
    return _equipment_page(equipment_services.get_equipment(actor(), equipment_id), form, form_status(form))


@bp.get("/equipment/<int:equipment_id>/label")
@login_required
def equipment_label(equipment_id: int):
    unit = equipment_services.get_equipment(actor(), equipment_id)
    return render_template("logbook/label.html", unit=unit, label_url=equipment_services.label_url(unit))


@bp.get("/equipment/<int:equipment_id>/qr.svg")
@login_required
def equipment_qr(equipment_id: int):
    unit = equipment_services.get_equipment(actor(), equipment_id)
    return Response(render_svg(equipment_services.label_qr(unit)), mimetype="image/svg+xml")


@bp.get("/e/<code>")
@login_required
def scanned(code: str):
    """Where an equipment label's QR code leads: the quick entry for those who service it, else its page."""
    unit = equipment_services.get_by_code(actor(), code)
    if current_user.role in (Role.TECHNICIAN, Role.COMPANY_USER):
        return redirect(url_for("logbook.quick", equipment=unit.code))
    return redirect(url_for("logbook.equipment_detail", equipment_id=unit.id))
