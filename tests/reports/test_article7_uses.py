"""Article 7 with production and the uses the data forms count apart (issue 13): production (form 3),
feedstock use, QPS uses of methyl bromide, exempted uses and destruction (form 4), on every surface of the
report (figures, page, CSV, XLSX, API), and the Article 1(5) arithmetic as a table.

Figures worked out by hand: HCFC-22 ODP 0.055 (Annex C/I), methyl bromide ODP 0.6 (Annex E/I).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from certreg.logbook import canonical, verify
from certreg.logbook.models import Entry, EntryKind
from certreg.reports import entries, figures
from certreg.reports.figures import IMPORTS_FOR_USES, Column, Period, SubstanceInfo, SubstanceRow
from tests import factories
from tests.conftest import login
from tests.reports.books import record, reverse, without_bans

D = Decimal
YEAR = Period.year(2025)
DAY = date(2025, 3, 1)
HCFC22 = SubstanceInfo("HCFC-22", "Chlorodifluoromethane", "C", "I", D("0.055"), D("0"), 1)
P, F, Q, X, DS = Column.PRODUCTION, Column.FEEDSTOCK, Column.QPS, Column.EXEMPTED_USES, Column.DESTRUCTION
IN, EX, OUT = Column.IMPORTS_NEW, Column.IMPORTS_EXEMPTED, Column.EXPORTS_NEW


# --- the calculation, as a table --------------------------------------------------------------------------------

@pytest.mark.parametrize(("kg", "calculated_production", "consumption"), [
    # Article 1(5): produced − destroyed − used as feedstock
    ({P: "1000"}, "1000", "1000"),
    ({P: "1000", DS: "100", F: "300"}, "600", "600"),
    ({P: "1000", DS: "100", F: "300", IN: "50", OUT: "200"}, "600", "450"),
    # more destroyed and used as feedstock than produced: negative, and consumption with it
    ({P: "100", DS: "150", F: "80"}, "-130", "-130"),
    ({F: "40", IN: "10"}, "-40", "-30"),
    # QPS uses are outside consumption (Article 2H(6)), not outside production
    ({P: "500", Q: "120"}, "500", "380"),
    # exempted uses (essential, critical, laboratory) are reported, and stay in consumption
    ({P: "500", X: "20"}, "500", "500"),
    # imports stated for another exempted use stay out; those for feedstock or QPS count until used
    ({IN: "100", EX: "30"}, "0", "100"),
    ({IN: "100", IMPORTS_FOR_USES: "30", F: "30"}, "-30", "100"),
    ({IMPORTS_FOR_USES: "80", Q: "80"}, "0", "0"),
    # recovered trade does not count (decision IV/24)
    ({Column.IMPORTS_RECOVERED: "70", Column.EXPORTS_RECOVERED: "5", P: "10"}, "10", "10"),
])
def test_calculated_production_and_consumption(kg, calculated_production, consumption):
    row = SubstanceRow(HCFC22, {column: D(value) for column, value in kg.items()})
    assert row.kg(Column.CALCULATED_PRODUCTION) == D(calculated_production)
    assert row.kg(Column.CONSUMPTION) == D(consumption)
    assert row.amount(Column.CONSUMPTION).odp_tonnes == D(consumption) / 1000 * D("0.055")


def test_imports_for_feedstock_and_qps_are_still_reported_as_exempted_imports():
    row = SubstanceRow(HCFC22, {IN: D(100), EX: D(30), IMPORTS_FOR_USES: D(20)})
    assert row.kg(Column.IMPORTS_NEW) == D(150) and row.kg(Column.IMPORTS_EXEMPTED) == D(50)


# --- recorded, then reported ------------------------------------------------------------------------------------

@pytest.fixture
def producer():
    """A KG producer: 1000 kg HCFC-22 made, 300 used as feedstock, 2 for laboratory use, 100 destroyed, 200
    exported; 100 kg methyl bromide imported for QPS, 80 of them used so. A reversed production counts nothing."""
    without_bans("KG")
    company = factories.make_company(country_code="KG", activities=["producer", "importer", "exporter"])
    record(company, "production", "HCFC-22", "1000", on=DAY)
    record(company, "feedstock_use", "HCFC-22", "300", on=date(2025, 4, 1))
    record(company, "exempted_use", "HCFC-22", "2", on=date(2025, 4, 2), exempted_use="laboratory",
           exemption_reference="Decision XXVI/5")
    record(company, "destroyed", "HCFC-22", "100", on=date(2025, 5, 1))
    record(company, "export", "HCFC-22", "200", on=date(2025, 6, 1))
    record(company, "import", "methyl-bromide", "100", on=DAY, exempted_use="quarantine")
    record(company, "qps_use", "methyl-bromide", "80", on=date(2025, 7, 1))
    reverse(record(company, "production", "HCFC-22", "55", on=DAY))
    return company


def test_the_report_places_each_entry_where_the_data_forms_do(producer):
    report = figures.article7("KG", YEAR)
    hcfc, mebr = report.row("HCFC-22"), report.row("methyl-bromide")
    assert {c: hcfc.kg(c) for c in (P, F, X, DS, OUT)} == {P: 1000, F: 300, X: 2, DS: 100, OUT: 200}
    assert hcfc.kg(Column.CALCULATED_PRODUCTION) == D(600)  # 1000 − 100 − 300
    assert hcfc.kg(Column.CONSUMPTION) == D(400)  # 600 + 0 − 200; the 2 kg laboratory use stays in
    assert hcfc.amount(Column.CONSUMPTION).odp_tonnes == D("0.022")
    assert mebr.kg(Column.IMPORTS_EXEMPTED) == mebr.kg(Column.IMPORTS_NEW) == D(100)
    assert mebr.kg(Column.QPS) == D(80)
    assert mebr.kg(Column.CONSUMPTION) == D(20)  # the 20 kg not (yet) used for QPS
    assert mebr.amount(Column.QPS).odp_tonnes == D("0.048")  # 0.08 t × 0.6


def test_the_entries_behind_the_new_figures(producer):
    def kinds(column, substance="HCFC-22"):
        rows = entries.stream(entries.Selection("KG", YEAR, column=column, substance=substance))
        return sorted((r["kind"], r["quantity_kg"], r["article7_column"]) for r in rows)

    assert kinds(P) == [("production", D("1000"), "production")]
    assert kinds(Column.CALCULATED_PRODUCTION) == [("destroyed", D("100"), "destruction"),
                                                   ("feedstock_use", D("300"), "feedstock"),
                                                   ("production", D("1000"), "production")]
    assert [k for k, _kg, _c in kinds(Column.CONSUMPTION)] == ["destroyed", "export", "feedstock_use", "production"]
    assert kinds(Q, "methyl-bromide") == [("qps_use", D("80"), "qps")]
    assert [k for k, _kg, _c in kinds(Column.CONSUMPTION, "methyl-bromide")] == ["import", "qps_use"]
    assert kinds(X) == [("exempted_use", D("2"), "exempted_uses")]


def test_page_csv_and_xlsx(client, producer):
    login(client, factories.make_user("auditor", "KG"))
    page = client.get("/reports/article7?year=2025").get_data(as_text=True)
    for column, metric in (("production", "1"), ("feedstock", "0.3"), ("exempted_uses", "0.002"),
                           ("destruction", "0.1"), ("calculated_production", "0.6"), ("consumption", "0.4")):
        assert f'data-column="{column}" data-substance="HCFC-22" data-metric="{metric}"' in page, column
    assert 'data-column="qps" data-substance="methyl-bromide" data-metric="0.08"' in page
    thead = page.index("<thead>")
    assert page.index("Production", thead) < page.index("Quarantine and pre-shipment (methyl bromide)", thead) \
        < page.index("Destruction", thead) < page.index("Calculated production", thead)
    rows = list(csv.DictReader(io.StringIO(
        client.get("/reports/article7.csv?year=2025").get_data(as_text=True).lstrip("\ufeff"))))
    hcfc = next(r for r in rows if r["substance"] == "HCFC-22")
    assert (hcfc["production_metric_tonnes"], hcfc["feedstock_metric_tonnes"], hcfc["destruction_metric_tonnes"],
            hcfc["calculated_production_metric_tonnes"], hcfc["consumption_odp_tonnes"]) == \
        ("1", "0.3", "0.1", "0.6", "0.022")
    header = list(rows[0])
    assert header.index("production_metric_tonnes") < header.index("feedstock_metric_tonnes") < \
        header.index("qps_metric_tonnes") < header.index("exempted_uses_metric_tonnes") < \
        header.index("destruction_metric_tonnes") < header.index("calculated_production_metric_tonnes") < \
        header.index("consumption_metric_tonnes")
    book = load_workbook(io.BytesIO(client.get("/reports/article7.xlsx?year=2025").get_data()), read_only=True)
    sheet = list(book["Article 7"].iter_rows(values_only=True))
    mebr = next(dict(zip(sheet[0], r, strict=True)) for r in sheet[1:] if r[3] == "methyl-bromide")
    assert (mebr["qps_metric_tonnes"], mebr["qps_odp_tonnes"], mebr["consumption_metric_tonnes"]) == \
        (0.08, 0.048, 0.02)


def test_api(api, producer):
    api.token = factories.make_token(factories.make_user("auditor", "KG"))
    body = api.get("/reports/article7?year=2025").json
    assert body["columns"] == ["imports_new", "imports_exempted", "imports_recovered", "exports_new",
                               "exports_recovered", "production", "feedstock", "qps", "exempted_uses", "destruction",
                               "calculated_production", "consumption"]
    rows = {r["substance"]: r["columns"] for r in body["rows"]}
    assert rows["HCFC-22"]["calculated_production"]["metric_tonnes"] == "0.6"
    assert rows["HCFC-22"]["exempted_uses"]["odp_tonnes"] == "0.00011"
    assert rows["methyl-bromide"]["qps"]["odp_tonnes"] == "0.048"
    assert body["total"]["production"]["metric_tonnes"] == "1"
    listed = api.get("/reports/entries?year=2025&column=feedstock").json
    assert [i["kind"] for i in listed["items"]] == ["feedstock_use"]


def test_destruction_alone_makes_calculated_production_negative(producer):
    record(producer, "destroyed", "HCFC-22", "1", on=date(2026, 1, 5))
    row = figures.article7("KG", Period.year(2026)).row("HCFC-22")
    assert row.kg(Column.CALCULATED_PRODUCTION) == row.kg(Column.CONSUMPTION) == D(-1)


def test_the_new_entries_keep_the_log_verifiable_and_hash_as_before(producer):
    from certreg.extensions import db

    db.session.commit()
    assert verify.verify_log("KG").ok
    use = db.session.scalars(db.select(Entry).where(Entry.kind == EntryKind.EXEMPTED_USE)).one()
    doc = canonical.document({c.name: getattr(use, c.name) for c in Entry.__table__.columns}, [])
    assert doc["kind"] == "exempted_use" and doc["exemption_reference"] == "Decision XXVI/5"
    production = db.session.scalars(db.select(Entry).where(Entry.kind == EntryKind.PRODUCTION)).first()
    doc = canonical.document({c.name: getattr(production, c.name) for c in Entry.__table__.columns}, [])
    assert "exempted_use" not in doc and "exemption_reference" not in doc  # members as before
