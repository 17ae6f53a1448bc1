"""Cylinder pages: the register, registering, a cylinder with its history, fills and charges,
label PDFs; and the public label scan ``/c/<token>``."""

from __future__ import annotations

from urllib.parse import quote_plus

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from markupsafe import Markup

from certreg.actors import Actor
from certreg.cylinders import access, custody, labels, lookup, queries, registration, scan_texts, scanning
from certreg.cylinders.forms import (
    ChargeForm,
    DestroyForm,
    FillForm,
    RegisterForm,
    ReportLostForm,
    TransferForm,
    fill_data,
    register_data,
)
from certreg.cylinders.models import (
    CONDITION_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    ContentCondition,
)
from certreg.errors import NotFound
from certreg.extensions import db
from certreg.transactions import writes
from certreg.vocabulary import Role
from certreg.web import actor, args_str, form_status, page_arg, signed_in, submit

bp = Blueprint("cylinders", __name__, url_prefix="/cylinders")
scan_bp = Blueprint("cylinder_scan", __name__)

LABELS = dict(kinds=KIND_LABELS, conditions=CONDITION_LABELS, statuses=STATUS_LABELS, events=EVENT_LABELS)


@bp.get("")
@login_required
def index():
    q = args_str("q")
    pagination = queries.list_cylinders(actor(), current_user.country_code, q=q, page=page_arg())
    return render_template("cylinders/index.html", pagination=pagination, q=q, **LABELS,
                           can_register=access.can_register(actor(), current_user.country_code, None))


@bp.get("/lookup")
@login_required
def find_anywhere():
    """Any serial looked up in every country's register: public fields, and the custody history where the
    user may see the cylinder in full."""
    actor().require(lookup.can_lookup(actor()))
    q = args_str("q")
    matches = lookup.lookup(actor(), q) if q else None
    return render_template("cylinders/lookup.html", q=q, matches=matches, **LABELS)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = RegisterForm()
    if current_user.role is Role.COMPANY_USER and request.method == "GET":
        form.owner_company_id.data = current_user.company_id
    actor().require(access.can_register(actor(), current_user.country_code, current_user.company_id))
    done = submit(form, lambda: registration.register(actor(), register_data(form)))
    if done:
        return redirect(url_for("cylinders.detail", serial=done.result.serial))
    return render_template("cylinders/new.html", form=form), form_status(form)


def _cylinder(serial: str):
    return queries.find(actor(), serial)


def _labelled(serial: str):
    """A cylinder with a label: a registered one."""
    cylinder = _cylinder(serial)
    if cylinder.needs_registration:
        raise NotFound()
    return cylinder


def _forms(**given) -> dict:
    forms = {"fill_form": FillForm(), "charge_form": ChargeForm(), "recover_form": FillForm(prefix="recover"),
             "transfer_form": TransferForm(), "destroy_form": DestroyForm(),
             "lost_form": ReportLostForm(prefix="lost")}  # its reference field is not the destruction form's
    forms.update(given)
    return forms


def _detail(serial: str, status: int = 200, **forms):
    cylinder = _cylinder(serial)
    if cylinder.needs_registration:
        return render_template("cylinders/unregistered.html", cylinder=cylinder, **LABELS), status
    return render_template("cylinders/detail.html", cylinder=cylinder, can_act=access.can_act(actor(), cylinder),
                           can_report_lost=access.can_report_lost(actor(), cylinder) and cylinder.status.value not in
                           ("destroyed", "lost", "seized"), **_forms(**forms), **LABELS), status


@bp.get("/<serial>")
@login_required
def detail(serial: str):
    return _detail(serial)


def _act(serial: str, name: str, form, action):
    """One custody event from the detail page: check who may act, parse, call the service, answer."""
    cylinder = _cylinder(serial)
    actor().require(access.can_act(actor(), cylinder))
    if submit(form, lambda: action(cylinder)):
        return redirect(url_for("cylinders.detail", serial=serial))
    return _detail(serial, form_status(form), **{name: form})


@bp.post("/<serial>/fill")
@login_required
def fill(serial: str):
    form = FillForm()
    return _act(serial, "fill_form", form, lambda c: custody.fill(actor(), c, fill_data(form)))


@bp.post("/<serial>/charge")
@login_required
def charge(serial: str):
    form = ChargeForm()
    return _act(serial, "charge_form", form, lambda c: custody.charge(actor(), c, form.net_kg.data))


