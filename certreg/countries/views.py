"""Pages: the administrator's country settings, and each country's public rules page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certreg.countries import protocol, services
from certreg.countries.forms import settings_form
from certreg.countries.models import USED_ODS_SALES_LABELS
from certreg.registry import services as registry
from certreg.web import actor, form_status, submit

bp = Blueprint("countries", __name__)


@bp.route("/countries/settings", methods=["GET", "POST"])
@login_required
def settings():
    """The administrator's settings of their country: ban dates, used-ODS policy, leak threshold, texts."""
    country = current_user.country_code
    actor().require(services.can_manage(actor(), country))
    current = services.country_rules(country)
    form = settings_form(services.languages())(data=current.values())
    done = submit(form, lambda: services.update_settings(
        actor(), country, {name: form[name].data for name in services.setting_keys()}))
    if done:
        flash(_("Saved."), "success")
        return redirect(url_for("countries.settings"))
    return render_template("countries/settings.html", form=form, rules=current,
                           party_group_labels=protocol.PARTY_GROUP_LABELS), form_status(form)


@bp.get("/rules")
def index():
    """Public: the countries, each with a link to its rules page."""
    return render_template("countries/index.html", countries=registry.active_countries())


@bp.get("/rules/<code>")
def rules(code: str):
    """Public: the rules certreg enforces in a country, the bans and their dates, and the penalties."""
    page = services.public_rules(code, str(get_locale()))
    return render_template("countries/rules.html", **page, party_group_labels=protocol.PARTY_GROUP_LABELS,
                           used_ods_sales_labels=USED_ODS_SALES_LABELS)
