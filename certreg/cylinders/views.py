"""Cylinder pages: the register, registering, a cylinder with its history, fills and charges,
label PDFs; and the public label scan ``/c/<token>``."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from certreg.actors import Actor
from certreg.application import public_page
from certreg.cylinders import access, custody, labels, lookup, queries, registration, scan_texts, scanning, settings
from certreg.cylinders.forms import (
    ChargeForm,
    CylinderRulesForm,
    DestroyForm,
    FillForm,
    RegisterForm,
    ReportFoundForm,
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
from certreg.i18n import format_date
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


@bp.route("/rules", methods=["GET", "POST"])
@login_required
def rules():
    """The administrator's cylinder rules of their country: the ban on non-refillable cylinders from a date."""
    country = current_user.country_code
    actor().require(settings.can_manage(actor(), country))
    banned_from = settings.non_refillable_ban(country)
    form = CylinderRulesForm(data={"non_refillable_banned_from": banned_from})
    done = submit(form, lambda: settings.set_non_refillable_ban(actor(), country, form.non_refillable_banned_from.data))
    if done:
        flash(_("Saved."), "success")
        return redirect(url_for("cylinders.rules"))
    return render_template("cylinders/rules.html", form=form, country=country, banned_from=banned_from), \
        form_status(form)


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
             "lost_form": ReportLostForm(prefix="lost"),  # its reference field is not the destruction form's
             "found_form": ReportFoundForm(prefix="found")}
    forms.update(given)
    return forms


def _detail(serial: str, status: int = 200, **forms):
    cylinder = _cylinder(serial)
    if cylinder.needs_registration:
        return render_template("cylinders/unregistered.html", cylinder=cylinder, **LABELS), status
    return render_template("cylinders/detail.html", cylinder=cylinder, can_act=access.can_act(actor(), cylinder),
                           can_report_lost=access.can_report_lost(actor(), cylinder) and cylinder.status.value not in
                           ("destroyed", "lost", "seized"),
                           # while lost, or to show why it was refused (found meanwhile by someone else)
                           can_report_found=access.can_report_found(actor(), cylinder) and (
                               cylinder.status.value == "lost" or "found_form" in forms),
                           **_forms(**forms), **LABELS), status


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


@bp.post("/<serial>/found")
@login_required
def found(serial: str):
    """Report a lost cylinder found (whoever may report it lost): the API's service."""
    form = ReportFoundForm(prefix="found")
    cylinder = _cylinder(serial)
    actor().require(access.can_report_found(actor(), cylinder))
    if submit(form, lambda: custody.report_found(actor(), cylinder, note=form.reference.data)):
        return redirect(url_for("cylinders.detail", serial=serial))
    return _detail(serial, form_status(form), found_form=form)


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


#: Where the page's own address goes in a kept shell (the language menu's way back): URL-safe.
_HERE = "certreg-scan-here-5c1d2a"
#: Where the facts go in a kept shell (a NUL never comes from a template or a translation).
_SLOT = "\x00certreg-scan-slot\x00"
#: The scan's own values in a kept facts part, each put in escaped per request.
_FACT_SLOTS = ("warnings", "serial", "substance", "net_kg", "custodian", "owner", "inspection_url",
               "label_serial", "label_substance", "label_kg", "labelled_on")
_FACT_MARK = re.compile("\x00certreg-scan-(" + "|".join(_FACT_SLOTS) + ")\x00")


def _kept(name: str, key: tuple, render) -> list[str]:
    """``render()`` once per key, kept in the app (not while templates reload), at most 4,096 of each kind."""
    app = current_app._get_current_object()
    kept = app.extensions.setdefault(name, {})
    parts = kept.get(key)
    if parts is None:
        parts = render()
        if not app.jinja_env.auto_reload:
            if len(kept) >= 4096:
                kept.clear()
            kept[key] = parts
    return parts


