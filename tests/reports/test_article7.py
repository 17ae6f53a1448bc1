"""Acceptance 1: Article 7 figures against hand-computed values.

Every expected figure below was worked out by hand from the Protocol's annex values
(ODP: CFC-12 1.0, CFC-115 0.6, CTC 1.1, HCFC-22 0.055, methyl bromide 0.6; Annex F GWP:
HFC-134a 1430, HFC-125 3500, HFC-143a 4470, HFC-32 675) and the ASHRAE mass compositions
(R-502 = HCFC-22 48.8 % + CFC-115 51.2 %; R-404A = HFC-125 44 % + HFC-143a 52 % + HFC-134a 4 %;
R-410A = HFC-32 50 % + HFC-125 50 %; R-407C = HFC-32 23 % + HFC-125 25 % + HFC-134a 52 %).
"""

from __future__ import annotations

from datetime import date
from decimal import Context, Decimal

import pytest

from certreg.reports import figures
from certreg.reports.figures import Column, Period
from tests import factories
from tests.reports.books import record, reverse, without_bans

D = Decimal


def sig6(value: Decimal) -> str:
    """``value`` to 6 significant digits (how the acceptance criterion compares)."""
    return str(Context(prec=6).plus(Decimal(value)).normalize()) if value else "0"


def assert_amount(amount: figures.Amount, metric: str, odp: str = "0", co2e: str = "0") -> None:
    assert sig6(amount.metric_tonnes) == sig6(D(metric)), ("metric tonnes", amount)
    assert sig6(amount.odp_tonnes) == sig6(D(odp)), ("ODP tonnes", amount)
    assert sig6(amount.co2e_tonnes) == sig6(D(co2e)), ("CO2-eq tonnes", amount)


@pytest.fixture
def kz_2025():
    """One year of a Kazakh importer's books, with noise that must not count."""
    without_bans("KZ")
    without_bans("KG")
    importer = factories.make_company(country_code="KZ", activities=["importer", "exporter", "dealer"])
    day = date(2025, 3, 1)
    # pure substances of each annex (A, B, C, E, F)
    record(importer, "import", "CFC-12", "100", on=day)
    record(importer, "import", "CTC", "20", on=day)
    record(importer, "import", "HCFC-22", "1000", on=day)
    record(importer, "import", "methyl-bromide", "10", on=day)
    record(importer, "import", "HFC-134a", "200", on=day)
    # blends, split into their components
    record(importer, "import", "R-502", "13.6", on=day)
    record(importer, "import", "R-404A", "100", on=day)
    record(importer, "import", "R-410A", "50", on=day)
    record(importer, "import", "R-407C", "40", on=day)
    # mixed conditions: reclaimed HCFC-22 and recovered R-404A imported, some exported again
    record(importer, "import", "HCFC-22", "50", on=day, condition="reclaimed")
    record(importer, "import", "R-404A", "30", on=day, condition="recovered")
    record(importer, "export", "R-404A", "10", on=date(2025, 6, 1), condition="recovered")
    # exports are subtracted from consumption
    record(importer, "export", "HCFC-22", "300", on=date(2025, 6, 1))
    record(importer, "export", "HFC-134a", "50", on=date(2025, 6, 1))
    # destruction
    record(importer, "destroyed", "HCFC-22", "5", on=date(2025, 9, 1), condition="reclaimed")
    # noise: a reversed import, another year, another country, domestic movements
    reverse(record(importer, "import", "HCFC-22", "999", on=date(2025, 4, 1)))
    record(importer, "import", "HCFC-22", "777", on=date(2024, 12, 31))
    record(importer, "import", "HCFC-22", "555", on=date(2026, 1, 1))
    record(factories.make_company(country_code="KG", activities=["importer"]), "import", "HCFC-22", "444", on=day)
    record(importer, "purchase", "HCFC-22", "12", on=day)
    return importer


def test_pure_substances_of_each_annex(kz_2025):
    report = figures.article7("KZ", Period.year(2025))
    assert_amount(report.row("CFC-12").amount(Column.IMPORTS_NEW), "0.1", odp="0.1")
    assert_amount(report.row("CTC").amount(Column.IMPORTS_NEW), "0.02", odp="0.022")
    assert_amount(report.row("methyl-bromide").amount(Column.IMPORTS_NEW), "0.01", odp="0.006")
    # HFC-134a: 200 kg pure + 4 kg in R-404A + 20.8 kg in R-407C = 224.8 kg; x 1430
    assert_amount(report.row("HFC-134a").amount(Column.IMPORTS_NEW), "0.2248", co2e="321.464")


def test_blends_are_reported_by_component(kz_2025):
    report = figures.article7("KZ", Period.year(2025))
    # 13.6 kg R-502 = 6.6368 kg HCFC-22 + 6.9632 kg CFC-115
    assert_amount(report.row("CFC-115").amount(Column.IMPORTS_NEW), "0.0069632", odp="0.00417792")
    # HCFC-22: 1000 kg + 6.6368 kg from R-502 (the reversed 999 kg, 2024, 2026 and KG do not count)
    assert_amount(report.row("HCFC-22").amount(Column.IMPORTS_NEW), "1.0066368", odp="0.055365024")
    # HFC-125: 44 (R-404A) + 25 (R-410A) + 10 (R-407C) = 79 kg x 3500
    assert_amount(report.row("HFC-125").amount(Column.IMPORTS_NEW), "0.079", co2e="276.5")
    # HFC-143a: 52 kg (R-404A) x 4470
    assert_amount(report.row("HFC-143a").amount(Column.IMPORTS_NEW), "0.052", co2e="232.44")
    # HFC-32: 25 (R-410A) + 9.2 (R-407C) = 34.2 kg x 675
    assert_amount(report.row("HFC-32").amount(Column.IMPORTS_NEW), "0.0342", co2e="23.085")
    # Blends are never rows of their own, and non-controlled components never appear.
    codes = {r.substance.code for r in report.rows}
    assert not codes & {"R-502", "R-404A", "R-410A", "R-407C"}
    assert codes == {"CFC-12", "CFC-115", "CTC", "HCFC-22", "methyl-bromide", "HFC-134a", "HFC-125", "HFC-143a",
                     "HFC-32"}


