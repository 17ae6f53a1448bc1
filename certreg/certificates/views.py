"""Certificate pages for officers and holders: list, issue, renew, suspend, reinstate, revoke,
downloads, categories; and the certificate panels on holder and home pages."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Flask, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certreg.certificates import access, catalogue, lifecycle, outputs, queries, states
from certreg.certificates.forms import (
    ACTIVITY_LABELS,
    SUBSTANCE_LABELS,
    CategoryForm,
    IssueForm,
    ReinstateForm,
    RenewForm,
    RevokeForm,
    SuspendForm,
)
from certreg.certificates.models import EVENT_LABELS, SCHEME_LABELS
from certreg.db import today as utc_today
from certreg.errors import NotFound
from certreg.forms import choices
from certreg.inputs import parse_id
from certreg.vocabulary import HolderKind
from certreg.web import actor, args_str, form_status, page_arg, submit

bp = Blueprint("certificates", __name__, url_prefix="/certificates")

def filter_labels() -> dict[str, str]:
    return {"all": _("All"), "current": _("Current"), "expiring": _("Expiring soon"), "suspended": _("Suspended"),
            "revoked": _("Revoked"), "expired": _("Expired")}


def state_labels() -> dict[str, str]:
    return {"valid": _("Valid"), "not_yet_valid": _("Not yet valid"), "expired": _("Expired"),
            "suspended": _("Suspended"), "revoked": _("Revoked"), "superseded": _("Replaced")}


def language() -> str:
    return str(get_locale() or "en")


def _category_choices(form, holder_kind: str, country_code: str) -> None:
    form.categories.choices = choices(
        (c.code, f"{c.code} — {c.name(language())}") for c in catalogue.active_categories(holder_kind, country_code))


def _issue_data(form, holder_kind: str, holder_id: int) -> lifecycle.IssueData:
    return lifecycle.IssueData(holder_kind=holder_kind, holder_id=holder_id,
                               categories=list(form.categories.data or []),
                               valid_from=form.valid_from.data, valid_until=form.valid_until.data,
                               authority_id=getattr(form, "authority_id", None) and form.authority_id.data)


def _default_dates() -> dict[str, date]:
    start = utc_today()
    years = current_app.config["CERTIFICATE_VALIDITY_YEARS"]
    return {"valid_from": start, "valid_until": start.replace(year=start.year + years) - timedelta(days=1)}


@bp.get("")
@login_required
def index():
    list_filter = args_str("filter", "all")
    q = args_str("q")
    days = current_app.config["CERTIFICATE_EXPIRING_DAYS"]
    pagination = queries.list_certificates(actor(), current_user.country_code, list_filter=list_filter, q=q,
                                            days=days, page=page_arg())
    return render_template("certificates/index.html", pagination=pagination, list_filter=list_filter, q=q,
                           filters=filter_labels(), states=state_labels(), today=states.today(), days=days,
                           state_on=states.state_on,
                           can_certify=access.can_certify(actor(), current_user.country_code))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Issue: ``?kind=technician&holder=<id>`` (from the holder's page)."""
    kind = args_str("kind", "technician")
    holder_id = parse_id(request.args.get("holder")) or 0
    holder = queries.holder_of(kind, holder_id) if kind in ("technician", "company") and holder_id else None
    if holder is None:
        raise NotFound()
    actor().require(access.can_certify(actor(), holder.country_code))
    form = IssueForm(holder_kind=kind, holder_id=holder.id, **_default_dates())
    _category_choices(form, kind, holder.country_code)
    done = submit(form, lambda: lifecycle.issue(actor(), _issue_data(form, kind, holder.id)))
    if done:
        flash(_("Certificate %(number)s issued.", number=done.result.number), "success")
        return redirect(url_for("certificates.detail", number=done.result.number))
    return render_template("certificates/issue.html", form=form, holder=holder, kind=kind,
                           existing=queries.current_certificate(kind, holder.id)), form_status(form)


@bp.get("/<number>")
@login_required
def detail(number: str):
    cert = queries.get_certificate(actor(), number)
    if cert.number != number:
        return redirect(url_for("certificates.detail", number=cert.number))
    return render_template("certificates/detail.html", cert=cert, state=states.state_on(cert, states.today()),
                           states=state_labels(), event_labels=EVENT_LABELS, lang=language(),
                           can_certify=access.can_certify(actor(), cert.country_code),
                           verify_url=outputs.verify_url_prefix() + cert.token)


ACTIONS = {"renew": RenewForm, "suspend": SuspendForm, "reinstate": ReinstateForm, "revoke": RevokeForm}