def _page(mode: str, language: str, verdict: str | None, facts: str) -> str:
    """The scan page: the shell (``cylinders/scan.html``: head, header and language menu, verdict), rendered
    once per mode, language and verdict and kept: it never sees the cylinder or the label; the facts and the
    page's address are put in per request."""

    def render() -> list[str]:  # the page's texts too: only when the shell is rendered, not on every scan
        page_data = scan_texts.offline_texts() if mode == "offline" else scan_texts.online_texts()
        parts = current_app.jinja_env.get_or_select_template("cylinders/scan.html").render(
            mode=mode, verdict=verdict, texts=scan_texts.verdict_texts(), page_data=page_data,
            facts=Markup(_SLOT), here=_HERE).split(_SLOT)  # noqa: S704 - our marker
        if len(parts) != 2:
            raise RuntimeError("cylinders/scan.html must show {{ facts }} once")
        return parts

    parts = _kept("certreg_scan_shells", (request.script_root, mode, language, verdict), render)
    here = quote_plus(request.path, safe="!$'()*,/:;?@")
    return "".join((parts[0].replace(_HERE, here), facts, parts[1]))


def _facts(mode: str, language: str, result: scanning.Scan | None, record_inspection: bool) -> str:
    """The scan's facts (``cylinders/_scan_facts.html``): the words around the values (labels, the cylinder's
    kind, status and condition, which parts show) rendered once per language and combination and kept, split
    where the values go; each scan then only escapes its own values in (as the certificate check's facts)."""
    c = result.cylinder if result else None
    claims = result.claims if result else None
    choices = dict(mode=mode, has_warnings=bool(result and result.warnings), has_cylinder=c is not None,
                   kind=c.kind if c else None, status=c.status if c else None, suspect=bool(c and c.suspect),
                   has_substance=bool(c and c.substance_code), condition=c.condition if c else None,
                   record_inspection=record_inspection, has_claims=claims is not None)

    def render() -> list[str]:
        marks = {slot: Markup(f"\x00certreg-scan-{slot}\x00") for slot in _FACT_SLOTS}  # noqa: S704 - ours
        html = current_app.jinja_env.get_or_select_template("cylinders/_scan_facts.html").render(
            **choices, **marks, **LABELS)
        parts = _FACT_MARK.split(html)  # text, slot, text, slot, ..., text
        if len(set(parts[1::2])) != len(parts[1::2]):
            raise RuntimeError(f"cylinders/_scan_facts.html must show each of {_FACT_SLOTS} at most once")
        return parts

    parts = _kept("certreg_scan_facts", (request.script_root, language, *choices.values()), render)
    values = {}
    if result and result.warnings:
        values["warnings"] = Markup("").join(Markup('<p class="verdict-detail">%s</p>') % w for w in result.warnings)
    if c is not None:
        values.update(serial=escape(c.serial), substance=escape(c.substance_code), net_kg=escape(c.net_kg),
                      custodian=escape(_name(c, "custodian")), owner=escape(_name(c, "owner")))
    if record_inspection:
        values["inspection_url"] = escape(url_for("inspections.new", serial=c.serial if c else (
            claims.serial if claims else None)))
    if claims is not None:
        values.update(label_serial=escape(claims.serial), label_substance=escape(claims.substance or "—"),
                      label_kg=escape(claims.net_grams / 1000),
                      labelled_on=escape(format_date(claims.labelled_on, "medium")))
    return "".join(part if i % 2 == 0 else values[part] for i, part in enumerate(parts))


def _name(cylinder, who: str) -> str:
    """The holder's display name: from the page's row (``owner_name``) or the ORM object (``owner``)."""
    name = getattr(cylinder, f"{who}_name", None)
    return name if name is not None else getattr(cylinder, who).display_name


@scan_bp.get("/c/<token>")
@writes(when=scanning.logged_in_request)
@public_page
def scan(token: str):
    """The verdict first, then what the register says now, then the warnings; complete without JavaScript.

    The kept shell (:func:`_page`) with the scan's facts put in (:func:`_facts`); Jinja is called directly,
    not through ``render_template``: the page is public and uses no context processor (current user,
    navigation), which would load the user and build a menu for nothing.
    """
    inspector = Actor.of(current_user._get_current_object()) if signed_in() else None
    result = scanning.scan(token, client=_client(), inspector=inspector, page=True)
    language = str(get_locale() or "en")
    record_inspection = inspector is not None and inspector.has_role(Role.INSPECTOR)
    body = _page("online", language, result.verdict, _facts("online", language, result, record_inspection))
    if scanning.logged_in_request():
        db.session.commit()
    return body


@scan_bp.get("/verify/cylinder-offline")
def offline_shell():
    """The page the service worker shows for ``/c/...`` without a network: it checks the label in the
    browser against the cached trust list and label status lists (``static/js/label-page.js``)."""
    language = str(get_locale() or "en")
    return _page("offline", language, None, _facts("offline", language, None, False))
