"""The focal point directory: every country's, for officials of any country; edited by each country's admin."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certreg.focalpoints import federated, services
from certreg.focalpoints.forms import FocalPointForm
from certreg.focalpoints.models import KIND_LABELS
from certreg.forms import BaseForm
from certreg.web import actor, form_status, submit

bp = Blueprint("focalpoints", __name__, url_prefix="/focal-points")


def _data(form: FocalPointForm) -> services.FocalPointData:
    return services.FocalPointData(**{name: form[name].data or "" for name in
                                      services.FocalPointData.__dataclass_fields__})


@bp.get("")
@login_required
def index():
    entries = services.listing(actor())
    by_country: dict[str, list] = {}
    for entry in entries:
        by_country.setdefault(entry.country_code, []).append(entry)
    return render_template("focalpoints/index.html", by_country=by_country, kinds=KIND_LABELS,
                           peer_directories=federated.peer_directories(set(by_country)),
                           can_manage=services.can_manage(actor(), current_user.country_code))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    actor().require(services.can_manage(actor(), current_user.country_code))
    form = FocalPointForm()
    if submit(form, lambda: services.save(actor(), current_user.country_code, _data(form))):
        flash(_("Saved."), "success")
        return redirect(url_for("focalpoints.index"))
    return render_template("focalpoints/edit.html", form=form, entry=None), form_status(form)


@bp.route("/<int:focal_point_id>/edit", methods=["GET", "POST"])
@login_required
def edit(focal_point_id: int):
    entry = services.get(actor(), focal_point_id)
    actor().require(services.can_manage(actor(), entry.country_code))
    form = FocalPointForm(obj=entry)
    if submit(form, lambda: services.save(actor(), entry.country_code, _data(form), entry)):
        flash(_("Saved."), "success")
        return redirect(url_for("focalpoints.index"))
    return render_template("focalpoints/edit.html", form=form, entry=entry), form_status(form)


@bp.post("/<int:focal_point_id>/delete")
@login_required
def delete(focal_point_id: int):
    entry = services.get(actor(), focal_point_id)
    actor().require(services.can_manage(actor(), entry.country_code))
    if submit(BaseForm(), lambda: services.remove(actor(), entry)) is None:  # the form expired
        return redirect(url_for("focalpoints.edit", focal_point_id=focal_point_id))
    flash(_("Removed."), "success")
    return redirect(url_for("focalpoints.index"))