def test_new_and_recovered_are_split(kz_2025):
    report = figures.article7("KZ", Period.year(2025))
    hcfc = report.row("HCFC-22")
    assert_amount(hcfc.amount(Column.IMPORTS_RECOVERED), "0.05", odp="0.00275")
    # recovered R-404A: 30 kg in, 10 kg out
    assert_amount(report.row("HFC-125").amount(Column.IMPORTS_RECOVERED), "0.0132", co2e="46.2")
    assert_amount(report.row("HFC-143a").amount(Column.EXPORTS_RECOVERED), "0.0052", co2e="23.244")
    assert_amount(report.row("HFC-134a").amount(Column.EXPORTS_RECOVERED), "0.0004", co2e="0.572")
    # recovered imports and exports do not count in consumption (decision IV/24)
    assert_amount(report.row("HFC-143a").amount(Column.CONSUMPTION), "0.052", co2e="232.44")


def test_exports_are_subtracted_and_destruction_reported(kz_2025):
    report = figures.article7("KZ", Period.year(2025))
    hcfc = report.row("HCFC-22")
    assert_amount(hcfc.amount(Column.EXPORTS_NEW), "0.3", odp="0.0165")
    # 1006.6368 - 300 - 5 destroyed (Article 1(5): destruction lowers calculated production) = 701.6368 kg
    assert_amount(hcfc.amount(Column.CONSUMPTION), "0.7016368", odp="0.038590024")
    assert_amount(hcfc.amount(Column.DESTRUCTION), "0.005", odp="0.000275")
    # HFC-134a: 224.8 - 50 = 174.8 kg x 1430
    assert_amount(report.row("HFC-134a").amount(Column.CONSUMPTION), "0.1748", co2e="249.964")
    assert_amount(hcfc.amount(Column.PRODUCTION), "0")
    assert_amount(hcfc.amount(Column.FEEDSTOCK), "0")


def test_totals_per_annex_and_group(kz_2025):
    report = figures.article7("KZ", Period.year(2025))
    groups = {t.label: t for t in report.totals_by_group()}
    assert list(groups) == ["A/I", "B/II", "C/I", "E/I", "F/I"]
    # A/I: CFC-12 0.1 + CFC-115 0.00417792 ODP tonnes
    assert_amount(groups["A/I"].amount(Column.CONSUMPTION), "0.1069632", odp="0.10417792")
    # F/I consumption: 174.8 + 79 + 52 + 34.2 = 340 kg;
    # CO2-eq: HFC-134a 249.964 + HFC-125 276.5 + HFC-143a 232.44 + HFC-32 23.085
    assert_amount(groups["F/I"].amount(Column.CONSUMPTION), "0.34", co2e="781.989")
    annexes = {t.label: t for t in report.totals_by_annex()}
    assert_amount(annexes["C"].amount(Column.IMPORTS_NEW), "1.0066368", odp="0.055365024")
    total = report.grand_total()
    # ODP tonnes of consumption: 0.10417792 + 0.022 + 0.038590024 + 0.006
    assert sig6(total.amount(Column.CONSUMPTION).odp_tonnes) == sig6(D("0.170767944"))
    assert sig6(total.amount(Column.CONSUMPTION).co2e_tonnes) == sig6(D("781.989"))


def test_breakdowns_per_month_and_holder_kind(kz_2025):
    months = figures.breakdown("KZ", Period.year(2025), figures.Breakdown.MONTH)
    assert sorted(months) == [3, 6, 9]
    assert_amount(months[6].row("HCFC-22").amount(Column.EXPORTS_NEW), "0.3", odp="0.0165")
    assert months[3].row("HCFC-22").amount(Column.EXPORTS_NEW).is_zero
    kinds = figures.breakdown("KZ", Period.year(2025), figures.Breakdown.HOLDER_KIND)
    assert list(kinds) == [figures.HolderKind.COMPANY]


def test_trends_across_years(kz_2025):
    years = figures.breakdown("KZ", Period.years(2024, 2026), figures.Breakdown.YEAR)
    assert sorted(years) == [2024, 2025, 2026]
    assert_amount(years[2024].row("HCFC-22").amount(Column.IMPORTS_NEW), "0.777", odp="0.042735")
    assert_amount(years[2026].row("HCFC-22").amount(Column.IMPORTS_NEW), "0.555", odp="0.030525")
    assert_amount(years[2025].row("HCFC-22").amount(Column.IMPORTS_NEW), "1.0066368", odp="0.055365024")


def test_figures_are_exact_decimals(kz_2025):
    """No float ever enters: 13.6 kg x 0.488 is exactly 6.6368 kg on both databases."""
    report = figures.article7("KZ", Period.year(2025))
    cfc115 = report.row("CFC-115")
    assert cfc115.kg(Column.IMPORTS_NEW) == D("6.9632")
    assert isinstance(cfc115.amount(Column.IMPORTS_NEW).odp_tonnes, Decimal)
    assert report.row("HCFC-22").kg(Column.IMPORTS_NEW) == D("1006.6368")


def test_an_empty_year_has_no_rows(kz_2025):
    assert figures.article7("KZ", Period.year(2020)).rows == []
    assert figures.article7("UZ", Period.year(2025)).rows == []
