"""``/api/v1/reports``: every JSON answer is validated against the OpenAPI document (the ``api`` fixture)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.reports.books import record
from tests.reports.market import Market


@pytest.fixture
def market() -> Market:
    return Market("KZ")


@pytest.fixture
def auditor_api(api):
    api.token = factories.make_token(factories.make_user("auditor", "KZ"))
    return api


def test_article7_json_rows_per_substance(auditor_api, market):
    record(market.importer, "import", "R-502", "13.6", on=date(2025, 11, 1))
    response = auditor_api.get("/reports/article7?country=KZ&year=2025")
    assert response.status_code == 200
    body = response.json
    assert body["country"] == "KZ" and body["year"] == 2025
    rows = {r["substance"]: r for r in body["rows"]}
    assert rows["CFC-115"]["columns"]["imports_new"] == {"metric_tonnes": "0.0069632", "odp_tonnes": "0.00417792",
                                                         "co2e_tonnes": "0"}
    # HCFC-22: 1000 + 6.6368 imported, 50 exported
    assert rows["HCFC-22"]["columns"]["consumption"]["metric_tonnes"] == "0.9566368"
    assert rows["HFC-125"]["columns"]["imports_new"]["co2e_tonnes"] == "616"  # 176 kg of R-404A x 3500
    assert body["total"]["production"]["metric_tonnes"] == "0"
    assert [t["annex"] for t in body["annex_totals"]] == ["A", "C", "F"]


def test_article7_csv_and_xlsx_by_format_or_accept(auditor_api, market):
    by_param = auditor_api.get("/reports/article7?year=2025&format=csv")
    assert by_param.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(by_param.get_data(as_text=True).lstrip("\ufeff"))))
    assert {r["substance"] for r in rows if r["row"] == "substance"} == {"HCFC-22", "HFC-125", "HFC-143a", "HFC-134a"}
    by_accept = auditor_api.get("/reports/article7?year=2025", headers={
        "Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    assert by_accept.status_code == 200
    book = load_workbook(io.BytesIO(by_accept.get_data()), read_only=True)
    assert book.sheetnames == ["Article 7", "By partner country", "About"]
    assert auditor_api.get("/reports/article7?year=2025&format=pdf").status_code == 422


def test_anomalies_json(auditor_api, market):
    market.stock_count(market.dealer, "HCFC-22", on=date(2025, 12, 28), delta=Decimal("-120"))
    body = auditor_api.get("/reports/anomalies?year=2025").json
    assert [a["kind"] for a in body["items"]] == ["mass_balance"]
    item = body["items"][0]
    assert item["rank"] == 1 and item["holder"]["kind"] == "company" and item["review"] is None
    assert item["score_terms"][0]["code"] == "base" and item["summary"].startswith("1 stock count")
    assert item["evidence_url"].startswith("http://localhost/reports/anomalies/mass_balance/")
    text = auditor_api.get("/reports/anomalies?year=2025&format=csv").get_data(as_text=True)
    assert "mass_balance" in text
    assert auditor_api.get("/reports/anomalies?kind=nonsense").status_code == 422


def test_entries_json_page_and_csv(auditor_api, market):
    body = auditor_api.get("/reports/entries?year=2025&column=imports_new&substance=HCFC-22").json
    assert body["total"] == 1 and body["items"][0]["component_kg"] == "1000"
    assert body["items"][0]["article7_column"] == "imports_new"
    everything = auditor_api.get("/reports/entries?year=2025&format=csv").get_data(as_text=True)
    assert everything.count("\r\n") > 15


def test_other_country_and_other_roles(api, market):
    api.token = factories.make_token(factories.make_user("admin", "KG"))
    assert api.get("/reports/article7?country=KZ&year=2025").status_code == 403
    api.token = factories.make_token(factories.make_user("inspector", "KZ"))
    assert api.get("/reports/anomalies").status_code == 403
    api.token = None
    assert api.get("/reports/entries").status_code == 401
