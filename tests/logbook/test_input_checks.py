"""Input the database would refuse is refused first, with a field and a code (issue 9, items 4, 6 and 7).

Over-long CSV cells, a refused sale with a scanned ``/v/`` URL (kept as a refused attempt
naming the certificate, on PostgreSQL too), and country codes that are not ISO 3166-1.
"""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.certificates import lifecycle as certs
from certreg.countries import codes as countries
from certreg.errors import ValidationFailed, roll_back
from certreg.extensions import db
from certreg.logbook import drafts, recording
from certreg.logbook.models import Entry, EntryCylinder, ImportBatch, Refusal
from tests import factories
from tests.conftest import count_rows, login, post_form
from tests.logbook.builders import HEADER
from tests.logbook.conftest import TODAY, certify, entry_data
from tests.logbook.test_api import IMPORT
from tests.logbook.test_import import run_import

SYSTEM = Actor.system("tests")
IMPORT_LINE = f"{TODAY},import,HCFC-22,100,virgin,,LIC-1,DECL-1,CN,Example Chemical Co.,,,INV-1"


@pytest.fixture
def dealer_api(api, people):
    api.token = factories.make_token(people.dealer_user)
    return api


# --- item 4: every cell's length is checked before the database sees it ---------------------


def _csv(text: str) -> bytes:
    return text.encode()


@pytest.mark.parametrize("column,position", [("documents", 12), ("customs_declaration", 7), ("exporter", 9),
                                             ("cylinders", 5)])
def test_an_over_long_csv_cell_is_a_line_error_naming_its_column(app, tmp_path, people, column, position):
    cells = IMPORT_LINE.split(",")
    cells[position] = "x" * 100_000
    text = HEADER + IMPORT_LINE + "\n" + ",".join(cells) + "\n" + IMPORT_LINE.replace("INV-1", "INV-3") + "\n"
    before = count_rows(Entry, ImportBatch, EntryCylinder)
    result = run_import(app, tmp_path, people, text)
    assert result.exit_code == 1, result.output
    assert f"line 3: {column}:" in result.output and "[too_long]" in result.output, result.output[:2000]
    assert "line 2" not in result.output and "line 4" not in result.output
    assert count_rows(Entry, ImportBatch, EntryCylinder) == before  # all or nothing


def test_the_api_import_reports_the_over_long_cell_on_its_line(dealer_api):
    text = HEADER + IMPORT_LINE + "\n" + IMPORT_LINE.replace("INV-1", "N" * 100_000) + "\n"
    response = dealer_api.post("/logbook/imports", data=text.encode(), headers={"Content-Type": "text/csv"})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "import_refused"
    assert [(e["code"], e["message"].split(":")[0]) for e in error["fields"]["line 3"]] == [("too_long", "documents")]
    assert count_rows(Entry)["logbook_entries"] == 0


def test_limits_come_from_the_columns():
    assert drafts.FIELD_LIMITS["document_numbers"] == Entry.__table__.c.document_numbers.type.length == 255
    assert drafts.FIELD_LIMITS["import_licence"] == 64
    assert EntryCylinder.__table__.c.serial.type.length == drafts.CYLINDER_MAX
    with pytest.raises(ValidationFailed) as info:
        drafts.draft_from(entry_data("import", exporter_name="E" * 256, note="n" * 2001))
    assert info.value.code == "too_long" and set(info.value.fields) == {"exporter_name", "note"}


# --- item 6: a refused sale with a scanned URL is kept, naming the certificate ----------------


@pytest.fixture
def revoked_scan(app, people):
    """The dealer has R-404A in stock; the KZ technician's certificate is revoked; its QR URL as scanned."""
    recording.record_entry(people.dealer_actor, people.dealer, entry_data("import", substance="R-404A"))
    cert = certify(people.kz_tech_record, ("A1",))
    certs.revoke(SYSTEM, cert, "Logbook not kept")
    db.session.commit()
    url = f"{app.config['PUBLIC_BASE_URL']}/v/{cert.token}"
    assert len(url) > 64
    return cert.number, url


SALE = {"operation_date": TODAY.isoformat(), "substance": "R-404A", "quantity": 5}


def _refusals():
    return list(db.session.scalars(sa.select(Refusal).order_by(Refusal.id)))


def _assert_kept(number: str, url: str, stage: str | None) -> None:
    (refusal,) = _refusals()
    assert refusal.code == "certificate_revoked" and refusal.buyer_certificate == number
    assert refusal.details["buyer_certificate"] == number and refusal.details.get("stage") == stage
    assert url not in str(refusal.details) and refusal.buyer_logbook_id is not None


def test_point_of_sale_check_with_a_scanned_revoked_certificate_keeps_the_refusal(dealer_api, revoked_scan):
    number, url = revoked_scan
    response = dealer_api.post("/logbook/sales/check", json={**SALE, "buyer_certificate": url})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["allowed"] is False and response.get_json()["code"] == "certificate_revoked"
    _assert_kept(number, url, "check")


