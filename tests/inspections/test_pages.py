"""Inspection pages: an inspector starts an inspection from a label scan, records a mismatch and a seizure;
a refused photo stores nothing; the holder sees only the outcome; focal points edited by the admin."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image

from certreg.extensions import db
from certreg.focalpoints.models import FocalPoint
from certreg.inspections.models import Inspection, Photo, SeizedGoods, Seizure
from certreg.vocabulary import Role
from tests.conftest import login, post_form
from tests.cylinders.builders import make_cylinder
from tests.factories import make_company, make_user
from tests.inspections.builders import border_post, recorded_shipment, stock


def test_an_inspection_from_a_scan_to_a_seizure(client, app):
    company = make_company(country_code="KG", activities=["importer", "dealer"])
    stock(company, "HFC-134a", "40")
    cylinder = make_cylinder(company)
    login(client, make_user(Role.INSPECTOR, "KG"))
    scan = client.get(f"/c/{cylinder.token}")
    assert f"/inspections/new?serial={cylinder.serial}" in scan.text
    response = post_form(client, f"/inspections/new?serial={cylinder.serial}", {
        "started_at": "2026-12-01 10:30", "place_kind": "market_stall", "place": "Dordoi, row 7",
        "officers": "B. Asanov", "subject_kind": "company", "company_registration": company.registration_number},
        page="/inspections/new")
    assert response.status_code == 302, response.text
    detail = response.headers["Location"]
    page = client.get(detail)
    assert f'value="{cylinder.serial}"' in page.text
    inspection_id = int(detail.split("?")[0].rsplit("/", 1)[1])
    response = post_form(client, f"/inspections/{inspection_id}/cylinders", {
        "cyl-client_id": "6c1c8c30-0000-4000-8000-00000000000a", "cyl-label_serial": cylinder.serial,
        "cyl-label_substance": "R-134a", "cyl-instrument_model": "Ultima ID", "cyl-instrument_serial": "U-1",
        "cyl-calibration_date": "2026-11-01", "cyl-r12_percent": "99", "cyl-r134a_percent": "1",
        "cyl-air_percent": "0.5"}, page=detail)
    assert response.status_code == 302, response.text
    assert "Does not match the label" in client.get(detail).text
    assert "Suspect" in client.get(f"/c/{cylinder.token}").text
    response = post_form(client, f"/inspections/{inspection_id}/photos", {
        "photo-client_id": "6c1c8c30-0000-4000-8000-00000000000b",
        "photo-photo": (io.BytesIO(b"not an image at all"), "label.jpg")},
        page=detail, content_type="multipart/form-data")
    assert response.status_code == 422 and "Send a JPEG, PNG or WebP photo." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(out, "JPEG")
    response = post_form(client, f"/inspections/{inspection_id}/photos", {
        "photo-client_id": "6c1c8c30-0000-4000-8000-00000000000c",
        "photo-photo": (io.BytesIO(out.getvalue()), "label.jpg")}, page=detail, content_type="multipart/form-data")
    assert response.status_code == 302
    photo = db.session.scalar(sa.select(Photo))
    assert client.get(f"/inspections/photos/{photo.id}").data == out.getvalue()
    seizure = {"dec-decision": "seizure", "dec-storage_place": "Bishkek customs store",
               "dec-goods-0-substance": "HFC-134a", "dec-goods-0-kg": "12", "dec-goods-0-cylinders": "1",
               "dec-goods-0-serials": cylinder.serial}
    # a refused goods line (the third row, the second filled) is shown on its own row's field
    response = post_form(client, f"/inspections/{inspection_id}/decision", {
        **seizure, "dec-goods-2-substance": "CFC-12", "dec-goods-2-kg": "lots"}, page=detail)
    assert response.status_code == 422
    assert 'id="dec-goods-2-kg-error"' in response.text and 'id="dec-goods-0-kg-error"' not in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Seizure)) == 0
    # two goods lines (the second after an empty row)
    response = post_form(client, f"/inspections/{inspection_id}/decision", {
        **seizure, "dec-goods-2-substance": "CFC-12", "dec-goods-2-kg": "3.5", "dec-goods-2-cylinders": "2"},
        page=detail)
    assert response.status_code == 302, response.text
    goods = db.session.scalars(sa.select(SeizedGoods).order_by(SeizedGoods.id)).all()
    assert [(g.substance_code, str(g.kg), g.cylinders) for g in goods] == [("HFC-134a", "12.000", 1),
                                                                          ("CFC-12", "3.500", 2)]
    assert "Seized" in client.get(f"/c/{cylinder.token}").text
    response = post_form(client, f"/inspections/{inspection_id}/custody", {
        "hand-client_id": "6c1c8c30-0000-4000-8000-00000000000d", "hand-handed_at": "2026-12-01 12:00",
        "hand-from_party": "B. Asanov", "hand-to_party": "Customs store keeper", "hand-place": "Bishkek"},
        page=detail)
    assert response.status_code == 302, response.text
    assert "Customs store keeper" in client.get(detail).text
    # the holder sees the outcome, not the inspection
    holder = make_user(Role.COMPANY_USER, "KG", company=company)
    client = app.test_client()
    login(client, holder)
    outcomes = client.get("/inspections/outcomes")
    assert outcomes.status_code == 200 and "Seizure" in outcomes.text and "B. Asanov" not in outcomes.text
    assert client.get(detail).status_code == 404  # its existence is not revealed
    assert client.get(f"/inspections/photos/{photo.id}").status_code == 404


def test_unknown_border_post_is_refused_on_its_field(client):
    border_post("KG", "TORUGART")
    login(client, make_user(Role.INSPECTOR, "KG"))
    response = post_form(client, "/inspections/new", {
        "started_at": "2026-12-01 10:30", "place_kind": "border_post", "border_post": "NOWHERE",
        "officers": "B. Asanov", "subject_kind": "unknown_person", "person_details": "Driver"})
    assert response.status_code == 422 and "No border post with this code" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0


def test_the_inspected_shipment_links_to_its_record(client):
    shipment = recorded_shipment("DT-KZ-PAGE-1")
    login(client, make_user(Role.INSPECTOR, "KZ"))
    form = {"started_at": "2026-12-01 10:30", "place_kind": "vehicle", "vehicle_number": "KZ 123 ABC 05",
            "officers": "S. Abenov", "subject_kind": "shipment"}
    response = post_form(client, "/inspections/new", {**form, "shipment_declaration": "DT-KZ-TYPO"})
    assert response.status_code == 422
    assert "No shipment with this customs declaration number in this country." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0
    response = post_form(client, "/inspections/new", {**form, "shipment_declaration": "DT-KZ-PAGE-1"})
    assert response.status_code == 302, response.text
    page = client.get(response.headers["Location"])
    assert f'href="/shipments/{shipment.id}"' in page.text and "DT-KZ-PAGE-1" in page.text
    assert client.get(f"/shipments/{shipment.id}").status_code == 200  # the inspector may follow it


def test_admin_edits_the_directory_other_countries_read_it(client, app):
    login(client, make_user(Role.ADMIN, "KG"))
    response = post_form(client, "/focal-points/new", {
        "kind": "ozone_unit", "code": "NOU", "name": "Ozone Centre of Kyrgyzstan", "languages": "ky, ru, en",
        "phone": "+996 312 000000", "email": "ozone@example.kg", "hours": "Mon-Fri 09-18"})
    assert response.status_code == 302, response.text
    entry = db.session.scalar(sa.select(FocalPoint).where(FocalPoint.code == "NOU"))
    assert entry.country_code == "KG"
    refused = post_form(client, f"/focal-points/{entry.id}/edit", {"kind": "customs", "code": "NOU",
                                                                     "name": "X", "email": "not-an-address"})
    assert refused.status_code == 422
    client = app.test_client()
    login(client, make_user(Role.INSPECTOR, "KZ"))
    page = client.get("/focal-points")
    assert "Ozone Centre of Kyrgyzstan" in page.text and f"/focal-points/{entry.id}/edit" not in page.text


def test_the_ministry_opens_the_inspection_anomaly(client):
    from datetime import date, timedelta

    from certreg.logbook.models import Logbook
    from tests.inspections.builders import inspector, mismatch, start

    company = make_company(country_code="KG", activities=["importer", "dealer"])
    actor = inspector()
    mismatch(actor, start(actor, company=company))
    logbook = db.session.scalar(sa.select(Logbook.id).where(Logbook.company_id == company.id))
    login(client, make_user(Role.ADMIN, "KG"))
    today = date.today()
    page = client.get(f"/reports/anomalies/inspection_finding/{logbook}?date_from={today - timedelta(days=7)}"
                      f"&date_to={today}")
    assert page.status_code == 200, page.text
    assert "1 cylinder(s) whose contents do not match the label" in page.text