@bp.post("/<serial>/recover")
@login_required
def recover(serial: str):
    form = FillForm(prefix="recover")
    return _act(serial, "recover_form", form, lambda c: custody.recover(actor(), c, fill_data(form)))


@bp.post("/<serial>/transfer")
@login_required
def transfer(serial: str):
    form = TransferForm()
    return _act(serial, "transfer_form", form, lambda c: custody.transfer_to(
        actor(), c, company_id=form.to_company_id.data, technician_id=form.to_technician_id.data,
        sold_as=ContentCondition(form.sold_as.data) if form.sold_as.data else None, returned=bool(form.returned.data)))


@bp.post("/<serial>/destroy")
@login_required
def destroy(serial: str):
    form = DestroyForm()
    return _act(serial, "destroy_form", form, lambda c: custody.destroy(actor(), c, note=form.reference.data))


@bp.post("/<serial>/lost")
@login_required
def lost(serial: str):
    """Report the cylinder lost or stolen (the custodian, the owner or an official): the API's service."""
    form = ReportLostForm(prefix="lost")
    cylinder = _cylinder(serial)
    actor().require(access.can_report_lost(actor(), cylinder))
    if submit(form, lambda: custody.report_lost(actor(), cylinder, note=form.reference.data)):
        return redirect(url_for("cylinders.detail", serial=serial))
    return _detail(serial, form_status(form), lost_form=form)


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.get("/<serial>/label.pdf")
@login_required
def label(serial: str):
    cylinder = _labelled(serial)
    return _pdf(labels.label_pdf(cylinder), f"{cylinder.serial}.pdf")


@bp.get("/labels.pdf")
@login_required
def sheet():
    """An A4 sheet of labels for ``?serial=...&serial=...`` (up to 80)."""
    serials = request.args.getlist("serial")[:80]
    if not serials:
        raise NotFound()
    return _pdf(labels.sheet_pdf([_labelled(s) for s in serials]), "labels.pdf")


def _client() -> str:
    if signed_in():
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr or 'unknown'}"


#: Where the page's own address goes in the kept language menu (URL-safe: ``url_for`` leaves it as it is).
_HERE = "certreg-scan-here-5c1d2a"


def _language_menu(language: str) -> str:
    """The language menu of the scan page, rendered once per language and script root (about a third of
    the page's rendering otherwise: one ``url_for`` per language), its way back put in per request."""
    app = current_app._get_current_object()
    menus = app.extensions.setdefault("certreg_scan_menus", {})
    key = (request.script_root, language)
    menu = menus.get(key)
    if menu is None:
        menu = app.jinja_env.get_or_select_template("_language_menu.html").render(here=_HERE)
        if not app.jinja_env.auto_reload:
            menus[key] = menu
    return menu.replace(_HERE, quote_plus(request.path, safe="!$'()*,/:;?@"))


@scan_bp.get("/c/<token>")
@writes(when=scanning.logged_in_request)
def scan(token: str):
    """The verdict first, then what the register says now, then the warnings; complete without JavaScript.

    Rendered by Jinja directly, not ``render_template``: the page is public and uses no context
    processor (current user, navigation), which would load the user and build a menu for nothing.
    """
    inspector = Actor.of(current_user._get_current_object()) if signed_in() else None
    result = scanning.scan(token, client=_client(), inspector=inspector)
    language = str(get_locale() or "en")
    body = current_app.jinja_env.get_or_select_template("cylinders/scan.html").render(
        mode="online", result=result, texts=scan_texts.verdict_texts(), page_data=scan_texts.online_texts(),
        record_inspection=inspector is not None and inspector.has_role(Role.INSPECTOR),
        language_menu_html=Markup(_language_menu(language)), **LABELS)  # noqa: S704 - rendered by Jinja above
    if scanning.logged_in_request():
        db.session.commit()
    return body


@scan_bp.get("/verify/cylinder-offline")
def offline_shell():
    """The page the service worker shows for ``/c/...`` without a network: it checks the label in the
    browser against the cached trust list and label status lists (``static/js/label-page.js``)."""
    return render_template("cylinders/scan.html", mode="offline", result=None, texts=scan_texts.verdict_texts(),
                           page_data=scan_texts.offline_texts(), record_inspection=False, **LABELS)
