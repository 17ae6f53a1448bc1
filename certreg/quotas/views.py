"""Pages: the quota dashboard (limit, allocated, used, remaining per group and importer) and the forms of the
ozone unit (baseline, allocation, transfer)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certreg.db import today
from certreg.forms import choices
from certreg.quotas import services
from certreg.quotas.forms import GROUP_LABELS, AllocationForm, BaselineForm, TransferForm
from certreg.quotas.models import KIND_LABELS
from certreg.quotas.usage import unit_label
from certreg.web import actor, form_status, submit

bp = Blueprint("quotas", __name__)


def num(value) -> str:
    """A quota figure as written on the pages (no trailing zeros; a dash for none)."""
    if value is None:
        return "—"
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0E-12") else text


def _year_arg() -> int:
    value = request.args.get("year", "")
    return int(value) if value.isdigit() and 1989 <= int(value) <= 2200 else today().year


def _country() -> str:
    country = current_user.country_code
    actor().require(services.can_view(actor(), country))
    return country


@bp.get("/quotas")
@login_required
def dashboard():
    """Each control group's limit, allocated, used and remaining quota for a year, and per importer."""
    country = _country()
    year = _year_arg()
    groups = services.overview(actor(), country, year)
    return render_template("quotas/dashboard.html", country=country, year=year, groups=groups,
                           group_labels=GROUP_LABELS, unit_label=unit_label, num=num,
                           can_manage=services.can_manage(actor(), country))


def _importer_choices(country: str):
    return choices([("", _("Choose…"))] + [(c.registration_number, f"{c.legal_name} ({c.registration_number})")
                                          for c in services.importers(actor(), country)])


def _manage() -> str:
    country = current_user.country_code
    actor().require(services.can_manage(actor(), country))
    return country


@bp.route("/quotas/baseline", methods=["GET", "POST"])
@login_required
def baseline():
    """Enter or correct the country's baseline for a control group."""
    country = _manage()
    form = BaselineForm()
    done = submit(form, lambda: services.set_baseline(actor(), country, form.group.data, form.baseline.data,
                                                      form.source.data))
    if done:
        flash(_("Saved."), "success")
        return redirect(url_for("quotas.dashboard"))
    return render_template("quotas/baseline.html", form=form), form_status(form)


@bp.route("/quotas/allocate", methods=["GET", "POST"])
@login_required
def allocate():
    """Allocate quota to an importer for a year."""
    country = _manage()
    form = AllocationForm()
    form.company.choices = _importer_choices(country)
    if request.method == "GET":
        form.year.data = str(_year_arg())
    done = submit(form, lambda: services.allocate(actor(), country, form.year.data, form.group.data,
                                                  form.company.data, form.amount.data, form.reason.data))
    if done:
        flash(_("Quota allocated."), "success")
        return redirect(url_for("quotas.dashboard", year=done.result.year))
    return render_template("quotas/allocate.html", form=form), form_status(form)


@bp.route("/quotas/transfer", methods=["GET", "POST"])
@login_required
def transfer():
    """Move quota from one importer to another."""
    country = _manage()
    form = TransferForm()
    form.from_company.choices = form.to_company.choices = _importer_choices(country)
    if request.method == "GET":
        form.year.data = str(_year_arg())
    done = submit(form, lambda: services.transfer(actor(), country, form.year.data, form.group.data,
                                                  form.from_company.data, form.to_company.data, form.amount.data,
                                                  form.reason.data))
    if done:
        flash(_("Quota moved."), "success")
        return redirect(url_for("quotas.dashboard", year=done.result[1].year))
    return render_template("quotas/transfer.html", form=form), form_status(form)


@bp.get("/quotas/<int:year>/<path:group>")
@login_required
def ledger(year: int, group: str):
    """The latest lines of the quota ledger of a year and group."""
    country = _country()
    lines = services.lines(actor(), country, year, group)
    names = {c.id: c.legal_name for c in services.importers(actor(), country)}
    return render_template("quotas/ledger.html", year=year, group=group.upper(), lines=lines, names=names,
                           kind_labels=KIND_LABELS, group_labels=GROUP_LABELS, unit_label=unit_label, num=num)
