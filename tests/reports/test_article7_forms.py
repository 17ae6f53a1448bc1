"""Article 7 as the Protocol counts it: imports by exporting country, exports by country of destination
(data forms 2 and 3), and destruction lowering calculated production and consumption (Article 1(5)).

Figures worked out by hand: HFC-134a GWP 1430 (Annex F), HCFC-22 ODP 0.055 (Annex C/I).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from certreg.reports import figures
from certreg.reports.figures import Breakdown, Column, Direction, Period, SubstanceInfo, SubstanceRow
from tests import factories
from tests.conftest import login
from tests.reports.books import record, without_bans

D = Decimal
YEAR = Period.year(2025)
DAY = date(2025, 3, 1)
HCFC22 = SubstanceInfo("HCFC-22", "Chlorodifluoromethane", "C", "I", D("0.055"), D("0"), 1)


# --- Article 1(5): calculated production and consumption, as a table --------------------------------


@pytest.mark.parametrize(("kg", "consumption"), [
    ({Column.IMPORTS_NEW: "100", Column.EXPORTS_NEW: "10"}, "90"),
    ({Column.IMPORTS_NEW: "100", Column.EXPORTS_NEW: "10", Column.DESTRUCTION: "30"}, "60"),
    ({Column.IMPORTS_NEW: "100", Column.EXPORTS_NEW: "10", Column.DESTRUCTION: "200"}, "-110"),
    # exempted-use imports stay outside consumption; recovered imports and exports do not count
    ({Column.IMPORTS_NEW: "100", Column.IMPORTS_EXEMPTED: "40", Column.IMPORTS_RECOVERED: "70",
      Column.EXPORTS_RECOVERED: "5", Column.DESTRUCTION: "30"}, "70"),
    ({Column.PRODUCTION: "500", Column.FEEDSTOCK: "120", Column.DESTRUCTION: "80", Column.EXPORTS_NEW: "100"},
     "200"),
    ({Column.DESTRUCTION: "12.5"}, "-12.5"),
])
def test_destruction_and_feedstock_lower_consumption(kg, consumption):
    row = SubstanceRow(HCFC22, {column: D(value) for column, value in kg.items()})
    assert row.kg(Column.CONSUMPTION) == D(consumption)
    assert row.amount(Column.CONSUMPTION).odp_tonnes == D(consumption) / 1000 * D("0.055")
    assert row.calculated_production_kg() == (row.kg(Column.PRODUCTION) - row.kg(Column.DESTRUCTION)
                                              - row.kg(Column.FEEDSTOCK))


@pytest.fixture
def destroyer():
    """A KG importer: 100 kg new HCFC-22 in, 10 kg out, 250 kg recovered in, 200 kg (recovered) destroyed."""
    without_bans("KG")
    company = factories.make_company(country_code="KG", activities=["importer", "exporter", "dealer"])
    record(company, "import", "HCFC-22", "100", on=DAY)
    record(company, "import", "HCFC-22", "250", on=DAY, condition="recovered")
    record(company, "export", "HCFC-22", "10", on=date(2025, 4, 1))
    record(company, "destroyed", "HCFC-22", "200", on=date(2025, 5, 1), condition="recovered")
    return company


def test_destruction_makes_consumption_negative_in_the_report(destroyer):
    row = figures.article7("KG", YEAR).row("HCFC-22")
    assert row.kg(Column.DESTRUCTION) == D("200")
    # 100 - 10 - 200 = -110 kg = -0.11 t x 0.055 = -0.00605 ODP t
    assert row.kg(Column.CONSUMPTION) == D("-110")
    assert row.amount(Column.CONSUMPTION).odp_tonnes == D("-0.00605")


def test_the_entries_behind_consumption_include_destruction(destroyer):
    from certreg.reports import entries

    rows = list(entries.stream(entries.Selection("KG", YEAR, column=Column.CONSUMPTION, substance="HCFC-22")))
    assert sorted((r["kind"], r["quantity_kg"]) for r in rows) == [
        ("destroyed", D("200")), ("export", D("10")), ("import", D("100"))]


# --- data forms 2 and 3: imports by exporting country, exports by country of destination -------------


@pytest.fixture
def trader():
    """A KG importer/exporter: HFC-134a 100 kg from CN, HCFC-22 50 kg from RU (+ 20 kg recovered from CN,
    10 kg from CN for feedstock), HFC-134a 30 kg exported to KZ, HCFC-22 5 kg destroyed (no partner)."""
    without_bans("KG")
    company = factories.make_company(country_code="KG", activities=["importer", "exporter", "dealer"])
    record(company, "import", "HFC-134a", "100", on=DAY, origin_country="CN")
    record(company, "import", "HCFC-22", "50", on=DAY, origin_country="RU")
    record(company, "import", "HCFC-22", "20", on=DAY, origin_country="CN", condition="recovered")
    record(company, "import", "HCFC-22", "10", on=DAY, origin_country="CN", exempted_use="feedstock")
    record(company, "export", "HFC-134a", "30", on=date(2025, 6, 1), destination_country="KZ")
    record(company, "destroyed", "HCFC-22", "5", on=date(2025, 7, 1), condition="recovered")
    record(company, "import", "HFC-134a", "999", on=date(2024, 12, 31), origin_country="CN")  # another year
    return company


def test_partner_country_breakdown(trader):
    reports = figures.breakdown("KG", YEAR, Breakdown.PARTNER_COUNTRY)
    assert sorted(reports) == ["CN", "KZ", "RU"]
    assert reports["CN"].row("HFC-134a").kg(Column.IMPORTS_NEW) == D("100")
    assert reports["CN"].row("HCFC-22").kg(Column.IMPORTS_RECOVERED) == D("20")
    assert reports["CN"].row("HCFC-22").kg(Column.IMPORTS_EXEMPTED) == D("10")
    assert reports["RU"].row("HCFC-22").kg(Column.IMPORTS_NEW) == D("50")
    assert reports["KZ"].row("HFC-134a").kg(Column.EXPORTS_NEW) == D("30")
    # destruction has no partner country
    assert all(not r.kg(Column.DESTRUCTION) for report in reports.values() for r in report.rows)


def test_partner_rows_with_tonnes(trader):
    rows = [(p.direction, p.substance.code, p.country, p.kg(), p.amount().odp_tonnes, p.amount().co2e_tonnes)
            for p in figures.by_partner_country("KG", YEAR)]
    assert rows == [
        # imports: HCFC-22 from CN 20 recovered + 10 feedstock = 30 kg x 0.055 / 1000; from RU 50 kg
        (Direction.IMPORTS, "HCFC-22", "CN", D("30"), D("0.00165"), D("0")),
        (Direction.IMPORTS, "HCFC-22", "RU", D("50"), D("0.00275"), D("0")),
        # HFC-134a from CN 100 kg x 1430 / 1000 = 143 t CO2-eq
        (Direction.IMPORTS, "HFC-134a", "CN", D("100"), D("0"), D("143")),
        # exports: 30 kg to KZ = 42.9 t CO2-eq
        (Direction.EXPORTS, "HFC-134a", "KZ", D("30"), D("0"), D("42.9")),
    ]


def test_entries_behind_a_partner_figure(trader):
    from certreg.reports import entries

    rows = list(entries.stream(entries.Selection("KG", YEAR, substance="HCFC-22", partner_country="CN")))
    assert sorted(r["quantity_kg"] for r in rows) == [D("10"), D("20")]


@pytest.fixture
def kg_auditor(client):
    login(client, factories.make_user("auditor", "KG"))
    return client


def test_article7_page_and_xlsx_show_partner_countries(kg_auditor, trader):
    page = kg_auditor.get("/reports/article7?year=2025").get_data(as_text=True)
    assert 'id="partner-countries"' in page
    assert 'data-direction="imports" data-substance="HCFC-22" data-country="RU" data-kg="50"' in page
    assert 'data-direction="exports" data-substance="HFC-134a" data-country="KZ" data-kg="30"' in page
    assert 'partner_country=RU' in page
    book = load_workbook(io.BytesIO(kg_auditor.get("/reports/article7.xlsx?year=2025").get_data()), read_only=True)
    assert book.sheetnames == ["Article 7", "By partner country", "About"]
    sheet = list(book["By partner country"].iter_rows(values_only=True))
    rows = [dict(zip(sheet[0], r, strict=True)) for r in sheet[1:]]
    cn = next(r for r in rows if r["substance"] == "HCFC-22" and r["partner_country"] == "CN")
    assert (cn["direction"], cn["kg"], cn["new_kg"], cn["exempted_kg"], cn["recovered_kg"]) == \
        ("imports", 30, 10, 10, 20)
    kz = next(r for r in rows if r["partner_country"] == "KZ")
    assert (kz["direction"], kz["kg"], kz["co2e_tonnes"], kz["exempted_kg"]) == ("exports", 30, 42.9, None)
    # the CSV stays the one table per substance
    csv_rows = list(csv.DictReader(io.StringIO(
        kg_auditor.get("/reports/article7.csv?year=2025").get_data(as_text=True).lstrip("\ufeff"))))
    assert {r["row"] for r in csv_rows} == {"substance", "group_total", "annex_total", "total"}


def test_breakdown_page_and_csv_by_partner_country(kg_auditor, trader):
    page = kg_auditor.get("/reports/breakdown?year=2025&by=partner_country")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "partner_country=CN" in text and "partner_country=KZ" in text
    rows = list(csv.DictReader(io.StringIO(kg_auditor.get("/reports/breakdown.csv?year=2025&by=partner_country")
                                           .get_data(as_text=True).lstrip("\ufeff"))))
    total = {r["partner_country"]: r for r in rows if r["row"] == "total"}
    assert set(total) == {"CN", "KZ", "RU"}
    assert D(total["KZ"]["exports_new_co2e_tonnes"]) == D("42.9")


def test_api_article7_by_partner_country(api, trader):
    api.token = factories.make_token(factories.make_user("auditor", "KG"))
    body = api.get("/reports/article7?year=2025").json
    partners = {(p["direction"], p["substance"], p["country"]): p for p in body["by_partner_country"]}
    assert set(partners) == {("imports", "HCFC-22", "CN"), ("imports", "HCFC-22", "RU"),
                             ("imports", "HFC-134a", "CN"), ("exports", "HFC-134a", "KZ")}
    cn = partners[("imports", "HCFC-22", "CN")]
    assert cn["kg"] == "30" and cn["total"]["odp_tonnes"] == "0.00165"
    assert cn["columns"]["imports_recovered"]["metric_tonnes"] == "0.02"
    assert cn["columns"]["imports_exempted"]["metric_tonnes"] == "0.01"
    assert partners[("exports", "HFC-134a", "KZ")]["total"]["co2e_tonnes"] == "42.9"
    entries = api.get("/reports/entries?year=2025&substance=HFC-134a&partner_country=kz").json
    assert [i["kind"] for i in entries["items"]] == ["export"]
    assert api.get("/reports/entries?year=2025&partner_country=KAZ").status_code == 422


def test_api_breakdown_by_partner_country_and_month(api, trader):
    api.token = factories.make_token(factories.make_user("auditor", "KG"))
    body = api.get("/reports/breakdown?year=2025&by=partner_country").json
    assert body["by"] == "partner_country" and [i["key"] for i in body["items"]] == ["CN", "KZ", "RU"]
    items = {i["key"]: i for i in body["items"]}
    assert items["RU"]["total"]["imports_new"]["odp_tonnes"] == "0.00275"
    assert items["KZ"]["total"]["exports_new"]["co2e_tonnes"] == "42.9"
    assert items["KZ"]["total"]["destruction"]["metric_tonnes"] == "0"
    months = api.get("/reports/breakdown?year=2025&by=month").json
    assert [i["key"] for i in months["items"]] == [3, 6, 7]
    # the destruction of July lowers July's consumption: -5 kg of HCFC-22
    july = months["items"][2]
    assert july["total"]["consumption"]["metric_tonnes"] == "-0.005"
    rows = list(csv.DictReader(io.StringIO(api.get("/reports/breakdown?year=2025&by=partner_country&format=csv")
                                           .get_data(as_text=True).lstrip("\ufeff"))))
    assert {r["partner_country"] for r in rows} == {"CN", "KZ", "RU"}
    assert api.get("/reports/breakdown?year=2025&by=country").status_code == 422


def test_entries_page_by_partner_country(kg_auditor, trader):
    page = kg_auditor.get("/reports/entries?year=2025&substance=HCFC-22&kind=import&partner_country=ru")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'name="partner_country"' in text and 'value="RU"' in text
    rows = list(csv.DictReader(io.StringIO(kg_auditor.get(
        "/reports/entries.csv?year=2025&substance=HCFC-22&kind=import&partner_country=RU")
        .get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["origin_country"], r["quantity_kg"]) for r in rows] == [("RU", "50")]
