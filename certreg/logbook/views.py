"""Logbook pages: the holder's logbook, quick entry, point of sale, stock, counterpart inbox; for
officials the country's entries, refused attempts, checkpoints, verification and settings. The equipment
pages (on the same blueprint) are in :mod:`certreg.logbook.equipment_views`."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certreg.countries import logbook_settings
from certreg.countries.models import USED_ODS_SALES_LABELS
from certreg.db import today, utcnow
from certreg.errors import Forbidden, NotFound, ValidationFailed, roll_back
from certreg.extensions import db
from certreg.logbook import (
    checkpointing,
    drafts,
    exports,
    holders,
    queries,
    quick_entries,
    recording,
    transfers,
    verify,
)
from certreg.logbook import equipment as equipment_services
from certreg.logbook import refusals as logbook_refusals
from certreg.logbook.canonical import kilograms_text
from certreg.logbook.forms import (
    ConfirmForm,
    DisputeForm,
    EntryForm,
    FilterForm,
    QuickEntryPageForm,
    ReversalForm,
    SaleForm,
    SettingsForm,
)
from certreg.logbook.models import (
    CONDITION_LABELS,
    ENTRY_KIND_LABELS,
    EQUIPMENT_KIND_LABELS,
    EXEMPTED_USE_LABELS,
    INTERVENTION_KIND_LABELS,
    LEAK_CHECK_RESULT_LABELS,
    TRANSFER_STATUS_LABELS,
    Entry,
    EntryKind,
    Refusal,
)
from certreg.vocabulary import OFFICIAL_ROLES, Role
from certreg.web import actor, args_str, form_status, page_arg, submit

bp = Blueprint("logbook", __name__)

LABELS = {"kinds": ENTRY_KIND_LABELS, "conditions": CONDITION_LABELS, "transfer_statuses": TRANSFER_STATUS_LABELS,
          "equipment_kinds": EQUIPMENT_KIND_LABELS, "intervention_kinds": INTERVENTION_KIND_LABELS,
          "leak_results": LEAK_CHECK_RESULT_LABELS, "used_ods_sales": USED_ODS_SALES_LABELS,
          "exempted_uses": EXEMPTED_USE_LABELS}


def own_holder() -> holders.Holder:
    """The logbook the signed-in company user or technician writes in (officials have none)."""
    who = holders.acting_holder(actor())
    if who is None:
        raise Forbidden(_("Only companies and technicians keep logbooks."))
    return who


def _filters(form: FilterForm) -> queries.EntryFilter:
    return queries.EntryFilter(kind=form.kind.data or None, substance=form.substance.data or None,
                                condition=form.condition.data or None, date_from=form.date_from.data,
                                date_to=form.date_to.data, cylinder=form.cylinder.data or None,
                                text=form.text.data or None)


def _holder_from_arg() -> holders.Holder | None:
    """``?holder=company:12`` (officials), else the user's own logbook, else the whole country (officials)."""
    ref = args_str("holder")
    if ref:
        return holders.holder_by_ref(actor(), ref)
    return holders.acting_holder(actor())


# --- the logbook ----------------------------------------------------------------------------


