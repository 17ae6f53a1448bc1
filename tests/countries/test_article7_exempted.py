"""Imports for exempted uses are reported apart in Article 7 and left out of consumption (issue 9, item 9);
those for feedstock or QPS count until their use entry takes them out (issue 13: reports/test_article7_uses.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from certreg.reports import figures
from certreg.reports.figures import Column, Period
from certreg.vocabulary import Role
from tests import factories
from tests.conftest import login
from tests.countries.test_bans import import_, importer
from tests.reports.test_web import read_csv


def test_exempted_imports_have_their_own_column_and_stay_out_of_consumption(api):
    who = importer("KG")
    import_(who, "HCFC-22", kg="100")
    import_(who, "HCFC-22", kg="50", exempted_use="process_agent")  # feedstock and QPS: test_article7_uses.py
    import_(who, "bromochloromethane", kg="10", exempted_use="laboratory", exemption_reference="Decision XXVI/5")
    import_(who, "HCFC-22", kg="1", on=date(2025, 6, 1), exempted_use="process_agent")  # another year
    report = figures.article7("KG", Period.year(2026))
    hcfc, bcm = report.row("HCFC-22"), report.row("bromochloromethane")
    assert hcfc.kg(Column.IMPORTS_NEW) == Decimal("150")  # all uses
    assert hcfc.kg(Column.IMPORTS_EXEMPTED) == Decimal("50")
    assert hcfc.kg(Column.CONSUMPTION) == Decimal("100")
    assert bcm.kg(Column.IMPORTS_NEW) == bcm.kg(Column.IMPORTS_EXEMPTED) == Decimal("10")
    assert bcm.kg(Column.CONSUMPTION) == 0
    assert bcm.amount(Column.IMPORTS_EXEMPTED).odp_tonnes == Decimal("0.0012")  # 0.01 t x ODP 0.12
    total = report.grand_total()
    assert total.amount(Column.IMPORTS_EXEMPTED).metric_tonnes == Decimal("0.06")

    api.token = factories.make_token(factories.make_user(Role.AUDITOR, "KG"))
    body = api.get("/reports/article7?country=KG&year=2026").get_json()
    rows = {r["substance"]: r["columns"] for r in body["rows"]}
    assert rows["HCFC-22"]["imports_exempted"]["metric_tonnes"] == "0.05"
    assert rows["HCFC-22"]["imports_new"]["metric_tonnes"] == "0.15"
    assert rows["HCFC-22"]["consumption"]["metric_tonnes"] == "0.1"
    assert "imports_exempted" in body["columns"]


def test_the_entries_behind_the_exempted_figure(client):
    who = importer("KG")
    plain = import_(who, "HCFC-22", kg="100")
    exempted = import_(who, "HCFC-22", kg="50", exempted_use="essential_use")

    login(client, factories.make_user(Role.AUDITOR, "KG"))
    assert client.get("/reports/entries?year=2026&country=KG&column=imports_exempted").status_code == 200
    rows = read_csv(client.get("/reports/entries.csv?year=2026&country=KG&column=imports_exempted&substance=HCFC-22"))
    assert [(r["entry_id"], r["article7_column"], r["exempted_use"]) for r in rows] == [
        (str(exempted.id), "imports_exempted", "essential_use")]
    rows = read_csv(client.get("/reports/entries.csv?year=2026&country=KG&column=consumption&substance=HCFC-22"))
    assert [r["entry_id"] for r in rows] == [str(plain.id)]
