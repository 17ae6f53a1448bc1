"""One queued inspection from a phone's offline queue, recorded at once: the inspection, its cylinder
checks with their readings, and its photos, through the same services as the pages and the API.

The phone sends the whole queued inspection when the network returns (``PUT /inspections/sync/<id>``,
the inspector's session); every record carries the client id the phone made, so a sync repeated or
interrupted records everything exactly once. The request is one transaction: a refusal (e.g. an
unknown border post, a photo too large) writes nothing of it and is answered with its code and field,
which the phone shows next to the queued inspection.

Body (JSON)::

    {"inspection": {<the fields of records.InspectionData but client_id>},
     "cylinders": [{"client_id": UUID, <the fields of records.CylinderCheckData>}, ...],   # at most 50
     "photos": [{"client_id": UUID, "caption": str, "data": base64 of the image}, ...],     # at most 10
     "decision": {"decision": str, "note": str, "storage_place": str, "seized_on": str,    # optional
                  "goods": [{"substance": str, "kg": str, "cylinders": str, "serials": [str]}]},
     "custody": [{"client_id": UUID, <the fields of seizures.HandoverData>}, ...],          # at most 20
     "case": [{"client_id": UUID, <the fields of seizures.CaseData>}, ...]}                 # at most 20

The decision is recorded when the inspection has none yet (so a repeated sync changes nothing, and a
decision recorded online afterwards stands); a seizure is checked like one made online (storage place,
goods, registered serials) and a refused one refuses the whole queued inspection. Custody handovers and
case steps follow, in the order sent, each once by its client id (as ``PUT .../custody/<id>`` and
``.../case/<id>`` of the API): they need the inspection's seizure (``not_a_seizure`` otherwise), and a
refused one (e.g. ``case_closed``, a handover with no recipient) refuses the whole queued inspection.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import fields
from typing import Any

from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.errors import ValidationFailed
from certreg.inspections import photos, records, seizures
from certreg.inspections.models import Inspection

MAX_CYLINDERS, MAX_PHOTOS, MAX_STEPS = 50, 10, 20
HANDOVER_FIELDS = [f.name for f in fields(seizures.HandoverData)]
CASE_FIELDS = [f.name for f in fields(seizures.CaseData)]


def _items(payload: dict[str, Any], name: str, limit: int) -> list[dict[str, Any]]:
    items = payload.get(name) or []
    if not isinstance(items, list) or len(items) > limit or not all(isinstance(i, dict) for i in items):
        raise ValidationFailed.for_field(name, _("Give a list of at most %(n)s items.", n=limit), "invalid_type")
    return items


def _text_values(values: dict[str, Any], names: list[str]) -> dict[str, str]:
    out = {}
    for name in names:
        value = values.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
            raise ValidationFailed.for_field(name, _("Enter text."), "invalid_type")
        out[name] = "" if value is None else str(value)
    return out


def decision_from_json(body: dict[str, Any]) -> seizures.DecisionData:
    """The decision as the API and the phone's queue send it. :raise ValidationFailed: ``invalid_type``."""
    goods = body.get("goods") or []
    if not isinstance(goods, list) or not all(isinstance(g, dict) for g in goods):
        raise ValidationFailed.for_field("goods", _("Give a list of goods."), "invalid_type")
    lines = []
    for line in goods:
        serials = line.get("serials") or []
        if not isinstance(serials, list) or not all(isinstance(s, str) for s in serials):
            raise ValidationFailed.for_field("goods", _("Give a list of goods."), "invalid_type")
        values = _text_values(line, ["substance", "kg", "cylinders"])
        lines.append(seizures.GoodsData(values["substance"], values["kg"], values["cylinders"], serials))
    values = _text_values(body, ["decision", "note", "storage_place", "seized_on"])
    return seizures.DecisionData(decision=values["decision"], note=values["note"],
                                 storage_place=values["storage_place"], seized_on=values["seized_on"], goods=lines)


def sync_inspection(actor: Actor, country_code: str, client_id: str, payload: Any) -> tuple[Inspection, bool]:
    """Record a queued inspection and everything it holds (each part once). :return: (inspection, created)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("inspection"), dict):
        raise ValidationFailed(_("The request body must be a JSON object."), code="invalid_json")
    names = [f.name for f in fields(records.InspectionData) if f.name != "client_id"]
    inspection, created = records.start(actor, country_code, records.InspectionData(
        client_id=client_id, **_text_values(payload["inspection"], names)))
    check_names = [f.name for f in fields(records.CylinderCheckData)]
    for item in _items(payload, "cylinders", MAX_CYLINDERS):
        records.check_cylinder(actor, inspection, records.CylinderCheckData(**_text_values(item, check_names)))
    written: list[str] = []
    try:
        for item in _items(payload, "photos", MAX_PHOTOS):
            values = _text_values(item, ["client_id", "caption", "data"])
            try:
                data = base64.b64decode(values["data"], validate=True)
            except (binascii.Error, ValueError):
                raise ValidationFailed.for_field("photo", _("The photo could not be read."),
                                                 "photo_unreadable") from None
            photo, new = photos.add_photo(actor, inspection, values["client_id"], data, values["caption"])
            if new:
                written.append(photo.stored_name)
        decision = payload.get("decision")
        if decision is not None and not isinstance(decision, dict):
            raise ValidationFailed.for_field("decision", _("Enter text."), "invalid_type")
        if decision and decision.get("decision") and inspection.decision is None:
            seizures.decide(actor, inspection, decision_from_json(decision))
        for item in _items(payload, "custody", MAX_STEPS):
            seizures.hand_over(actor, inspection, seizures.HandoverData(**_text_values(item, HANDOVER_FIELDS)))
        for item in _items(payload, "case", MAX_STEPS):
            seizures.record_case_event(actor, inspection, seizures.CaseData(**_text_values(item, CASE_FIELDS)))
    except Exception:
        for name in written:  # the transaction rolls back: so do the files this request wrote
            (photos.folder() / name).unlink(missing_ok=True)
        raise
    return inspection, created
