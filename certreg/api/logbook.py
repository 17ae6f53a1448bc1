"""``/api/v1`` for logbooks: entries, reversals, proofs, the sale check, stock, counterparts,
refused attempts, checkpoints, verification, settings, equipment and CSV imports."""

from __future__ import annotations

from typing import Any

from flask import request

from certreg.api import bp
from certreg.api.common import api_actor, done, json_body, optional_actor, output_format, page_args, paginated
from certreg.countries import logbook_settings
from certreg.db import today
from certreg.errors import FieldError, ValidationFailed
from certreg.forms import form_from_json
from certreg.logbook import (
    checkpointing,
    drafts,
    exports,
    holders,
    imports,
    queries,
    quick_entries,
    recording,
    refusals,
    transfers,
    verify,
)
from certreg.logbook import equipment as equipment_services
from certreg.logbook.canonical import kilograms_text
from certreg.logbook.forms import (
    ConfirmForm,
    DisputeForm,
    EntryForm,
    EquipmentForm,
    FilterForm,
    InterventionForm,
    QuickEntryForm,
    ReversalForm,
    SaleForm,
    SettingsForm,
)
from certreg.logbook.models import (
    Channel,
    Checkpoint,
    Entry,
    Equipment,
    Intervention,
    Refusal,
    Transfer,
    TransferStatus,
)
from certreg.vocabulary import OFFICIAL_ROLES, Role

MAX_IMPORT_BYTES = 50 * 1024 * 1024


def kg(value) -> str | None:
    return None if value is None else kilograms_text(value)


def holder_json(logbook) -> dict[str, Any] | None:
    if logbook is None:
        return None
    return {"kind": logbook.holder_kind.value, "id": logbook.holder_id, "name": logbook.display_name}


def entry_json(e: Entry) -> dict[str, Any]:
    transfer = queries.transfer_of(e)
    reversal = queries.reversal_of(e)
    return {
        "id": e.id, "log": e.country_code, "seq": e.seq, "holder": holder_json(e.logbook), "kind": e.kind.value,
        "operation_date": e.operation_date.isoformat(), "substance": e.substance_code, "quantity": kg(e.quantity),
        "condition": e.condition.value, "from_condition": e.from_condition.value if e.from_condition else None,
        "direction": e.direction.value if e.direction else None, "counted_quantity": kg(e.counted_quantity),
        "book_quantity": kg(e.book_quantity), "cylinders": e.cylinders,
        "equipment": e.equipment.code if e.equipment else None, "intervention_id": e.intervention_id,
        "counterparty_name": e.counterparty_name, "counterparty_country": e.counterparty_country,
        "counterparty_holder": holder_json(e.counterparty_logbook), "buyer_certificate": e.buyer_certificate,
        "document_numbers": e.document_numbers, "import_licence": e.import_licence,
        "customs_declaration": e.customs_declaration, "origin_country": e.origin_country,
        "exporter_name": e.exporter_name, "export_licence": e.export_licence,
        "destination_country": e.destination_country, "reverses_id": e.reverses_id,
        "reversed_by_id": reversal.id if reversal else None, "counterpart_of_id": e.counterpart_of_id,
        "transfer": {"id": transfer.id, "status": transfer.status.value} if transfer else None,
        "reason": e.reason, "note": e.note, "channel": e.channel.value,
        "exempted_use": e.exempted_use.value if e.exempted_use else None,
        "exemption_reference": e.exemption_reference,
        "recorded_at": e.recorded_at.isoformat(), "recorded_by": e.recorded_by_label,
        "leaf_hash": bytes(e.leaf_hash).hex(),
    }


def transfer_json(t: Transfer) -> dict[str, Any]:
    origin = t.origin_entry
    return {
        "id": t.id, "kind": t.kind.value, "status": t.status.value, "from": holder_json(t.from_logbook),
        "to": holder_json(t.to_logbook), "origin_entry_id": t.origin_entry_id,
        "counterpart_entry_id": t.counterpart_entry_id, "operation_date": origin.operation_date.isoformat(),
        "substance": origin.substance_code, "quantity": kg(origin.quantity), "condition": origin.condition.value,
        "response_note": t.response_note, "responded_at": t.responded_at.isoformat() if t.responded_at else None,
    }


def checkpoint_json(c: Checkpoint) -> dict[str, Any]:
    return {"id": c.id, "country": c.country_code, "tree_size": c.tree_size, "root_hash": bytes(c.root_hash).hex(),
            "signed_at": c.signed_at.isoformat(), "kid": c.kid, "text": c.text}


