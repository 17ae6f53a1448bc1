"""``/api/v1/inspections``: inspections at markets and borders, made for an offline queue.

Every record is addressed by the identifier the client made (a UUID), and every write is a ``PUT``
to that address: sending it again answers the record stored the first time (200) instead of
recording it twice (201 the first time). The illegal trade report and the focal point directory
(with its signed document for partner installations) live here too.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, request
from flask_babel import gettext as _

from certreg.api import bp
from certreg.api.common import api_actor, done, json_body, output_format
from certreg.countries import services as countries
from certreg.db import today
from certreg.errors import CertregError, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.focalpoints import publication
from certreg.focalpoints import services as focalpoints
from certreg.inspections import access, dashboard, photos, records, seizures, sync, trade_report
from certreg.inspections.models import CylinderCheck, Inspection
from certreg.spreadsheets import XLSX_MIMETYPE, xlsx_bytes


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _str(value) -> str | None:
    return None if value is None else f"{value:f}" if hasattr(value, "is_finite") else str(value)


def cylinder_json(check: CylinderCheck) -> dict[str, Any]:
    return {"client_id": check.client_id, "label_serial": check.label_serial, "label_substance": check.label_substance,
            "register_answer": check.register_answer, "register_substance": check.register_substance,
            "instrument_model": check.instrument_model, "instrument_serial": check.instrument_serial,
            "calibration_date": _iso(check.calibration_date),
            **{name: _str(getattr(check, name)) for name in records.PERCENT_FIELDS},
            "instrument_verdict": check.instrument_verdict,
            "verdict": check.verdict.value if check.verdict else None, "found_substance": check.found_substance}


def inspection_json(inspection: Inspection) -> dict[str, Any]:
    seizure = inspection.seizure
    return {
        "id": inspection.id, "client_id": inspection.client_id, "country": inspection.country_code,
        "started_at": _iso(inspection.started_at), "place_kind": inspection.place_kind.value,
        "place": inspection.place, "border_post": inspection.border_post.code if inspection.border_post else None,
        "vehicle_number": inspection.vehicle_number, "officers": inspection.officers,
        "subject_kind": inspection.subject_kind.value, "company_id": inspection.company_id,
        "technician_id": inspection.technician_id, "shipment_id": inspection.shipment_id,
        "shipment_declaration": inspection.shipment.declaration_number if inspection.shipment else None,
        "shipment_ref": inspection.shipment_ref,
        "foreign_country": inspection.foreign_country,
        "decision": inspection.decision.value if inspection.decision else None,
        "certificates": [{"client_id": c.client_id, "number": c.number, "verdict": c.verdict, "scan_id": c.scan_id}
                         for c in inspection.certificates],
        "cylinders": [cylinder_json(c) for c in inspection.cylinders],
        "photos": [{"client_id": p.client_id, "media_type": p.media_type, "size_bytes": p.size_bytes,
                    "sha256": p.sha256} for p in inspection.photos],
        "seizure": None if seizure is None else {
            "storage_place": seizure.storage_place, "seized_on": _iso(seizure.seized_on),
            "goods": [{"substance": g.substance_code, "kg": _str(g.kg), "cylinders": g.cylinders,
                       "serials": g.serials, "entry_id": g.entry_id} for g in seizure.goods],
            "custody": [{"client_id": h.client_id, "handed_at": _iso(h.handed_at), "from": h.from_party,
                         "to": h.to_party, "place": h.place, "chain_hash": h.chain_hash} for h in seizure.handovers],
            "case": [{"client_id": e.client_id, "kind": e.kind.value, "on": _iso(e.happened_on),
                      "amount": _str(e.amount), "currency": e.currency,
                      "disposal": e.disposal.value if e.disposal else None} for e in seizure.case_events]},
    }


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValidationFailed.for_field(name, _("Enter text."), "invalid_type")
    return str(value)


def _fields(body: dict[str, Any], names) -> dict[str, str]:
    return {name: _text(body, name) for name in names}


def _by_client_id(actor, client_id: str) -> Inspection:
    cid = records.client_id(client_id)
    inspection = db.session.scalar(sa.select(Inspection).where(Inspection.client_id == cid))
    if inspection is None or not access.can_read(actor, inspection.country_code):
        raise NotFound()
    return inspection


def _stored(payload: dict[str, Any], created: bool):
    return done(payload, 201 if created else 200)


@bp.get("/inspections")
def list_inspections():
    actor = api_actor()
    actor.require(access.can_read(actor, actor.country_code))
    found = db.session.scalars(sa.select(Inspection).where(Inspection.country_code == actor.country_code)
                               .order_by(Inspection.started_at.desc()).limit(200))
    return done({"inspections": [inspection_json(i) for i in found]})


@bp.put("/inspections/<client_id>")
def put_inspection(client_id: str):
    actor = api_actor()
    actor.require(access.can_write(actor, actor.country_code))
    body = json_body()
    data = records.InspectionData(client_id=client_id, **_fields(body, (
        "started_at", "place_kind", "officers", "subject_kind", "place", "border_post", "vehicle_number",
        "company_registration", "technician_id", "shipment_declaration", "shipment_id", "shipment_ref",
        "person_details", "foreign_country", "notes")))
    inspection, created = records.start(actor, actor.country_code, data)
    return _stored(inspection_json(inspection), created)


@bp.get("/inspections/<client_id>")
def get_inspection(client_id: str):
    return done(inspection_json(_by_client_id(api_actor(), client_id)))


@bp.put("/inspections/<client_id>/certificates/<item_id>")
def put_certificate_check(client_id: str, item_id: str):
    actor = api_actor()
    inspection = _by_client_id(actor, client_id)
    actor.require(access.can_write(actor, inspection.country_code))
    body = json_body()
    scan_id = body.get("scan_id")
    if scan_id is not None and (isinstance(scan_id, bool) or not isinstance(scan_id, int) or scan_id < 1):
        raise ValidationFailed.for_field("scan_id", _("No check of yours with this number."), "unknown_scan")
    check, created = records.check_certificate(actor, inspection, item_id, scan_id=scan_id,
                                               number=_text(body, "number"), note=_text(body, "note"))
    return _stored({"client_id": check.client_id, "number": check.number, "verdict": check.verdict,
                    "scan_id": check.scan_id}, created)


@bp.put("/inspections/<client_id>/cylinders/<item_id>")
def put_cylinder_check(client_id: str, item_id: str):
    actor = api_actor()
    inspection = _by_client_id(actor, client_id)
    actor.require(access.can_write(actor, inspection.country_code))
    body = json_body()
    data = records.CylinderCheckData(client_id=item_id, **_fields(body, (
        "label_substance", "label_serial", "origin_country", "net_kg", "instrument_model", "instrument_serial",
        "calibration_date", *records.PERCENT_FIELDS, "instrument_verdict")))
    check, created = records.check_cylinder(actor, inspection, data)
    return _stored(cylinder_json(check), created)


@bp.put("/inspections/<client_id>/photos/<item_id>")
def put_photo(client_id: str, item_id: str):
    """The body is the image itself (``image/jpeg``, ``image/png`` or ``image/webp``)."""
    actor = api_actor()
    inspection = _by_client_id(actor, client_id)
    actor.require(access.can_write(actor, inspection.country_code))
    if not (request.mimetype or "").startswith("image/"):
        error = CertregError(_("Send the photo as image/jpeg, image/png or image/webp."),
                             code="unsupported_media_type")
        error.status = 415
        raise error
    photo, created = photos.add_photo(actor, inspection, item_id, request.get_data(cache=False),
                                      request.args.get("caption", ""))
    return _stored({"client_id": photo.client_id, "media_type": photo.media_type, "size_bytes": photo.size_bytes,
                    "sha256": photo.sha256}, created)


@bp.put("/inspections/<client_id>/decision")
def put_decision(client_id: str):
    actor = api_actor()
    inspection = _by_client_id(actor, client_id)
    actor.require(access.can_write(actor, inspection.country_code))
    data = sync.decision_from_json(json_body())
    return done(inspection_json(seizures.decide(actor, inspection, data)))


@bp.put("/inspections/<client_id>/custody/<item_id>")
def put_custody(client_id: str, item_id: str):
    actor = api_actor()
    inspection = _by_client_id(actor, client_id)
    actor.require(access.can_write(actor, inspection.country_code))
    body = json_body()
    handover, created = seizures.hand_over(actor, inspection, seizures.HandoverData(
        client_id=item_id, **_fields(body, ("handed_at", "from_party", "to_party", "place", "note"))))
    return _stored({"client_id": handover.client_id, "chain_hash": handover.chain_hash}, created)


@bp.put("/inspections/<client_id>/case/<item_id>")
def put_case_event(client_id: str, item_id: str):
    actor = api_actor()
    inspection = _by_client_id(actor, client_id)
    actor.require(access.can_write(actor, inspection.country_code))
    body = json_body()
    event, created = seizures.record_case_event(actor, inspection, seizures.CaseData(
        client_id=item_id, **_fields(body, ("kind", "happened_on", "amount", "currency", "disposal", "reference",
                                            "text"))))
    return _stored({"client_id": event.client_id, "kind": event.kind.value}, created)


@bp.get("/countries/<code>/illegal-trade")
def illegal_trade(code: str):
    """The country's seizures in the Ozone Secretariat's illegal trade table (csv, xlsx or json)."""
    actor = api_actor()
    country = countries.country(code)
    actor.require(trade_report.can_export(actor, country.code))
    fmt = output_format()
    name = f"illegal-trade-{country.code}"
    if fmt == "csv":
        return Response(trade_report.csv_text(actor, country.code), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    if fmt == "xlsx":
        return Response(xlsx_bytes([("Illegal trade", trade_report.COLUMNS,
                                     trade_report.rows(actor, country.code))]), mimetype=XLSX_MIMETYPE,
                        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
    return done({"columns": trade_report.COLUMNS,
                 "rows": [[_str(v) if not isinstance(v, str) else v for v in row]
                          for row in trade_report.rows(actor, country.code)]})


@bp.get("/countries/<code>/inspection-figures")
def inspection_figures(code: str):
    """The country's inspections and seizures by border post, substance and month (the dashboard's figures)."""
    actor = api_actor()
    country = countries.country(code)
    actor.require(access.can_read(actor, country.code))
    start, end = dashboard.period(request.args.get("date_from"), request.args.get("date_to"),
                                  default_year=today().year)
    return done(dashboard.figures(actor, country.code, start, end).as_dict())


@bp.get("/focal-points")
def list_focal_points():
    """Every country's directory (officials of any country)."""
    actor = api_actor()
    return done({"focal_points": [{"id": f.id, "country": f.country_code, **publication.entry_json(f)}
                                  for f in focalpoints.listing(actor)]})


@bp.get("/focal-points/<code>")
def focal_points_document(code: str):
    """Public: the country's directory as a signed document (certreg.focalpoints.publication)."""
    country = countries.country(code)
    response = done(publication.signed_document(country.code))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
