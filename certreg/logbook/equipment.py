"""Equipment register, interventions (with the logbook entries they cause) and annual leak rates.

Equipment ids are ``CC-E-NNNNNN-D``: country, ``E``, a six-digit (or longer) number and a
Damm check digit computed as for certificate numbers (:mod:`certreg.certificates.numbers`),
so a mistyped id is caught. The QR label encodes ``{PUBLIC_BASE_URL}/e/{id}``; scanning it
with the phone's camera opens the quick entry with the equipment chosen.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import qrcode
import qrcode.constants
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.countries.logbook_settings import leak_rate_threshold
from certreg.db import today
from certreg.errors import NotFound, ValidationFailed
from certreg.extensions import db
from certreg.logbook import drafts, holders, recording, rules
from certreg.logbook.equipment_ids import format_code, normalize_code
from certreg.logbook.models import (
    Channel,
    Entry,
    EntryKind,
    Equipment,
    EquipmentKind,
    Intervention,
    InterventionKind,
    LeakCheckResult,
    OwnerKind,
)
from certreg.registry.services import search_key
from certreg.substances import services as substances
from certreg.vocabulary import OFFICIAL_ROLES, Role

logger = logging.getLogger(__name__)

ENTRY_KINDS_OF = {
    InterventionKind.INSTALLATION: {"charge"},
    InterventionKind.LEAK_CHECK: set(),
    InterventionKind.REPAIR: {"charge", "recovery"},
    InterventionKind.CHARGE: {"charge"},
    InterventionKind.RECOVERY: {"recovery"},
    InterventionKind.DECOMMISSIONING: {"recovery"},
}


def label_url(equipment: Equipment) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/e/{equipment.code}"


def label_qr(equipment: Equipment) -> qrcode.QRCode:
    qr = qrcode.QRCode(version=None, error_correction=qrcode.constants.ERROR_CORRECT_Q, border=4)
    qr.add_data(label_url(equipment))
    qr.make(fit=True)
    return qr


# --- access ------------------------------------------------------------------------------


def can_see(actor: Actor, equipment: Equipment) -> bool:
    """Officials of the country, and the country's companies and technicians (who service it)."""
    if actor.is_system:
        return True
    return actor.in_country(equipment.country_code, *OFFICIAL_ROLES, Role.COMPANY_USER, Role.TECHNICIAN)


def get_equipment(actor: Actor, equipment_id: int) -> Equipment:
    equipment = db.session.get(Equipment, equipment_id)
    if equipment is None or not can_see(actor, equipment):
        raise NotFound()
    return equipment


def get_by_code(actor: Actor, text: str) -> Equipment:
    """By id as typed or scanned. :raise NotFound: malformed, unknown or not visible."""
    code = normalize_code(text)
    equipment = db.session.scalar(sa.select(Equipment).where(Equipment.code == code)) if code else None
    if equipment is None or not can_see(actor, equipment):
        raise NotFound(_("No equipment with this id."), code="unknown_equipment")
    return equipment


def search(actor: Actor, country_code: str, q: str, *, who: holders.Holder | None = None, limit: int = 20,
           page: int = 1):
    """Equipment of the country (or registered or serviced by ``who``), by id, owner, site or description."""
    actor.require(actor.is_system or actor.in_country(country_code))
    query = sa.select(Equipment).where(Equipment.country_code == country_code)
    if who is not None:
        logbook = holders.logbook_for(who)
        logbook_id = logbook.id if logbook else -1
        query = query.where(sa.or_(
            Equipment.logbook_id == logbook_id,
            Equipment.id.in_(sa.select(Intervention.equipment_id).where(Intervention.logbook_id == logbook_id)),
        ))
    q = (q or "").strip()
    if q:
        code = normalize_code(q)
        needle = "%" + q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(Equipment.code == (code or q.upper()),
                                   Equipment.search_key.like(needle, escape="\\")))
    return db.paginate(query.order_by(Equipment.id.desc()), page=page, per_page=limit, error_out=False)


# --- register ----------------------------------------------------------------------------


@dataclass
class EquipmentData:
    owner_kind: str
    owner_name: str
    site_address: str
    kind: str
    substance: str
    nominal_charge: Decimal
    description: str | None = None