def _action_page(number: str, action: str):
    cert = queries.get_certificate(actor(), number)
    actor().require(access.can_certify(actor(), cert.country_code))
    form_class = ACTIONS[action]
    if action == "renew":
        today = utc_today()
        start = max(today, cert.valid_until + timedelta(days=1)) if cert.valid_until >= today else today
        years = current_app.config["CERTIFICATE_VALIDITY_YEARS"]
        form = form_class(categories=cert.category_codes, valid_from=start,
                          valid_until=start.replace(year=start.year + years) - timedelta(days=1))
        _category_choices(form, cert.holder_kind.value, cert.country_code)
        call = lambda: lifecycle.renew(actor(), cert, _issue_data(form, cert.holder_kind.value, cert.holder_id),  # noqa: E731
                                      reason=form.reason.data)
    else:
        form = form_class()
        call = {
            "suspend": lambda: lifecycle.suspend(actor(), cert, form.reason.data, until=form.until.data),
            "reinstate": lambda: lifecycle.reinstate(actor(), cert, form.reason.data),
            "revoke": lambda: lifecycle.revoke(actor(), cert, form.reason.data),
        }[action]
    done = submit(form, call)
    if done:
        target = done.result if action == "renew" else cert
        flash({"renew": _("Certificate renewed: %(number)s.", number=target.number),
               "suspend": _("Certificate suspended."), "reinstate": _("Certificate reinstated."),
               "revoke": _("Certificate revoked.")}[action], "success")
        return redirect(url_for("certificates.detail", number=target.number))
    titles = {"renew": _("Renew certificate"), "suspend": _("Suspend certificate"),
              "reinstate": _("Reinstate certificate"), "revoke": _("Revoke certificate")}
    return render_template("certificates/action.html", form=form, cert=cert, action=action,
                           title=titles[action]), form_status(form)


@bp.route("/<number>/renew", methods=["GET", "POST"])
@login_required
def renew(number: str):
    return _action_page(number, "renew")


@bp.route("/<number>/suspend", methods=["GET", "POST"])
@login_required
def suspend(number: str):
    return _action_page(number, "suspend")


@bp.route("/<number>/reinstate", methods=["GET", "POST"])
@login_required
def reinstate(number: str):
    return _action_page(number, "reinstate")


@bp.route("/<number>/revoke", methods=["GET", "POST"])
@login_required
def revoke(number: str):
    return _action_page(number, "revoke")


def download(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/<number>/qr.png")
@login_required
def qr_png(number: str):
    cert = queries.get_certificate(actor(), number)
    return download(outputs.qr_png(cert), "image/png", f"{cert.number}.png")


@bp.get("/<number>/qr.svg")
@login_required
def qr_svg(number: str):
    cert = queries.get_certificate(actor(), number)
    return download(outputs.qr_svg(cert), "image/svg+xml", f"{cert.number}.svg")


@bp.get("/<number>/card.pdf")
@login_required
def card_pdf(number: str):
    cert = queries.get_certificate(actor(), number)
    return download(outputs.wallet_card_pdf(cert, language()), "application/pdf", f"{cert.number}-card.pdf")


@bp.get("/<number>/certificate.pdf")
@login_required
def certificate_pdf(number: str):
    cert = queries.get_certificate(actor(), number)
    return download(outputs.certificate_pdf(cert, language()), "application/pdf", f"{cert.number}.pdf")


@bp.route("/categories", methods=["GET", "POST"])
@login_required
def categories():
    """The categories of the user's country; its administrators add national scopes here."""
    country = current_user.country_code
    actor().require(access.can_list(actor(), country) or access.can_manage_categories(actor(), country))
    can_add = access.can_manage_categories(actor(), country)
    form = CategoryForm(code=f"{country}-") if can_add else None
    if request.method == "POST":
        actor().require(can_add)
        done = submit(form, lambda: catalogue.create_national_scope(actor(), catalogue.CategoryData(
            country_code=country, code=form.code.data, name_en=form.name_en.data, name_ru=form.name_ru.data,
            activities=form.activities.data or [], substances=form.substances.data or [],
            holder_kind=form.holder_kind.data)))
        if done:
            flash(_("Category %(code)s added.", code=done.result.code), "success")
            return redirect(url_for("certificates.categories"))
    return render_template(
        "certificates/categories.html", categories=catalogue.active_categories(country_code=country,
                                                                               include_inactive=True),
        form=form, lang=language(), activity_labels=ACTIVITY_LABELS, substance_labels=SUBSTANCE_LABELS,
        scheme_labels=SCHEME_LABELS,
    ), form_status(*([form] if form else []))


# --- panels on other features' pages --------------------------------------------------------


def init_app(app: Flask) -> None:
    """Template helpers for the certificate panels on holder pages and home pages."""

    @app.context_processor
    def certificate_panels():
        if request.endpoint in ("registry.technician", "registry.company"):
            return {"panels": ["certificates/_holder_panel.html"]}
        return {}

    def holder_panel(kind: str, holder):
        me = actor()
        day = states.today()
        rows = [(c, states.state_on(c, day), access.can_view(me, c))
                for c in queries.holder_certificates(kind, holder.id)]
        return {"rows": rows, "states": state_labels(), "lang": language(),
                "can_issue": access.can_certify(me, holder.country_code)
                and queries.current_certificate(kind, holder.id) is None}

    def home_panel():
        me = actor()
        data = {"can_certify": access.can_certify(me, me.country_code), "states": state_labels()}
        if access.can_list(me, me.country_code):
            data["counts"] = queries.count_for_home(me.country_code, current_app.config["CERTIFICATE_EXPIRING_DAYS"])
            data["expiring"] = queries.expiring(current_app.config["CERTIFICATE_EXPIRING_DAYS"], me.country_code)[:5]
        elif me.user.technician_id:
            data["rows"] = holder_panel("technician", me.user.technician)["rows"]
        elif me.user.company_id:
            data["rows"] = holder_panel("company", me.user.company)["rows"]
        return data

    app.jinja_env.globals["certificate_holder_panel"] = holder_panel
    app.jinja_env.globals["certificate_home_panel"] = home_panel
    app.jinja_env.globals["HolderKind"] = HolderKind