def refusal_json(r: Refusal) -> dict[str, Any]:
    return {"id": r.id, "at": r.at.isoformat(), "holder": holder_json(r.logbook), "actor": r.actor_label,
            "channel": r.channel.value, "kind": r.kind.value if r.kind else None, "substance": r.substance_code,
            "quantity": kg(r.quantity), "condition": r.condition.value if r.condition else None,
            "buyer_certificate": r.buyer_certificate, "code": r.code, "field": r.field, "message": r.message}


def equipment_json(unit: Equipment, rate=None) -> dict[str, Any]:
    rate = rate or equipment_services.leak_rates([unit])[unit.id]
    return {
        "id": unit.id, "code": unit.code, "country": unit.country_code, "holder": holder_json(unit.logbook),
        "owner_kind": unit.owner_kind.value, "owner_name": unit.owner_name, "site_address": unit.site_address,
        "kind": unit.kind.value, "substance": unit.substance_code, "nominal_charge": kg(unit.nominal_charge),
        "description": unit.description,
        "decommissioned_on": unit.decommissioned_on.isoformat() if unit.decommissioned_on else None,
        "label_url": equipment_services.label_url(unit),
        "leak_rate": {"added_kg": kg(rate.added_kg), "percent": f"{rate.percent:f}", "threshold": f"{rate.threshold:f}",
                      "flagged": rate.flagged},
    }


def intervention_json(i: Intervention) -> dict[str, Any]:
    return {"id": i.id, "equipment_id": i.equipment_id, "kind": i.kind.value,
            "performed_on": i.performed_on.isoformat(),
            "leak_check_result": i.leak_check_result.value if i.leak_check_result else None, "note": i.note,
            "holder": holder_json(i.logbook), "entries": [entry_json(e) for e in i.entries]}


def _own(actor) -> holders.Holder:
    who = holders.acting_holder(actor)
    if who is None:
        raise holders.not_a_holder()
    return who


def _holder_param(actor) -> holders.Holder | None:
    """``holder=company:12`` if given (officials, or the holder itself); else the actor's own logbook."""
    ref = request.args.get("holder")
    if ref:
        return holders.holder_by_ref(actor, ref)
    return holders.acting_holder(actor)


# --- entries ---------------------------------------------------------------------------------


@bp.get("/logbook/entries")
def list_entries():
    actor = api_actor()
    who = _holder_param(actor)
    if who is None:
        actor.require(actor.role in OFFICIAL_ROLES)
    form = FilterForm(request.args, meta={"csrf": False})
    if not form.validate():
        raise ValidationFailed(fields=form.error_map())
    fmt = output_format()
    page, per_page = page_args()
    filters = queries.EntryFilter(kind=form.kind.data or None, substance=form.substance.data or None,
                                   condition=form.condition.data or None, date_from=form.date_from.data,
                                   date_to=form.date_to.data, cylinder=form.cylinder.data or None,
                                   text=form.text.data or None)
    if fmt != "json":  # every matching entry, not a page: the same file as the logbook page's download
        query = queries.entries_query(actor, who, filters)
        return exports.response(query, fmt, exports.filename(who, actor.country_code, today()))
    return done(paginated(queries.list_entries(actor, who, filters, page=page, per_page=per_page), entry_json))


@bp.post("/logbook/entries")
def create_entry():
    """Record an entry in the token user's own logbook (every rule applies; refusals answer 422 with a code)."""
    actor = api_actor()
    who = _own(actor)
    form = form_from_json(EntryForm, json_body())
    entry = recording.record_entry(actor, who, drafts.EntryData.from_form(form), channel=Channel.API)
    return done(entry_json(entry), 201)


@bp.get("/logbook/entries/<bigid:entry_id>")
def get_entry(entry_id: int):
    return done(entry_json(queries.get_entry(api_actor(), entry_id)))


@bp.post("/logbook/entries/<bigid:entry_id>/reversal")
def reverse_entry(entry_id: int):
    actor = api_actor()
    entry = queries.get_entry(actor, entry_id)
    actor.require(holders.can_write(actor, holders.holder_of(entry.logbook)))
    form = form_from_json(ReversalForm, json_body())
    return done(entry_json(recording.reverse_entry(actor, entry.id, form.reason.data, channel=Channel.API)), 201)


@bp.get("/logbook/entries/<bigid:entry_id>/proof")
def entry_proof(entry_id: int):
    return done(checkpointing.inclusion_proof(api_actor(), entry_id))