def test_recording_a_sale_with_a_scanned_revoked_certificate_keeps_the_refusal(dealer_api, revoked_scan):
    number, url = revoked_scan
    response = dealer_api.post("/logbook/entries", json={**SALE, "kind": "sale", "buyer_certificate": url})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "certificate_revoked"
    _assert_kept(number, url, None)


def test_the_point_of_sale_page_with_a_scanned_revoked_certificate_keeps_the_refusal(client, people, revoked_scan):
    number, url = revoked_scan
    login(client, people.dealer_user)
    sale = {**SALE, "quantity": "5", "condition": "virgin", "buyer_certificate": url}
    checked = post_form(client, "/logbook/sale", {**sale, "action": "check"})
    assert checked.status_code == 422 and "DO NOT SELL" in checked.get_data(as_text=True)
    recorded = post_form(client, "/logbook/sale", {**sale, "action": "record"})
    assert recorded.status_code == 422
    assert [(r.code, r.buyer_certificate) for r in _refusals()] == [("certificate_revoked", number)] * 2
    assert all(url not in str(r.details) for r in _refusals())


def test_a_forged_scan_keeps_only_its_hash(dealer_api, app, revoked_scan):
    forged = f"{app.config['PUBLIC_BASE_URL']}/v/{'A' * 120}"
    response = dealer_api.post("/logbook/entries", json={**SALE, "kind": "sale", "buyer_certificate": forged})
    assert response.status_code == 422
    (refusal,) = _refusals()
    assert refusal.code in ("unknown_certificate", "malformed_number") and refusal.buyer_certificate is None
    assert "buyer_certificate" not in refusal.details and len(refusal.details["buyer_certificate_sha256"]) == 64


def test_a_refusal_that_cannot_be_kept_is_logged_and_the_others_are_kept(people, caplog):
    kept = []
    error = ValidationFailed("refused", code="insufficient_stock")

    def broken():
        raise RuntimeError("disk full")

    def keep():
        db.session.add(Refusal(country_code="KZ", actor_label="tests", channel="web", code="insufficient_stock",
                               message="kept"))
        db.session.flush()
        kept.append(True)

    error.after_rollback.extend([broken, keep])
    with caplog.at_level(logging.ERROR, logger="certreg.errors"):
        roll_back(error)
    assert kept == [True] and [r.message for r in _refusals()] == ["kept"]
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "LOST" in record.getMessage() and "insufficient_stock" in record.getMessage()
    assert "disk full" in record.exc_text


# --- item 7: country codes are ISO 3166-1 ---------------------------------------------------


@pytest.mark.parametrize("code,expected", [("KZ", None), ("cn", None), ("XX", "unknown_country"),
                                           ("QQ", "unknown_country"), ("EU", "unknown_country"),
                                           ("ZZ", "unknown_country"), ("XK", "unknown_country"),
                                           ("K1", "invalid_country"), ("KAZ", "invalid_country"),
                                           ("Кз", "invalid_country")])
def test_the_country_check(code, expected):
    error = countries.problem(code)
    assert (error.code if error else None) == expected
    assert len(countries.iso_codes()) == 249


@pytest.mark.parametrize("body,field", [
    ({"kind": "purchase", "counterparty_name": "Seller", "counterparty_country": "XX"}, "counterparty_country"),
    ({**IMPORT, "origin_country": "QQ"}, "origin_country"),
    ({"kind": "export", "export_licence": "E-1", "destination_country": "ZZ"}, "destination_country"),
])
def test_the_api_refuses_an_unknown_country(dealer_api, body, field):
    response = dealer_api.post("/logbook/entries", json={**IMPORT, "kind": "import", **body})
    assert response.status_code == 422, response.get_json()
    assert [e["code"] for e in response.get_json()["error"]["fields"][field]] == ["unknown_country"]
    assert count_rows(Entry)["logbook_entries"] == 0


def test_the_entry_page_refuses_an_unknown_country(client, people):
    login(client, people.dealer_user)
    response = post_form(client, "/logbook/entries/new", {**IMPORT, "quantity": "40", "condition": "virgin",
                                                           "origin_country": "QQ"})
    assert response.status_code == 422 and "not a country code" in response.get_data(as_text=True)
    assert count_rows(Entry)["logbook_entries"] == 0


def test_the_csv_import_and_the_service_refuse_an_unknown_country(app, tmp_path, people):
    result = run_import(app, tmp_path, people, HEADER + IMPORT_LINE.replace(",CN,", ",QQ,") + "\n")
    assert result.exit_code == 1 and "line 2: origin_country:" in result.output
    assert "[unknown_country]" in result.output
    with pytest.raises(ValidationFailed) as info:
        recording.record_entry(people.dealer_actor, people.dealer, entry_data("purchase", counterparty_country="XX"))
    assert info.value.fields["counterparty_country"][0].code == "unknown_country"
