"""The logbook API: every rule refused and allowed, bad input answered 4xx with codes and nothing written;
every response is validated against the OpenAPI document."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from certreg.extensions import db
from certreg.logbook.models import Entry, Refusal
from tests import factories
from tests.conftest import count_rows
from tests.logbook.conftest import TODAY, certify

IMPORT = {"kind": "import", "operation_date": TODAY.isoformat(), "substance": "R-404A", "quantity": 40,
          "import_licence": "KZ-IMP-9", "customs_declaration": "DECL-9", "origin_country": "CN",
          "exporter_name": "Example Chemical Co."}


@pytest.fixture
def dealer_api(api, people):
    api.token = factories.make_token(people.dealer_user)
    return api


def post_entry(api, **overrides):
    return api.post("/logbook/entries", json={**IMPORT, **overrides})


def refused(response, code, status=422):
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code, response.get_json()
    return response.get_json()["error"]


def test_every_logbook_api_route_is_documented(app):
    from certreg.api.docs import openapi_spec

    spec = openapi_spec()
    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule[len("/api/v1"):]), m.lower())
              for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    documented = {(p, m) for p, item in spec["paths"].items()
                  for m in item if m in ("get", "post", "put", "patch", "delete")}
    assert routes == documented


def test_record_import_then_sale_to_a_certified_buyer_and_the_buyer_confirms(dealer_api, people, client, openapi):
    from tests.conftest import ApiClient

    created = post_entry(dealer_api)
    assert created.status_code == 201
    assert created.get_json()["quantity"] == "40.000" and created.get_json()["channel"] == "api"
    cert = certify(people.kz_tech_record)
    sale = {"kind": "sale", "operation_date": TODAY.isoformat(), "substance": "R-404A", "quantity": "12,5",
            "buyer_certificate": cert.number, "cylinders": ["KZ-CYL-1", "KZ-CYL-2"]}
    response = dealer_api.post("/logbook/entries", json=sale)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["transfer"]["status"] == "pending" and body["counterparty_holder"]["kind"] == "technician"
    stock = dealer_api.get(f"/logbook/stock?holder=company:{people.dealer_company.id}").get_json()
    assert stock["items"] == [{"substance": "R-404A", "condition": "virgin", "quantity": "27.500"}]
    buyer = ApiClient(client, openapi, factories.make_token(people.kz_tech_user))
    incoming = buyer.get("/logbook/transfers").get_json()["items"]
    assert [t["origin_entry_id"] for t in incoming] == [body["id"]]
    confirmed = buyer.post(f"/logbook/transfers/{incoming[0]['id']}/confirm", json={})
    assert confirmed.status_code == 201 and confirmed.get_json()["kind"] == "purchase"
    assert confirmed.get_json()["cylinders"] == ["KZ-CYL-1", "KZ-CYL-2"]
    refused(buyer.post(f"/logbook/transfers/{incoming[0]['id']}/dispute", json={"reason": "late"}), "transfer_closed",
            409)


@pytest.mark.parametrize("overrides,code", [
    ({"import_licence": None}, "proof_of_origin_missing"),
    ({"origin_country": "KZ"}, "origin_is_own_country"),
    ({"quantity": 0}, "quantity_not_positive"),
    ({"quantity": "1.0005"}, "quantity_precision"),
    ({"substance": "R-9999"}, "unknown_substance"),
    ({"operation_date": (TODAY + timedelta(days=1)).isoformat()}, "date_in_future"),
])
def test_refused_entries_answer_422_with_the_rule_code_and_write_nothing(dealer_api, overrides, code):
    before = count_rows(Entry)
    refused(post_entry(dealer_api, **overrides), code)
    assert count_rows(Entry) == before


def test_sale_rules_through_the_api(dealer_api, people, ban_2010):
    post_entry(dealer_api)
    post_entry(dealer_api, substance="CFC-12", operation_date="2009-05-01")
    leak_checker = certify(people.kz_tech_record, ("D",)).number
    sale = {"kind": "sale", "operation_date": TODAY.isoformat(), "substance": "R-404A", "quantity": 1}
    refused(dealer_api.post("/logbook/entries", json=sale), "buyer_certificate_required")
    refused(dealer_api.post("/logbook/entries", json={**sale, "buyer_certificate": leak_checker}),
            "activity_not_certified")
    valid = certify(factories.make_technician(country_code="KZ"), ("A1",)).number
    refused(dealer_api.post("/logbook/entries", json={**sale, "buyer_certificate": valid, "substance": "CFC-12"}),
            "virgin_ods_banned")
    refused(dealer_api.post("/logbook/entries", json={**sale, "buyer_certificate": valid, "condition": "recovered"}),
            "condition_not_in_stock")
    refused(dealer_api.post("/logbook/entries", json={**sale, "buyer_certificate": valid, "quantity": 41}),
            "insufficient_stock")
    assert dealer_api.post("/logbook/entries", json={**sale, "buyer_certificate": valid}).status_code == 201
    codes = [r.code for r in db.session.scalars(sa.select(Refusal).order_by(Refusal.id))]
    assert codes == ["buyer_certificate_required", "activity_not_certified", "virgin_ods_banned",
                     "condition_not_in_stock", "insufficient_stock"]
    assert {r.channel.value for r in db.session.scalars(sa.select(Refusal))} == {"api"}


def test_sale_check_gives_the_verdict_without_recording(dealer_api, people):
    post_entry(dealer_api)
    cert = certify(people.kz_tech_record)
    check = {"buyer_certificate": cert.number, "operation_date": TODAY.isoformat(), "substance": "R-404A",
             "quantity": 5}
    before = count_rows(Entry)
    allowed = dealer_api.post("/logbook/sales/check", json=check).get_json()
    assert allowed["allowed"] and allowed["buyer"]["name"] == people.kz_technician.name
    denied = dealer_api.post("/logbook/sales/check", json={**check, "quantity": 500}).get_json()
    assert not denied["allowed"] and denied["code"] == "insufficient_stock" and denied["field"] == "quantity"
    assert count_rows(Entry)["logbook_entries"] == before["logbook_entries"]
    assert db.session.scalar(sa.select(Refusal.details)).get("stage") == "check"


@pytest.mark.parametrize("body,status,code", [
    ({**IMPORT, "colour": "blue"}, 422, "validation_failed"),
    ({**IMPORT, "quantity": [1]}, 422, "validation_failed"),
    ({**IMPORT, "kind": "teleport"}, 422, "invalid_choice"),
    ({**IMPORT, "operation_date": "26.11.2026"}, 422, "validation_failed"),
    ([1, 2], 422, "invalid_json"),
])
def test_bad_input_is_refused_with_codes_and_nothing_written(dealer_api, body, status, code):
    before = count_rows(Entry, Refusal)
    response = dealer_api.post("/logbook/entries", json=body)
    refused(response, code, status)
    assert count_rows(Entry, Refusal) == before


def test_not_json_is_415(dealer_api):
    response = dealer_api.post("/logbook/entries", data="kind=import", headers={"Content-Type": "text/plain"})
    refused(response, "unsupported_media_type", 415)


def test_reversal_proof_verify_and_checkpoints(dealer_api, people, keys_dir, api, client, openapi):
    from tests.conftest import ApiClient

    entry = post_entry(dealer_api).get_json()
    refused(dealer_api.post(f"/logbook/entries/{entry['id']}/reversal", json={"reason": ""}), "validation_failed")
    reversal = dealer_api.post(f"/logbook/entries/{entry['id']}/reversal", json={"reason": "Duplicate"}).get_json()
    assert reversal["kind"] == "reversal" and reversal["reverses_id"] == entry["id"]
    assert dealer_api.get(f"/logbook/entries/{entry['id']}").get_json()["reversed_by_id"] == reversal["id"]
    admin = ApiClient(client, openapi, factories.make_token(factories.make_user("admin", "KZ")))
    checkpoint = admin.post("/logbook/checkpoints")
    assert checkpoint.status_code == 201 and checkpoint.get_json()["tree_size"] == 2
    public = ApiClient(client, openapi)
    assert public.get("/logbook/checkpoints?country=KZ").get_json()["items"][0]["text"].startswith(
        "certreg.example.org/logbook/KZ\n2\n")
    proof = dealer_api.get(f"/logbook/entries/{entry['id']}/proof").get_json()
    assert proof["verified"] and proof["checkpoint"]["id"] == checkpoint.get_json()["id"]
    report = admin.get("/logbook/verify").get_json()
    assert report["ok"] and report["entries"] == 2


def test_equipment_and_interventions_through_the_api(people, api):
    api.token = factories.make_token(people.kz_tech_user)
    from certreg.logbook import recording
    from tests.logbook.conftest import certify, entry_data

    certify(people.kz_tech_record, ("A1",))  # charging and recovery need a certified technician

    recording.record_entry(people.kz_tech_actor, people.kz_technician, entry_data("purchase", substance="R-404A"))
    unit = api.post("/equipment", json={"owner_kind": "company", "owner_name": "Shop 7", "site_address": "Almaty",
                                        "kind": "commercial_refrigeration", "substance": "r404a",
                                        "nominal_charge": "5.2"})
    assert unit.status_code == 201, unit.get_json()
    unit = unit.get_json()
    assert re.fullmatch(r"KZ-E-\d{6}-\d", unit["code"]) and unit["substance"] == "R-404A"
    work = api.post(f"/equipment/{unit['id']}/interventions",
                    json={"kind": "charge", "performed_on": TODAY.isoformat(), "charge_quantity": 1.1})
    assert work.status_code == 201 and work.get_json()["entries"][0]["equipment"] == unit["code"]
    refused(api.post(f"/equipment/{unit['id']}/interventions",
                     json={"kind": "leak_check", "performed_on": TODAY.isoformat()}), "required")
    detail = api.get(f"/equipment/{unit['id']}").get_json()
    assert detail["leak_rate"]["flagged"] and detail["leak_rate"]["percent"] == "21.2"
    assert [i["kind"] for i in detail["interventions"]] == ["charge"]


def post_csv(api, text: str, **headers):
    import io

    response = api.post("/logbook/imports", data=text, headers={"Content-Type": "text/csv", **headers},
                        validate=False)
    response.request.environ["wsgi.input"] = io.BytesIO(text.encode())  # the app read the body: validate a copy
    api.validate(response)
    return response


def test_csv_import_through_the_api(dealer_api, people):
    from tests.logbook.builders import HEADER, csv_lines

    good = post_csv(dealer_api, HEADER + csv_lines(30), **{"X-Filename": "march.csv"})
    assert good.status_code == 201 and good.get_json()["entries"] == 30
    bad = post_csv(dealer_api, HEADER + f"{TODAY},export,HCFC-22,9999,virgin,,,,,,L,UZ,\n")
    error = refused(bad, "import_refused")
    assert error["fields"]["line 2"][0]["code"] == "insufficient_stock"


def test_substance_catalogue_api(api):
    found = api.get("/substances?q=suva mp39").get_json()["items"]
    assert found[0]["code"] == "R-401A" and found[0]["odp"] == "0.03663"
    r502 = api.get("/substances/r502").get_json()
    assert r502["components"] == [{"code": "HCFC-22", "mass_fraction": "0.488"},
                                  {"code": "CFC-115", "mass_fraction": "0.512"}]
    assert api.get("/substances/R-000").status_code == 404


def test_officials_list_entries_and_refusals_of_their_country(dealer_api, people, api):
    post_entry(dealer_api, import_licence=None)
    post_entry(dealer_api)
    api.token = factories.make_token(factories.make_user("inspector", "KZ"))
    entries = api.get("/logbook/entries?substance=R-404A").get_json()
    assert entries["total"] == 1
    assert api.get("/logbook/refusals").get_json()["items"][0]["code"] == "proof_of_origin_missing"
    assert api.post("/logbook/entries", json=IMPORT).status_code == 403
    assert date.today()


def test_holders_download_their_logbook_as_csv_or_xlsx_with_the_filters_kept(dealer_api, people):
    import csv
    import io

    from openpyxl import load_workbook

    post_entry(dealer_api)
    post_entry(dealer_api, substance="HCFC-22", quantity=12.5)
    dealer_token, dealer_api.token = dealer_api.token, factories.make_token(people.kz_tech_user)
    assert post_entry(dealer_api, kind="purchase", substance="HCFC-22",
                      counterparty_name="Registered dealer").status_code == 201  # someone else's logbook
    dealer_api.token = dealer_token

    response = dealer_api.get("/logbook/entries?format=csv&substance=HCFC-22")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["kind"], r["substance"], r["quantity_kg"]) for r in rows] == [("import", "HCFC-22", "12.500")]
    by_accept = dealer_api.get("/logbook/entries", headers={
        "Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    sheet = load_workbook(io.BytesIO(by_accept.data)).active
    assert sheet.max_row == 3 and sheet.cell(1, 1).value == "entry_id"  # header and the dealer's two entries
    refused(dealer_api.get("/logbook/entries?format=pdf"), "invalid_choice")


@pytest.mark.parametrize("body,code", [
    ({"kind": "export", "quantity": 1, "export_licence": None, "destination_country": "UZ"}, "export_licence_missing"),
    ({"kind": "export", "quantity": 1, "export_licence": "L", "destination_country": "KZ"},
     "destination_is_own_country"),
    ({"kind": "purchase", "quantity": 1}, "counterparty_required"),
    ({"kind": "charge", "quantity": 1}, "equipment_required"),
    ({"kind": "stock_count", "counted_quantity": 40, "reason": "count"}, "stock_count_matches"),
    ({"kind": "recycling", "quantity": 1}, "insufficient_stock"),
])
def test_more_rules_refused_through_the_api(dealer_api, body, code):
    post_entry(dealer_api)
    refused(dealer_api.post("/logbook/entries", json={"operation_date": TODAY.isoformat(), "substance": "R-404A",
                                                      **body}), code)


def test_used_cfc_policy_and_sale_to_self_through_the_api(dealer_api, people, api, client, openapi, ban_2010):
    from tests.conftest import ApiClient

    admin = ApiClient(client, openapi, factories.make_token(factories.make_user("admin", "KZ")))
    settings = admin.open("PUT", "/logbook/settings", json={"used_ods_sales": "reclaimed_only"})
    assert settings.status_code == 200 and settings.get_json()["used_ods_sales"] == "reclaimed_only"
    post_entry(dealer_api, substance="CFC-12", condition="recovered", operation_date="2009-05-01")
    buyer = certify(people.kz_tech_record).number
    sale = {"kind": "sale", "operation_date": TODAY.isoformat(), "substance": "CFC-12", "quantity": 1,
            "condition": "recovered", "buyer_certificate": buyer}
    refused(dealer_api.post("/logbook/entries", json=sale), "used_ods_sale_not_allowed")
    admin.open("PUT", "/logbook/settings", json={"used_ods_sales": "allowed"})
    assert dealer_api.post("/logbook/entries", json=sale).status_code == 201
    own = certify(people.dealer_company, ("CO-DEALER",)).number
    refused(dealer_api.post("/logbook/entries", json={**sale, "buyer_certificate": own}), "sale_to_self")
