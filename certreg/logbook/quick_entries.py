"""A technician's quick charge or recovery, from an equipment label: one path for the page, the phone's
offline queue and the API.

The entry is an intervention on the equipment and the logbook entry it causes, recorded by
:func:`certreg.logbook.equipment.record_intervention`, so every rule of
:mod:`certreg.logbook.recording` applies (certificate for the substance, stock, cylinders, ...), checked
again when the queue syncs.

Idempotent by the client's identifier: a quick entry may carry a UUID the client made (``client_id``;
the phone's queue makes one when the entry is saved, the page when the form is shown). The first
request records it (``created`` True); the same id with the same entry records nothing and answers
what was stored the first time (``created`` False), so a sync repeated or interrupted records once.
The same id with another entry (or by another holder) is refused: ``client_id_conflict`` (409).

Codes: ``invalid_client_id``, ``unknown_equipment``, ``invalid_choice``, ``client_id_conflict``, and
every code of the entry's rules (``docs/logbook.md``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.errors import Conflict, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.logbook import equipment, holders, ledger
from certreg.logbook.equipment_ids import normalize_code
from certreg.logbook.models import Channel, Equipment, Intervention

KINDS = ("charge", "recovery")


@dataclass
class QuickEntryData:
    """A charge or recovery as typed (page, phone or API), for the equipment ``equipment`` (id or label URL)."""

    equipment: str
    kind: str
    quantity: Decimal | None
    operation_date: date | None
    condition: str | None = None
    cylinders: list[str] = field(default_factory=list)
    note: str | None = None

    @classmethod
    def from_form(cls, form) -> QuickEntryData:
        """From a :class:`~certreg.logbook.forms.QuickEntryForm` (page, phone's sync or API)."""
        return cls(equipment=form.equipment.data or "", kind=form.kind.data or "", quantity=form.quantity.data,
                   operation_date=form.operation_date.data, condition=form.condition.data,
                   cylinders=list(form.cylinders.data or []), note=form.note.data)


def client_id(value: Any) -> str:
    """A UUID in its canonical lower-case form. :raise ValidationFailed: ``invalid_client_id``."""
    try:
        return str(uuid.UUID(str(value or "").strip()))
    except ValueError:
        raise ValidationFailed.for_field("client_id", _("Give the entry's identifier (a UUID)."),
                                         "invalid_client_id") from None


def _quantity_text(value: Decimal | None) -> str | None:
    try:
        return None if value is None else f"{Decimal(value).normalize():f}"
    except InvalidOperation:
        return str(value)


def digest(data: QuickEntryData) -> str:
    """SHA-256 hex of the entry as sent, after the form's parsing (what makes two sends "the same")."""
    charge = data.kind == "charge"
    canonical = {
        "equipment": normalize_code(data.equipment) or data.equipment.strip(), "kind": data.kind,
        "quantity": _quantity_text(data.quantity),
        "operation_date": data.operation_date.isoformat() if data.operation_date else None,
        "condition": (data.condition or "virgin") if charge else None, "cylinders": list(data.cylinders or []),
        "note": (data.note or "").strip() or None,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def stored(cid: str) -> Intervention | None:
    return db.session.scalar(sa.select(Intervention).where(Intervention.client_id == cid))


def _unit(actor: Actor, code: str) -> Equipment:
    try:
        return equipment.get_by_code(actor, code)
    except NotFound:
        raise ValidationFailed.for_field("equipment", _("No equipment with this id. Scan its label or search."),
                                         "unknown_equipment") from None


def record(actor: Actor, who: holders.Holder, data: QuickEntryData, *, client_id_text: str | None = None,
           channel: Channel = Channel.WEB) -> tuple[Intervention, bool]:
    """Record the charge or recovery once. :return: (the intervention, whether recorded now).

    :raise ValidationFailed: refused input or a refused rule (nothing written).
    :raise Conflict: ``client_id_conflict``: the id was used for another entry.
    """
    holders.require_write(actor, who)
    cid = client_id(client_id_text) if client_id_text is not None else None
    fingerprint = digest(data) if cid else None
    if cid:
        ledger.lock(who.country_code)  # a concurrent sync of the same id waits here, then finds it stored
        found = stored(cid)
        if found is not None:
            logbook = holders.logbook_for(who)
            if logbook is None or found.logbook_id != logbook.id or found.client_digest != fingerprint:
                raise Conflict(_("This identifier was already used for another entry."), code="client_id_conflict")
            return found, False
    unit = _unit(actor, data.equipment)
    if data.kind not in KINDS:
        raise ValidationFailed.for_field("kind", _("Not a valid choice."), "invalid_choice")
    work = equipment.InterventionData(
        kind=data.kind, performed_on=data.operation_date, note=data.note, cylinders=list(data.cylinders or []),
        charge_quantity=data.quantity if data.kind == "charge" else None, charge_condition=data.condition,
        recovered_quantity=data.quantity if data.kind == "recovery" else None)
    intervention = equipment.record_intervention(actor, who, unit, work, channel=channel)
    if cid:
        intervention.client_id, intervention.client_digest = cid, fingerprint
        db.session.flush()
    return intervention, True
