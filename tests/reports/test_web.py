"""The report pages and their CSV/XLSX files, as administrators and auditors use them."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from certreg.reports import figures
from certreg.reports.figures import Column, Period
from tests import factories
from tests.conftest import login, post_form
from tests.reports.books import record
from tests.reports.market import Market


@pytest.fixture
def market() -> Market:
    return Market("KZ")


@pytest.fixture
def auditor(client):
    user = factories.make_user("auditor", "KZ")
    login(client, user)
    return client


@pytest.fixture
def admin(client):
    user = factories.make_user("admin", "KZ")
    login(client, user)
    return client


def read_csv(response) -> list[dict[str, str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def read_xlsx(response, sheet: str) -> list[dict]:
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_dashboard_shows_totals_charts_certificates_and_anomalies(auditor, market):
    response = auditor.get("/reports?year=2025")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for chart in ("imports-by-annex", "consumption-odp", "consumption-co2e", "imports-by-substance"):
        assert f'id="{chart}"' in page
    assert page.count("<rect class=\"bar") >= 6
    assert "<script" not in page and "style=" not in page
    # HCFC-22 2025: 1000 imported - 50 exported = 950 kg -> 0.05225 ODP t (+ nothing else controlled with ODP)
    assert re.search(r'data-total="consumption-odp">0\.0522', page)
    assert 'data-certificates="current">3<' in page
    assert 'data-count="open-anomalies">0<' in page


def test_article7_page_links_each_figure_to_its_entries(auditor, market):
    page = auditor.get("/reports/article7?year=2025").get_data(as_text=True)
    cell = re.search(r'<td class="num figure" data-column="imports_new" data-substance="HCFC-22"'
                     r' data-metric="([^"]+)" data-odp="([^"]+)"[^>]*>\s*<a href="([^"]+)"', page)
    assert cell, page
    assert (cell.group(1), cell.group(2)) == ("1", "0.055")
    link = cell.group(3).replace("&amp;", "&")
    entries = auditor.get(link)
    assert entries.status_code == 200
    assert "<td>Virgin (new)</td>" in entries.get_data(as_text=True)  # the condition in words, not its code
    auditor.get("/language/ru")
    assert "<td>Новый (неиспользованный)</td>" in auditor.get(link).get_data(as_text=True)
    auditor.get("/language/en")
    rows = read_csv(auditor.get(link.replace("/reports/entries?", "/reports/entries.csv?")))
    assert sum(Decimal(r["component_kg"]) for r in rows) == Decimal("1000")
    assert {r["component"] for r in rows} == {"HCFC-22"} and {r["article7_column"] for r in rows} == {"imports_new"}


def test_article7_csv_and_xlsx_hold_the_same_figures_as_the_service(auditor, market):
    record(market.importer, "import", "R-502", "13.6", on=date(2025, 11, 1))
    report = figures.article7("KZ", Period.year(2025))
    rows = read_csv(auditor.get("/reports/article7.csv?year=2025"))
    by_code = {r["substance"]: r for r in rows if r["row"] == "substance"}
    assert by_code["CFC-115"]["imports_new_odp_tonnes"] == "0.00417792"
    assert Decimal(by_code["HCFC-22"]["consumption_odp_tonnes"]) == \
        report.row("HCFC-22").amount(Column.CONSUMPTION).odp_tonnes
    assert [r["row"] for r in rows][-1] == "total"
    sheet = read_xlsx(auditor.get("/reports/article7.xlsx?year=2025"), "Article 7")
    xlsx = {r["substance"]: r for r in sheet if r["row"] == "substance"}
    assert xlsx["CFC-115"]["imports_new_odp_tonnes"] == pytest.approx(0.00417792, rel=1e-9)
    assert xlsx["HFC-125"]["imports_new_co2e_tonnes"] == pytest.approx(616, rel=1e-9)  # 176 kg x 3500


def test_breakdowns_and_trends(auditor, market):
    for by in ("month", "holder_kind", "year"):
        response = auditor.get(f"/reports/breakdown?year=2025&by={by}")
        assert response.status_code == 200, by
        assert response.get_data(as_text=True).count("<tr>") >= 2
    rows = read_csv(auditor.get("/reports/breakdown.csv?year=2025&by=year"))
    years = {r["year"] for r in rows}
    assert {"2023", "2024", "2025"} <= years
    sheet = read_xlsx(auditor.get("/reports/breakdown.xlsx?year=2025&by=month"), "month")
    assert {r["month"] for r in sheet} == {3, 5}


def test_raw_entries_of_the_year_stream_as_csv_and_xlsx(auditor, market):
    rows = read_csv(auditor.get("/reports/entries.csv?year=2025&country=KZ"))
    assert len(rows) > 15 and "component" not in rows[0]
    assert {r["kind"] for r in rows} >= {"import", "sale", "purchase", "export", "charge", "recovery"}
    sheet = read_xlsx(auditor.get("/reports/entries.xlsx?year=2025&kind=import"), "entries")
    assert {r["kind"] for r in sheet} == {"import"} and len(sheet) == 2


def test_bad_query_arguments_are_refused(auditor, market):
    assert auditor.get("/reports/article7?year=abc").status_code == 422
    assert auditor.get("/reports/entries?column=nonsense").status_code == 422
    assert auditor.get("/reports/anomalies?date_from=2025-05-01&date_to=2025-01-01").status_code == 422
    assert auditor.get("/reports/anomalies/nonsense/1").status_code == 404


def test_other_countries_are_forbidden(auditor, market):
    assert auditor.get("/reports/article7?year=2025&country=KG").status_code == 403
    assert auditor.get("/reports/entries.csv?year=2025&country=KG").status_code == 403


def test_anomaly_list_evidence_and_review_by_an_administrator(admin, market):
    market.stock_count(market.dealer, "HCFC-22", on=date(2025, 12, 28), delta=Decimal("-120"))
    page = admin.get("/reports/anomalies?year=2025").get_data(as_text=True)
    assert 'data-kind="mass_balance"' in page and "Run the tamper check now" in page
    link = re.search(r'<a href="(/reports/anomalies/mass_balance/[^"]+)">', page).group(1).replace("&amp;", "&")
    detail = admin.get(link)
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    assert "Stock count" in text and "Mark as reviewed" in text
    fingerprint = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]{64})"', text).group(1)
    evidence = read_csv(admin.get(link.replace("?", "/evidence.csv?")))
    assert [r["kind"] for r in evidence] == ["stock_count"]
    path, _, query = link.partition("?")
    form = dict(pair.split("=") for pair in query.split("&"))
    form.update(note="", fingerprint=fingerprint)
    assert post_form(admin, path + "/review", form, page=link).status_code == 422
    form["note"] = "Visited 3 December; books corrected, fine issued."
    response = post_form(admin, path + "/review", form, page=link)
    assert response.status_code == 302
    assert 'data-kind="mass_balance"' not in admin.get("/reports/anomalies?year=2025").get_data(as_text=True)
    reviewed = admin.get("/reports/anomalies?year=2025&state=reviewed").get_data(as_text=True)
    assert "Reviewed by" in reviewed
    rows = read_csv(admin.get("/reports/anomalies.csv?year=2025&state=all"))
    assert rows[0]["kind"] == "mass_balance" and rows[0]["review_note"].startswith("Visited 3 December")


def test_tamper_check_button(admin, market):
    response = post_form(admin, "/reports/log-checks", {}, page="/reports/anomalies")
    assert response.status_code == 302
    assert "no problem" in admin.get("/reports/anomalies").get_data(as_text=True)


def test_auditor_sees_no_review_form_and_cannot_post_one(auditor, market):
    market.stock_count(market.dealer, "HCFC-22", on=date(2025, 12, 28), delta=Decimal("-120"))
    page = auditor.get("/reports/anomalies?year=2025").get_data(as_text=True)
    assert "Run the tamper check now" not in page
    link = re.search(r'<a href="(/reports/anomalies/mass_balance/[^"]+)">', page).group(1).replace("&amp;", "&")
    assert "Mark as reviewed" not in auditor.get(link).get_data(as_text=True)
    path, _, query = link.partition("?")
    form = dict(pair.split("=") for pair in query.split("&"))
    form.update(note="ok", fingerprint="0" * 64)
    assert post_form(auditor, path + "/review", form, page="/account").status_code == 403


def test_home_page_panel(auditor):
    assert "Article 7 data for the Ozone Secretariat" in auditor.get("/").get_data(as_text=True)