@bp.post("/logbook/sales/check")
def check_sale():
    """The point of sale's verdict: would this sale be recorded? Nothing is recorded (a refusal is kept)."""
    actor = api_actor()
    who = _own(actor)
    form = form_from_json(SaleForm, json_body())
    verdict = recording.check_sale(actor, who, drafts.EntryData.from_form(form, kind="sale"))
    return done({"allowed": verdict.allowed, "code": verdict.code, "message": verdict.message, "field": verdict.field,
                 "buyer": None if verdict.buyer_name is None else {
                     "name": verdict.buyer_name, "kind": verdict.buyer_kind, "country": verdict.buyer_country,
                     "certificate": verdict.certificate_number}})


@bp.get("/logbook/stock")
def stock():
    actor = api_actor()
    who = _holder_param(actor)
    if who is None:
        raise holders.holder_required()
    return done({"holder": {"kind": who.kind.value, "id": who.id, "name": who.name},
                 "items": [{"substance": b.substance_code, "condition": b.condition.value, "quantity": kg(b.quantity)}
                           for b in queries.balances(actor, who)]})


@bp.post("/logbook/imports")
def import_csv():
    """A CSV file (``text/csv`` body, format as ``flask logbook import``) into the token user's own logbook."""
    actor = api_actor()
    who = _own(actor)
    if request.mimetype != "text/csv":
        raise imports.csv_required()
    data = request.get_data(cache=False)
    if len(data) > MAX_IMPORT_BYTES:
        raise imports.file_too_large()
    name = (request.headers.get("X-Filename") or "api.csv")[:255]
    result = imports.import_csv(actor, who, data, name, channel=Channel.CSV)
    if not result.ok:
        refused = imports.ImportRefused(result)
        refused.fields = {}
        for e in result.errors:  # each line's errors, each naming its column
            message = f"{e.field}: {e.message}" if e.field else e.message
            refused.fields.setdefault(f"line {e.line}", []).append(FieldError(message, e.code))
        raise refused
    return done({"batch_id": result.batch_id, "entries": result.entries, "lines": result.lines}, 201)


# --- counterparts ------------------------------------------------------------------------------


@bp.get("/logbook/transfers")
def list_transfers():
    actor = api_actor()
    who = _own(actor)
    direction = request.args.get("direction", "incoming")
    if direction not in ("incoming", "outgoing"):
        raise drafts.invalid_choice("direction")
    raw = [s for s in request.args.get("status", "pending,disputed").split(",") if s]
    try:
        statuses = tuple(TransferStatus(s) for s in raw)
    except ValueError:
        raise drafts.invalid_choice("status") from None
    items = transfers.transfers(actor, who, incoming=direction == "incoming", statuses=statuses)
    return done({"items": [transfer_json(t) for t in items]})


@bp.post("/logbook/transfers/<int:transfer_id>/confirm")
def confirm_transfer(transfer_id: int):
    actor = api_actor()
    transfer = transfers.get_transfer(actor, transfer_id)
    actor.require(holders.can_write(actor, holders.holder_of(transfer.to_logbook)))
    form = form_from_json(ConfirmForm, json_body())
    entry = transfers.confirm_transfer(actor, transfer_id, import_licence=form.import_licence.data,
                                      customs_declaration=form.customs_declaration.data, channel=Channel.API)
    return done(entry_json(entry), 201)


@bp.post("/logbook/transfers/<int:transfer_id>/dispute")
def dispute_transfer(transfer_id: int):
    actor = api_actor()
    transfer = transfers.get_transfer(actor, transfer_id)
    actor.require(holders.can_write(actor, holders.holder_of(transfer.to_logbook)))
    form = form_from_json(DisputeForm, json_body())
    return done(transfer_json(transfers.dispute_transfer(actor, transfer_id, form.reason.data)))


# --- officials: refusals, checkpoints, verification, settings ---------------------------------


@bp.get("/logbook/refusals")
def list_refusals():
    actor = api_actor()
    actor.require(actor.role in OFFICIAL_ROLES)
    page, per_page = page_args()
    return done(paginated(refusals.list_refusals(actor, actor.country_code, page=page, per_page=per_page),
                          refusal_json))


@bp.get("/logbook/checkpoints")
def list_checkpoints():
    """Public: every country's signed checkpoints (or ``country``'s), newest first."""
    optional_actor()
    page, per_page = page_args()
    country = request.args.get("country") or None
    return done(paginated(checkpointing.list_checkpoints(country, page=page, per_page=per_page), checkpoint_json))