def register(actor: Actor, who: holders.Holder, data: EquipmentData) -> Equipment:
    """Register equipment in ``who``'s care and give it an id for its QR label."""
    holders.require_write(actor, who)
    owner_kind = drafts.choice(OwnerKind, data.owner_kind, "owner_kind")
    kind = drafts.choice(EquipmentKind, data.kind, "kind")
    if owner_kind is None or kind is None:
        raise ValidationFailed.for_field("kind" if kind is None else "owner_kind", _("Choose one."), "required")
    substance = substances.resolve(data.substance)
    charge = rules.parse_kilograms(data.nominal_charge, field_name="nominal_charge")
    logbook = holders.logbook_for(who, create=True)
    equipment = Equipment(
        code=f"tmp-{uuid.uuid4().hex[:20]}", country_code=who.country_code, logbook_id=logbook.id,
        owner_kind=owner_kind, owner_name=data.owner_name.strip(), site_address=data.site_address.strip(), kind=kind,
        substance_code=substance.code, nominal_charge=charge, description=drafts.blank(data.description),
    )
    db.session.add(equipment)
    db.session.flush()
    equipment.code = format_code(who.country_code, equipment.id)
    equipment.search_key = search_key(equipment.code, equipment.owner_name, equipment.site_address,
                                      equipment.description)
    db.session.flush()
    audit.record(actor, "equipment.create", equipment, summary=audit.msg("Registered equipment %(code)s",
                                                                         code=equipment.code),
                 after={"code": equipment.code, "owner_name": equipment.owner_name, "kind": kind.value,
                        "substance": substance.code, "nominal_charge": charge, "logbook": logbook.id})
    return equipment


# --- interventions -----------------------------------------------------------------------


@dataclass
class InterventionData:
    kind: str
    performed_on: date
    leak_check_result: str | None = None
    note: str | None = None
    charge_quantity: Decimal | None = None
    charge_condition: str | None = None
    recovered_quantity: Decimal | None = None
    cylinders: list[str] = field(default_factory=list)

    @classmethod
    def from_form(cls, form) -> InterventionData:
        """From an :class:`~certreg.logbook.forms.InterventionForm` (page or API)."""
        return cls(kind=form.kind.data, performed_on=form.performed_on.data,
                   leak_check_result=form.leak_check_result.data, note=form.note.data,
                   charge_quantity=form.charge_quantity.data, charge_condition=form.charge_condition.data,
                   recovered_quantity=form.recovered_quantity.data, cylinders=form.cylinders.data or [])


def record_intervention(actor: Actor, who: holders.Holder, equipment: Equipment, data: InterventionData, *,
                        channel: Channel = Channel.WEB) -> Intervention:
    """Record work on equipment and the charge/recovery entries it caused (all or nothing).

    :raise ValidationFailed: a refused entry (e.g. ``insufficient_stock``), or input that
        does not fit the kind of work.
    """
    holders.require_write(actor, who)
    kind = drafts.choice(InterventionKind, data.kind, "kind")
    if kind is None:
        raise ValidationFailed.for_field("kind", _("Choose the kind of work."), "required")
    if equipment.country_code != who.country_code:
        raise ValidationFailed.for_field("equipment", _("This equipment is registered in another country."),
                                         "equipment_other_country")
    if equipment.decommissioned_on is not None:
        raise ValidationFailed.for_field("equipment", _("This equipment was decommissioned."),
                                         "equipment_decommissioned")
    result = drafts.choice(LeakCheckResult, data.leak_check_result, "leak_check_result")
    if (kind is InterventionKind.LEAK_CHECK) != (result is not None):
        if result is None:
            raise ValidationFailed.for_field("leak_check_result", _("Give the result of the leak check."), "required")
        result = None  # a result only belongs to a leak check
    allowed = ENTRY_KINDS_OF[kind]
    wants = {name for name, quantity in (("charge", data.charge_quantity), ("recovery", data.recovered_quantity))
             if quantity not in (None, "")}
    for name in wants - allowed:
        field_name = "charge_quantity" if name == "charge" else "recovered_quantity"
        message = (_("This kind of work does not charge refrigerant.") if name == "charge"
                   else _("This kind of work does not recover refrigerant."))
        raise ValidationFailed.for_field(field_name, message, "not_applicable")
    if kind in (InterventionKind.CHARGE, InterventionKind.RECOVERY) and not wants:
        field_name = "charge_quantity" if kind is InterventionKind.CHARGE else "recovered_quantity"
        raise ValidationFailed.for_field(field_name, _("Enter the quantity in kilograms."), "required")
    logbook = holders.logbook_for(who, create=True)
    intervention = Intervention(
        equipment_id=equipment.id, logbook_id=logbook.id, kind=kind, performed_on=data.performed_on,
        leak_check_result=result, note=drafts.blank(data.note), recorded_by_user_id=actor.user_id,
        recorded_by_label=actor.label,
    )
    db.session.add(intervention)
    db.session.flush()
    common = dict(operation_date=data.performed_on, substance=equipment.substance_code, equipment=equipment.code,
                  cylinders=list(data.cylinders or []), note=drafts.blank(data.note))
    if "recovery" in wants:  # recover first: a repair empties the circuit before recharging it
        recording.record_entry(actor, who, drafts.EntryData(
            kind=EntryKind.RECOVERY.value, quantity=data.recovered_quantity, condition="recovered", **common),
            channel=channel, intervention_id=intervention.id)
    if "charge" in wants:
        recording.record_entry(actor, who, drafts.EntryData(
            kind=EntryKind.CHARGE.value, quantity=data.charge_quantity, condition=data.charge_condition or "virgin",
            **common), channel=channel, intervention_id=intervention.id)
    if kind is InterventionKind.DECOMMISSIONING:
        equipment.decommissioned_on = data.performed_on
    db.session.flush()
    audit.record(actor, "equipment.intervention", intervention, country_code=equipment.country_code,
                 summary=audit.msg("%(kind)s on %(code)s", kind=kind.value, code=equipment.code),
                 after={"equipment": equipment.code, "kind": kind.value, "performed_on": data.performed_on,
                        "leak_check_result": result.value if result else None,
                        "charge": data.charge_quantity, "recovered": data.recovered_quantity})
    return intervention


