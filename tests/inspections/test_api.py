"""Inspections through the API as the phone's queue syncs them: every write a PUT to the client's id,
exactly once when repeated; photo refusals store nothing; the illegal trade export; focal points."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from certreg.certificates.trust import trust_list
from certreg.db import utcnow
from certreg.focalpoints import publication
from certreg.inspections.trade_report import COLUMNS
from certreg.vocabulary import Role
from tests import factories
from tests.cylinders.builders import make_cylinder
from tests.inspections.builders import border_post, new_id, recorded_shipment


def png(width: int = 8, height: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def inspector_api(api):
    api.token = factories.make_token(factories.make_user(Role.INSPECTOR, "KZ"))
    return api


def put(api, path, body=None, **kw):
    return api.open("PUT", path, json=body, **kw)


def inspection_body(**overrides):
    body = {"started_at": (utcnow() - timedelta(minutes=30)).isoformat(), "place_kind": "border_post",
            "border_post": "KHORGOS", "officers": "S. Abenov, customs; A. Nurlanova, ozone unit",
            "subject_kind": "shipment", "shipment_ref": "TIR-CN-2026-0815", "vehicle_number": "KZ 123 ABC 05",
            "foreign_country": "CN"}
    body.update(overrides)
    return body


def test_a_queue_replayed_records_everything_once(inspector_api, app):
    border_post("KZ")
    cid, reading, photo = new_id(), new_id(), new_id()
    first = put(inspector_api, f"/inspections/{cid}", inspection_body())
    assert first.status_code == 201, first.get_json()
    again = put(inspector_api, f"/inspections/{cid}", inspection_body())
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    body = {"label_substance": "R-134a", "instrument_model": "Neutronics Ultima ID", "instrument_serial": "U-77",
            "calibration_date": "2026-10-01", "r12_percent": "98.6", "r22_percent": "0.9", "r134a_percent": "0.5",
            "hydrocarbons_percent": "0", "air_percent": "2.1", "instrument_verdict": "R-12 98.6 %"}
    for expected in (201, 200):
        answer = put(inspector_api, f"/inspections/{cid}/cylinders/{reading}", body)
        assert answer.status_code == expected, answer.get_json()
        assert answer.get_json()["verdict"] == "mismatch" and answer.get_json()["found_substance"] == "CFC-12"
    for expected in (201, 200):
        answer = inspector_api.open("PUT", f"/inspections/{cid}/photos/{photo}?caption=Label", data=png(),
                                    headers={"Content-Type": "image/png"})
        assert answer.status_code == expected, answer.get_json()
    stored = inspector_api.get(f"/inspections/{cid}").get_json()
    assert len(stored["cylinders"]) == 1 and len(stored["photos"]) == 1
    files = list(Path(app.config["INSPECTION_PHOTOS_DIR"]).glob("*.png"))
    assert any(f.read_bytes() == png() for f in files)


def test_a_refused_item_is_told_and_nothing_is_written(inspector_api):
    border_post("KZ")
    cid = new_id()
    refused = put(inspector_api, f"/inspections/{cid}", inspection_body(border_post="NOWHERE"))
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"]["border_post"][0]["code"] == "unknown_border_post"
    assert inspector_api.get(f"/inspections/{cid}").status_code == 404


def test_the_inspected_shipment_is_named_by_its_declaration_number(inspector_api):
    border_post("KZ")
    shipment = recorded_shipment("DT-KZ-API-1")
    cid = new_id()
    stored = put(inspector_api, f"/inspections/{cid}", inspection_body(shipment_declaration="DT-KZ-API-1",
                                                                       shipment_ref=""))
    assert stored.status_code == 201, stored.get_json()
    body = stored.get_json()
    assert body["shipment_id"] == shipment.id and body["shipment_declaration"] == "DT-KZ-API-1"
    by_id = put(inspector_api, f"/inspections/{new_id()}", inspection_body(shipment_id=shipment.id, shipment_ref=""))
    assert by_id.status_code == 201 and by_id.get_json()["shipment_id"] == shipment.id
    other = new_id()
    refused = put(inspector_api, f"/inspections/{other}", inspection_body(shipment_declaration="DT-NO-SUCH"))
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"]["shipment_declaration"][0]["code"] == "unknown_shipment"
    assert inspector_api.get(f"/inspections/{other}").status_code == 404


@pytest.mark.parametrize(("data", "content_type", "code", "status"), [
    (b"GIF89a" + b"\0" * 100, "image/gif", "photo_wrong_type", 422),
    (b"%PDF-1.4 not an image", "image/png", "photo_wrong_type", 422),
    (None, "image/png", "photo_too_many_pixels", 422),  # a decompression bomb: tiny file, huge canvas
    (b"x" * 10, "application/json", "unsupported_media_type", 415),
])
def test_photo_refusals_store_nothing(inspector_api, app, data, content_type, code, status):
    border_post("KZ")
    cid = new_id()
    put(inspector_api, f"/inspections/{cid}", inspection_body())
    if data is None:
        out = io.BytesIO()
        Image.new("1", (12000, 12000)).save(out, "PNG")  # 144 megapixels, a few kilobytes
        data = out.getvalue()
    before = set(Path(app.config["INSPECTION_PHOTOS_DIR"]).glob("*")) if Path(
        app.config["INSPECTION_PHOTOS_DIR"]).exists() else set()
    answer = inspector_api.open("PUT", f"/inspections/{cid}/photos/{new_id()}", data=data,
                                headers={"Content-Type": content_type})
    assert answer.status_code == status and answer.get_json()["error"]["code"] == code
    assert inspector_api.get(f"/inspections/{cid}").get_json()["photos"] == []
    after = set(Path(app.config["INSPECTION_PHOTOS_DIR"]).glob("*")) if Path(
        app.config["INSPECTION_PHOTOS_DIR"]).exists() else set()
    assert after == before


def test_oversize_photo_is_refused(inspector_api, app, monkeypatch):
    border_post("KZ")
    monkeypatch.setitem(app.config, "INSPECTION_PHOTO_MAX_BYTES", 100)
    cid = new_id()
    put(inspector_api, f"/inspections/{cid}", inspection_body())
    answer = inspector_api.open("PUT", f"/inspections/{cid}/photos/{new_id()}", data=png(64, 64) + b"\0" * 200,
                                headers={"Content-Type": "image/png"})
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "photo_too_large"


def test_seizure_and_illegal_trade_export(inspector_api):
    border_post("KZ")
    importer = factories.make_company(country_code="KZ", activities=["importer", "dealer"])
    cylinder = make_cylinder(importer)
    cid = new_id()
    put(inspector_api, f"/inspections/{cid}", inspection_body(subject_kind="company", shipment_ref="",
                                                               company_registration=importer.registration_number))
    decision = {"decision": "seizure", "storage_place": "Khorgos customs store", "seized_on": "2026-12-05",
                "goods": [{"substance": "HFC-134a", "kg": "12", "cylinders": 1, "serials": [cylinder.serial]},
                          {"substance": "CFC-12", "kg": "27.2", "cylinders": 2}]}
    for _ in range(2):  # a repeated sync
        answer = put(inspector_api, f"/inspections/{cid}/decision", decision)
        assert answer.status_code == 200, answer.get_json()
    assert put(inspector_api, f"/inspections/{cid}/decision", {"decision": "warning"}).status_code == 409
    handover = new_id()
    for expected in (201, 200):
        assert put(inspector_api, f"/inspections/{cid}/custody/{handover}", {
            "handed_at": utcnow().isoformat(), "from_party": "Inspector", "to_party": "Customs store",
            "place": "Khorgos"}).status_code == expected
    ministry = factories.make_token(factories.make_user(Role.ADMIN, "KZ"))
    export = inspector_api.get("/countries/KZ/illegal-trade?format=csv", token=ministry)
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0] == COLUMNS == ["Party", "Date of seizure", "Substances", "Quantity (kg)", "Importing country",
                                  "Exporting country", "Details", "Action taken", "Remarks"]
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows[1:]] == [
        ("KZ", "2026-12-05", "HFC-134a", "12.000", "CN"), ("KZ", "2026-12-05", "CFC-12", "27.200", "CN")]
    assert inspector_api.get("/countries/KZ/illegal-trade").status_code == 403  # inspectors do not export


def test_other_countries_inspectors_see_focal_points_not_inspections(inspector_api):
    border_post("KZ")
    cid = new_id()
    put(inspector_api, f"/inspections/{cid}", inspection_body())
    kg_inspector = factories.make_token(factories.make_user(Role.INSPECTOR, "KG"))
    assert inspector_api.get(f"/inspections/{cid}", token=kg_inspector).status_code == 404
    directory = inspector_api.get("/focal-points", token=kg_inspector).get_json()["focal_points"]
    assert any(f["country"] == "KZ" and f["code"] == "KHORGOS" for f in directory)


def test_signed_focal_points_document_verifies(api):
    factories.ensure_keys("KZ")
    border_post("KZ")
    document = api.get("/focal-points/KZ", token=None).get_json()
    content = publication.verify_document(document, trust_list())
    assert content["country"] == "KZ" and content["entries"][0]["code"] == "KHORGOS"
    document["document"] = document["document"][:-2] + "AA"
    with pytest.raises(Exception, match="differs|signature"):
        publication.verify_document(document, trust_list())