@bp.get("/logbook/checkpoints/<int:checkpoint_id>")
def get_checkpoint(checkpoint_id: int):
    optional_actor()
    return done(checkpoint_json(checkpointing.get_checkpoint(checkpoint_id)))


@bp.post("/logbook/checkpoints")
def sign_checkpoint():
    actor = api_actor()
    actor.require(actor.has_role(Role.ADMIN))
    return done(checkpoint_json(checkpointing.create_checkpoint(actor, actor.country_code)), 201)


@bp.get("/logbook/verify")
def verify_log():
    """Recompute the user's country's log (administrators and auditors); ``ok`` false names the first bad entry."""
    actor = api_actor()
    actor.require(actor.has_role(Role.ADMIN, Role.AUDITOR))
    return done(verify.verify_log(actor.country_code).as_dict())


def _settings_json(country_code: str) -> dict[str, Any]:
    current = logbook_settings.country_settings(country_code)
    return {"country": country_code, "used_ods_sales": current.used_ods_sales.value,
            "leak_rate_threshold": f"{logbook_settings.leak_rate_threshold(country_code):f}",
            "leak_rate_threshold_is_default": current.leak_rate_threshold is None}


@bp.get("/logbook/settings")
def get_settings():
    actor = api_actor()
    actor.require(logbook_settings.can_manage_settings(actor, actor.country_code))
    return done(_settings_json(actor.country_code))


@bp.put("/logbook/settings")
def put_settings():
    actor = api_actor()
    actor.require(logbook_settings.can_manage_settings(actor, actor.country_code))
    form = form_from_json(SettingsForm, json_body())
    logbook_settings.update_settings(actor, actor.country_code, used_ods_sales=form.used_ods_sales.data,
                                     leak_rate_threshold=form.leak_rate_threshold.data)
    return done(_settings_json(actor.country_code))


# --- equipment ---------------------------------------------------------------------------------


@bp.get("/equipment")
def list_equipment():
    """Equipment the user's holder registered or serviced (officials: the country's); ``q``: id, owner, site."""
    actor = api_actor()
    who = holders.acting_holder(actor)
    if who is None:
        actor.require(actor.role in OFFICIAL_ROLES)
    page, per_page = page_args()
    pagination = equipment_services.search(actor, actor.country_code, request.args.get("q", "")[:120], who=who,
                                           limit=per_page, page=page)
    rates = equipment_services.leak_rates(list(pagination.items))
    return done(paginated(pagination, lambda unit: equipment_json(unit, rates[unit.id])))


@bp.post("/equipment")
def register_equipment():
    actor = api_actor()
    who = _own(actor)
    form = form_from_json(EquipmentForm, json_body())
    unit = equipment_services.register(actor, who, equipment_services.EquipmentData(
        owner_kind=form.owner_kind.data, owner_name=form.owner_name.data, site_address=form.site_address.data,
        kind=form.kind.data, substance=form.substance.data, nominal_charge=form.nominal_charge.data,
        description=form.description.data))
    return done(equipment_json(unit), 201)


@bp.get("/equipment/<int:equipment_id>")
def get_equipment(equipment_id: int):
    unit = equipment_services.get_equipment(api_actor(), equipment_id)
    data = equipment_json(unit)
    data["interventions"] = [intervention_json(i) for i in unit.interventions]
    return done(data)


@bp.post("/equipment/<int:equipment_id>/interventions")
def add_intervention(equipment_id: int):
    actor = api_actor()
    unit = equipment_services.get_equipment(actor, equipment_id)
    who = _own(actor)
    form = form_from_json(InterventionForm, json_body())
    intervention = equipment_services.record_intervention(actor, who, unit,
                                                          equipment_services.InterventionData.from_form(form),
                                                          channel=Channel.API)
    return done(intervention_json(intervention), 201)




@bp.put("/quick-entries/<client_id>")
def put_quick_entry(client_id: str):
    """A charge or recovery on equipment, recorded once per client-made id (certreg.logbook.quick_entries):
    201 recorded now, 200 the same entry sent again, 409 ``client_id_conflict`` another entry under the id."""
    actor = api_actor()
    who = _own(actor)
    form = form_from_json(QuickEntryForm, json_body())
    intervention, created = quick_entries.record(actor, who, quick_entries.QuickEntryData.from_form(form),
                                                 client_id_text=client_id, channel=Channel.API)
    return done({**intervention_json(intervention), "client_id": intervention.client_id,
                 "equipment": intervention.equipment.code}, 201 if created else 200)