def _logbook_page(who: holders.Holder | None):
    form = FilterForm(request.args)
    filters = _filters(form) if form.validate() else queries.EntryFilter()
    try:
        pagination = queries.list_entries(actor(), who, filters, page=page_arg(), per_page=50)
    except ValidationFailed as exc:
        form.apply(exc)
        pagination = queries.list_entries(actor(), who, queries.EntryFilter(), page=1, per_page=50)
    own = who is not None and holders.can_write(actor(), who)
    return render_template(
        "logbook/index.html", who=who, form=form, pagination=pagination, own=own,
        stock=queries.balances(actor(), who) if who else [],
        pending=transfers.pending_count(who) if own else 0,
        export_args={k: v for k, v in request.args.items() if k != "page"} | ({"holder": who.ref} if who and not own
                                                                            else {}),
        page_args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.get("/logbook")
@login_required
def index():
    """Companies and technicians see their logbook; officials search their country's entries."""
    who = holders.acting_holder(actor())
    if who is None:
        actor().require(current_user.role in OFFICIAL_ROLES)
    return _logbook_page(who)


@bp.get("/logbook/<holder_kind>/<int:holder_id>")
@login_required
def holder_logbook(holder_kind: str, holder_id: int):
    who = holders.holder(holder_kind, holder_id)
    holders.require_read(actor(), who)
    return _logbook_page(who)


@bp.get("/logbook/export.<fmt>")
@login_required
def export(fmt: str):
    """CSV or XLSX of the entries the logbook page shows (filters kept)."""
    if fmt not in ("csv", "xlsx"):
        raise NotFound()
    who = _holder_from_arg()
    if who is None:
        actor().require(current_user.role in OFFICIAL_ROLES)
    form = FilterForm(request.args)
    filters = _filters(form) if form.validate() else queries.EntryFilter()
    query = queries.entries_query(actor(), who, filters)
    return exports.response(query, fmt, exports.filename(who, current_user.country_code, today()))


@bp.route("/logbook/entries/new", methods=["GET", "POST"])
@login_required
def new_entry():
    who = own_holder()
    kind = args_str("kind", EntryKind.PURCHASE.value)
    form = EntryForm(operation_date=today(), kind=kind, condition="virgin")
    done = submit(form, lambda: recording.record_entry(actor(), who, drafts.EntryData.from_form(form)))
    if done:
        flash(_("Entry recorded."), "success")
        return redirect(url_for("logbook.entry", entry_id=done.result.id))
    return render_template("logbook/entry_form.html", form=form, who=who), form_status(form)


def _entry_page(entry, reversal_form=None, status: int = 200):
    who = holders.holder_of(entry.logbook)
    can_write = holders.can_write(actor(), who)
    return render_template(
        "logbook/entry.html", entry=entry, who=who, can_write=can_write,
        reversal=queries.reversal_of(entry), transfer=queries.transfer_of(entry),
        reversal_form=reversal_form or (ReversalForm() if can_write else None),
    ), status


@bp.get("/logbook/entries/<bigid:entry_id>")
@login_required
def entry(entry_id: int):
    return _entry_page(queries.get_entry(actor(), entry_id))


@bp.post("/logbook/entries/<bigid:entry_id>/reverse")
@login_required
def reverse(entry_id: int):
    original = queries.get_entry(actor(), entry_id)
    actor().require(holders.can_write(actor(), holders.holder_of(original.logbook)))
    form = ReversalForm()
    done = submit(form, lambda: recording.reverse_entry(actor(), original.id, form.reason.data))
    if done:
        flash(_("The entry was reversed."), "success")
        return redirect(url_for("logbook.entry", entry_id=done.result.id))
    return _entry_page(queries.get_entry(actor(), entry_id), form, form_status(form))


@bp.get("/logbook/entries/<bigid:entry_id>/proof.json")
@login_required
def proof(entry_id: int):
    """The entry's canonical form and its RFC 9162 inclusion proof in the latest signed checkpoint."""
    response = jsonify(checkpointing.inclusion_proof(actor(), entry_id))
    response.headers["Content-Disposition"] = f'attachment; filename="entry-{entry_id}-proof.json"'
    return response


# --- point of sale and quick entry -----------------------------------------------------------


@bp.route("/logbook/sale", methods=["GET", "POST"])
@login_required
def sale():
    """Point of sale: type or scan the buyer's certificate, *check* (the verdict), then record."""
    who = own_holder()
    form = SaleForm(operation_date=today(), condition="virgin")
    verdict = None
    action = request.form.get("action", "check")
    if request.method == "POST" and action == "record":
        done = submit(form, lambda: recording.record_entry(actor(), who, drafts.EntryData.from_form(form, kind="sale")))
        if done:
            flash(_("Sale recorded: %(kg)s kg %(substance)s to %(buyer)s.", kg=kilograms_text(done.result.quantity),
                    substance=done.result.substance_code, buyer=done.result.counterparty_name), "success")
            return redirect(url_for("logbook.entry", entry_id=done.result.id))
    elif request.method == "POST" and form.validate_on_submit():
        verdict = recording.check_sale(actor(), who, drafts.EntryData.from_form(form, kind="sale"))
        db.session.commit()  # a refused check is kept as a refused attempt
    status = 422 if (verdict is not None and not verdict.allowed) else form_status(form)
    return render_template("logbook/sale.html", form=form, who=who, verdict=verdict), status


@bp.route("/logbook/quick", methods=["GET", "POST"])
@login_required
def quick():
    """A charge or recovery in a few taps: equipment from its scanned label or a search."""
    who = own_holder()
    code = args_str("equipment", max_length=300)
    form = QuickEntryPageForm(equipment=code, operation_date=today(), kind=args_str("kind", "charge"),
                              condition="virgin", client_id=str(uuid.uuid4()))
    unit = None
    if code:
        try:
            unit = equipment_services.get_by_code(actor(), code)
            form.equipment.data = unit.code
        except NotFound:
            form.equipment.errors = [_("No equipment with this id. Scan its label or search.")]
    q = args_str("q")
    found = equipment_services.search(actor(), who.country_code, q, limit=20).items if q else \
        equipment_services.search(actor(), who.country_code, "", who=who, limit=10).items
    done = submit(form, lambda: quick_entries.record(actor(), who, quick_entries.QuickEntryData.from_form(form),
                                                     client_id_text=form.client_id.data or None)[0].equipment)
    if done:
        flash(_("Recorded: %(kind)s, %(kg)s kg %(substance)s, equipment %(code)s.",
                kind=ENTRY_KIND_LABELS[EntryKind(form.kind.data)], kg=kilograms_text(form.quantity.data),
                substance=done.result.substance_code, code=done.result.code), "success")
        return redirect(url_for("logbook.quick", equipment=done.result.code))
    return render_template("logbook/quick.html", form=form, who=who, unit=unit, found=found, q=q), \
        form_status(form)


# --- stock and counterparts ---------------------------------------------------------------------


@bp.get("/logbook/stock")
@login_required
def stock():
    who = own_holder()
    return render_template("logbook/stock.html", who=who, stock=queries.balances(actor(), who))


@bp.get("/logbook/inbox")
@login_required
def inbox():
    """Purchases and imports awaiting the holder's word, and its own sales the buyers have not confirmed."""
    who = own_holder()
    return render_template(
        "logbook/inbox.html", who=who,
        incoming=transfers.transfers(actor(), who, incoming=True),
        outgoing=transfers.transfers(actor(), who, incoming=False),
        confirm_form=ConfirmForm(), dispute_form=DisputeForm(),
    )


def _answer(transfer_id: int, form, action) -> Response:
    transfer = transfers.get_transfer(actor(), transfer_id)
    actor().require(holders.can_write(actor(), holders.holder_of(transfer.to_logbook)))
    done = submit(form, action)
    if done:
        flash(_("Saved."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        for message in form.form_errors:
            flash(str(message), "error")
    return redirect(url_for("logbook.inbox"))


@bp.post("/logbook/transfers/<int:transfer_id>/confirm")
@login_required
def confirm(transfer_id: int):
    form = ConfirmForm()
    return _answer(transfer_id, form, lambda: transfers.confirm_transfer(
        actor(), transfer_id, import_licence=form.import_licence.data,
        customs_declaration=form.customs_declaration.data))


@bp.post("/logbook/transfers/<int:transfer_id>/dispute")
@login_required
def dispute(transfer_id: int):
    form = DisputeForm()
    return _answer(transfer_id, form, lambda: transfers.dispute_transfer(actor(), transfer_id, form.reason.data))


# --- officials ----------------------------------------------------------------------------------


def _require_official(*roles: Role) -> None:
    actor().require(current_user.role in (roles or OFFICIAL_ROLES))


@bp.get("/logbook/refusals")
@login_required
def refusals():
    """Refused attempts in the country: who tried what, and which rule said no."""
    _require_official()
    pagination = logbook_refusals.list_refusals(actor(), current_user.country_code, page=page_arg())
    return render_template("logbook/refusals.html", pagination=pagination)


@bp.get("/logbook/verify")
@login_required
def verify_page():
    """Recompute the country's log now (administrators and auditors)."""
    _require_official(Role.ADMIN, Role.AUDITOR)
    report = verify.verify_log(current_user.country_code)
    return render_template("logbook/verify.html", report=report,
                           checkpoint=checkpointing.latest_checkpoint(current_user.country_code),
                           can_sign=checkpointing.can_sign(actor(), current_user.country_code)), \
        200 if report.ok else 409


@bp.get("/logbook/checkpoints")
def checkpoints():
    """The signed checkpoints of every country's log: public, for anyone to keep and compare."""
    country = args_str("country").upper() or None
    pagination = checkpointing.list_checkpoints(country, page=page_arg())
    return render_template("logbook/checkpoints.html", pagination=pagination, country=country)


@bp.get("/logbook/checkpoints/<int:checkpoint_id>.txt")
def checkpoint_text(checkpoint_id: int):
    checkpoint = checkpointing.get_checkpoint(checkpoint_id)
    return Response(checkpoint.text, mimetype="text/plain", headers={
        "Content-Disposition":
            f'attachment; filename="checkpoint-{checkpoint.country_code}-{checkpoint.tree_size}.txt"'})


@bp.post("/logbook/checkpoints")
@login_required
def sign_checkpoint():
    _require_official(Role.ADMIN)
    try:
        signed = checkpointing.create_checkpoint(actor(), current_user.country_code)
    except NotFound as exc:
        roll_back(exc)
        flash(exc.message, "error")
        return redirect(url_for("logbook.verify_page"))
    db.session.commit()
    flash(_("Checkpoint signed: %(size)s entries.", size=signed.tree_size), "success")
    return redirect(url_for("logbook.checkpoints", country=signed.country_code))


@bp.route("/logbook/settings", methods=["GET", "POST"])
@login_required
def settings():
    country = current_user.country_code
    actor().require(logbook_settings.can_manage_settings(actor(), country))
    current = logbook_settings.country_settings(country)
    form = SettingsForm(used_ods_sales=current.used_ods_sales.value, leak_rate_threshold=current.leak_rate_threshold)
    done = submit(form, lambda: logbook_settings.update_settings(
        actor(), country, used_ods_sales=form.used_ods_sales.data, leak_rate_threshold=form.leak_rate_threshold.data))
    if done:
        flash(_("Saved."), "success")
        return redirect(url_for("logbook.settings"))
    return render_template("logbook/settings.html", form=form,
                           default_threshold=current_app.config["LEAK_RATE_THRESHOLD_PERCENT"]), form_status(form)




def home_panel() -> dict | None:
    """What the home page's logbook panel shows: the holder's shortcuts, or the country's counts."""
    if not current_user.is_authenticated:
        return None
    who = holders.acting_holder(actor())
    if who is not None:
        return {"holder": who, "pending": transfers.pending_count(who)}
    if current_user.role not in (Role.ADMIN, Role.AUDITOR, Role.INSPECTOR):
        return None
    country = current_user.country_code
    return {
        "refusals": db.session.scalar(sa.select(sa.func.count()).select_from(Refusal).where(
            Refusal.country_code == country, Refusal.at >= utcnow() - timedelta(days=30))),
        "entries": db.session.scalar(
            sa.select(sa.func.count()).select_from(Entry).where(Entry.country_code == country)),
    }


def init_app(app) -> None:
    app.jinja_env.globals["logbook_home_panel"] = home_panel
    app.jinja_env.globals["logbook_labels"] = LABELS