# --- leak rates --------------------------------------------------------------------------


@dataclass(frozen=True)
class LeakRate:
    added_kg: Decimal  # topped up in the 12 months before ``until`` (see leak_rates)
    nominal_charge: Decimal
    percent: Decimal
    threshold: Decimal
    flagged: bool


def leak_rates(equipment: list[Equipment], *, until: date | None = None) -> dict[int, LeakRate]:
    """Annual leak rate per equipment: kg topped up in the last 12 months / nominal charge, in percent.

    "Topped up" counts every charge in the window except the initial charge at installation,
    less what the same intervention recovered (a repair that empties and refills the circuit
    adds only the difference); reversed entries do not count. Above the country's threshold
    (``LEAK_RATE_THRESHOLD_PERCENT`` or its setting) the equipment is flagged.
    """
    if not equipment:
        return {}
    until = until or today()
    since = until - timedelta(days=365)
    e = Entry.__table__.alias("e")
    r = Entry.__table__.alias("r")
    i = Intervention.__table__
    signed = sa.case((e.c.kind == EntryKind.CHARGE.value, e.c.quantity), (i.c.id.is_not(None), -e.c.quantity),
                     else_=0)
    rows = db.session.execute(
        sa.select(e.c.equipment_id, e.c.intervention_id, sa.func.sum(signed))
        .select_from(e.outerjoin(i, i.c.id == e.c.intervention_id))
        .where(e.c.equipment_id.in_([eq.id for eq in equipment]),
               e.c.kind.in_([EntryKind.CHARGE.value, EntryKind.RECOVERY.value]),
               e.c.operation_date > since, e.c.operation_date <= until,
               sa.or_(i.c.kind.is_(None), i.c.kind != InterventionKind.INSTALLATION.value),
               ~sa.exists().where(r.c.reverses_id == e.c.id))
        .group_by(e.c.equipment_id, e.c.intervention_id)
    ).all()
    added: dict[int, Decimal] = {}
    for equipment_id, _intervention_id, total in rows:
        net = max(Decimal(total).quantize(rules.GRAMS), Decimal("0.000"))
        added[equipment_id] = added.get(equipment_id, Decimal("0.000")) + net
    thresholds: dict[str, Decimal] = {}
    result = {}
    for eq in equipment:
        threshold = thresholds.setdefault(eq.country_code, leak_rate_threshold(eq.country_code))
        kg = added.get(eq.id, Decimal("0.000"))
        percent = (kg * 100 / eq.nominal_charge).quantize(Decimal("0.1"))
        result[eq.id] = LeakRate(kg, eq.nominal_charge, percent, threshold, percent > threshold)
    return result

