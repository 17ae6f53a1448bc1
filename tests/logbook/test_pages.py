"""The logbook pages: point of sale with its check step, quick entry, exports, inbox, equipment labels."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from certreg.extensions import db
from certreg.logbook import equipment as equipment_services
from certreg.logbook import queries, recording
from certreg.logbook.models import Entry, EntryKind, Intervention, Refusal
from tests.conftest import login, post_form
from tests.logbook.conftest import TODAY, certify, entry_data, stock


def test_point_of_sale_shows_the_verdict_before_recording(client, people):
    recording.record_entry(people.dealer_actor, people.dealer, entry_data("import", substance="R-404A"))
    db.session.commit()
    cert = certify(people.kz_tech_record)
    login(client, people.dealer_user)
    sale = {"buyer_certificate": cert.number, "operation_date": TODAY.isoformat(), "substance": "R-404A",
            "quantity": "2,5", "condition": "virgin", "action": "check"}
    checked = post_form(client, "/logbook/sale", sale)
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "ALLOWED" in page and people.kz_technician.name in page
    assert 'value="record"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == 1  # nothing recorded yet
    recorded = post_form(client, "/logbook/sale", {**sale, "action": "record"}, page="/logbook/sale")
    assert recorded.status_code == 302
    assert stock(people.dealer, "R-404A") == Decimal("97.5")
    leak_checker = certify(people.__class__().kz_tech_record, ("D",))
    denied = post_form(client, "/logbook/sale", {**sale, "buyer_certificate": leak_checker.number})
    assert denied.status_code == 422 and "DO NOT SELL" in denied.get_data(as_text=True)
    assert 'value="record"' not in denied.get_data(as_text=True)
    assert db.session.scalar(sa.select(Refusal.code)) == "activity_not_certified"


def test_quick_entry_charges_scanned_equipment_in_a_few_taps(client, people):
    certify(people.tech_record, ("A1",))  # charging needs a certified technician
    recording.record_entry(people.tech_actor, people.technician, entry_data("purchase", substance="R-404A",
                                                                           quantity=Decimal("10")))
    unit = equipment_services.register(people.tech_actor, people.technician, equipment_services.EquipmentData(
        owner_kind="company", owner_name="Narodny shop 12", site_address="Bishkek, Manas 40",
        kind="commercial_refrigeration", substance="R-404A", nominal_charge=Decimal("6")))
    db.session.commit()
    login(client, people.tech_user)
    scanned = client.get(f"/e/{unit.code}")
    assert scanned.status_code == 302 and scanned.headers["Location"].endswith(f"/logbook/quick?equipment={unit.code}")
    page = client.get(scanned.headers["Location"]).get_data(as_text=True)
    assert "Narodny shop 12" in page and 'data-scan-target' not in page  # equipment chosen: no scanner needed
    response = post_form(client, f"/logbook/quick?equipment={unit.code}",
                         {"equipment": unit.code, "kind": "charge", "quantity": "1.2", "condition": "virgin",
                          "operation_date": TODAY.isoformat()})
    assert response.status_code == 302, response.get_data(as_text=True)
    intervention = db.session.scalar(sa.select(Intervention))
    assert intervention.kind.value == "charge" and intervention.entries[0].quantity == Decimal("1.2")
    assert stock(people.technician, "R-404A") == Decimal("8.8")
    too_much = post_form(client, "/logbook/quick", {"equipment": unit.code.lower().replace("-", " "),
                                                    "kind": "charge", "quantity": "50",
                                                    "operation_date": TODAY.isoformat()})
    assert too_much.status_code == 422 and "Not enough stock" in too_much.get_data(as_text=True)
    unknown = post_form(client, "/logbook/quick", {"equipment": "KG-E-999999-0", "kind": "charge", "quantity": "1",
                                                   "operation_date": TODAY.isoformat()})
    assert unknown.status_code == 422


def test_equipment_label_qr_decodes_to_its_url(client, people, app):
    import zxingcpp
    from PIL import Image

    from certreg.certificates.qr import render_png

    unit = equipment_services.register(people.tech_actor, people.technician, equipment_services.EquipmentData(
        owner_kind="person", owner_name="A. Ivanova", site_address="Osh", kind="domestic", substance="R-600a",
        nominal_charge=Decimal("0.06")))
    db.session.commit()
    png = render_png(equipment_services.label_qr(unit))
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [d.text for d in decoded] == [f"{app.config['PUBLIC_BASE_URL']}/e/{unit.code}"]
    login(client, people.tech_user)
    assert client.get(f"/equipment/{unit.id}/qr.svg").mimetype == "image/svg+xml"
    assert unit.code in client.get(f"/equipment/{unit.id}/label").get_data(as_text=True)


def test_exports_keep_the_filters(client, people):
    recording.record_entry(people.dealer_actor, people.dealer, entry_data("import", substance="R-404A",
                                                                         cylinders=["C-1", "C-2"]))
    recording.record_entry(people.dealer_actor, people.dealer, entry_data("import", substance="HCFC-22"))
    db.session.commit()
    login(client, people.dealer_user)
    text = client.get("/logbook/export.csv?substance=R-404A").get_data(as_text=True)
    lines = text.strip().splitlines()
    assert lines[0].startswith("entry_id,seq,date,kind,substance,quantity_kg") and len(lines) == 2
    assert ",R-404A,100.000,virgin," in lines[1] and "C-1; C-2" in lines[1]
    workbook = load_workbook(io.BytesIO(client.get("/logbook/export.xlsx").data))
    rows = list(workbook.active.values)
    assert len(rows) == 3 and {r[4] for r in rows[1:]} == {"R-404A", "HCFC-22"}
    assert rows[1][5] == 100


def test_inbox_confirm_and_dispute_on_the_page(client, people):
    recording.record_entry(people.dealer_actor, people.dealer, entry_data("import", substance="R-404A"))
    cert = certify(people.kz_tech_record)
    first = recording.record_entry(people.dealer_actor, people.dealer, entry_data(
        "sale", substance="R-404A", quantity=Decimal("3"), buyer_certificate=cert.number))
    second = recording.record_entry(people.dealer_actor, people.dealer, entry_data(
        "sale", substance="R-404A", quantity=Decimal("4"), buyer_certificate=cert.number))
    db.session.commit()
    login(client, people.kz_tech_user)
    page = client.get("/logbook/inbox").get_data(as_text=True)
    assert page.count("Awaiting confirmation") == 2
    assert post_form(client, f"/logbook/transfers/{queries.transfer_of(first).id}/confirm", {},
                     page="/logbook/inbox").status_code == 302
    assert post_form(client, f"/logbook/transfers/{queries.transfer_of(second).id}/dispute",
                     {"reason": "I took 3 kg only"}, page="/logbook/inbox").status_code == 302
    assert stock(people.kz_technician, "R-404A") == Decimal("3")
    home = client.get("/").get_data(as_text=True)
    assert "Logbook" in home
    assert "Disputed" in client.get("/logbook/inbox").get_data(as_text=True)


def test_reversal_on_the_entry_page(client, people):
    entry = recording.record_entry(people.dealer_actor, people.dealer, entry_data("import"))
    db.session.commit()
    login(client, people.dealer_user)
    assert post_form(client, f"/logbook/entries/{entry.id}/reverse", {"reason": ""},
                     page=f"/logbook/entries/{entry.id}").status_code == 422
    response = post_form(client, f"/logbook/entries/{entry.id}/reverse", {"reason": "Entered twice"},
                         page=f"/logbook/entries/{entry.id}")
    assert response.status_code == 302
    assert "reversed by entry" in client.get(f"/logbook/entries/{entry.id}").get_data(as_text=True)


def test_verify_page_names_the_first_bad_entry(client, people, keys_dir):
    from certreg.actors import Actor
    from certreg.logbook import checkpointing
    from tests import factories

    for _ in range(3):
        recording.record_entry(people.dealer_actor, people.dealer, entry_data("import"))
    checkpointing.create_checkpoint(Actor.system(), "KZ")
    db.session.commit()
    login(client, factories.make_user("auditor", "KZ"))
    assert "INTACT" in client.get("/logbook/verify").get_data(as_text=True)
    victim = db.session.scalar(sa.select(Entry).where(Entry.seq == 1))
    from tests.logbook.test_tamper import as_superuser

    as_superuser("UPDATE logbook_entries SET note = 'changed' WHERE id = :id", id=victim.id)
    response = client.get("/logbook/verify")
    assert response.status_code == 409
    assert re.search(r"First bad entry: position 1", response.get_data(as_text=True))


def test_entry_form_records_a_stock_count(client, people):
    recording.record_entry(people.dealer_actor, people.dealer, entry_data("import"))
    db.session.commit()
    login(client, people.dealer_user)
    response = post_form(client, "/logbook/entries/new", {
        "kind": "stock_count", "operation_date": TODAY.isoformat(), "substance": "R-22", "condition": "virgin",
        "counted_quantity": "99,5", "reason": "Annual inventory"})
    assert response.status_code == 302, response.get_data(as_text=True)
    entry = db.session.scalar(sa.select(Entry).where(Entry.kind == EntryKind.STOCK_COUNT))
    assert (entry.direction.value, entry.quantity) == ("out", Decimal("0.5"))


def test_a_holders_logbook_pages_keep_the_kind_filter(client, people):
    from tests import factories

    for _ in range(55):
        recording.record_entry(people.dealer_actor, people.dealer, entry_data("import", quantity=Decimal("1")))
    db.session.commit()
    login(client, factories.make_user("inspector", "KZ"))
    page = client.get(f"/logbook/company/{people.dealer_company.id}?kind=import").get_data(as_text=True)
    assert f"/logbook/company/{people.dealer_company.id}?page=2&amp;kind=import" in page \
        or f"/logbook/company/{people.dealer_company.id}?kind=import&amp;page=2" in page
