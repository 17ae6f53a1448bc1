"""``flask reports ...``."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.reports.market import Market


@pytest.fixture
def market() -> Market:
    return Market("KZ")


def test_article7_csv_to_stdout(app, market):
    result = app.test_cli_runner().invoke(args=["reports", "article7", "--country", "kz", "--year", "2025",
                                                "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff"))))
    hcfc = next(r for r in rows if r["substance"] == "HCFC-22")
    assert (hcfc["imports_new_metric_tonnes"], hcfc["exports_new_metric_tonnes"]) == ("1", "0.05")


def test_article7_xlsx_and_json_to_files(app, market, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "kz-2025.xlsx"
    result = runner.invoke(args=["reports", "article7", "--country", "KZ", "--year", "2025", "--format", "xlsx",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out, read_only=True)["Article 7"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert "consumption_odp_tonnes" in header and rows[0][3] == "HCFC-22"
    out = tmp_path / "kz-2025.json"
    assert runner.invoke(args=["reports", "article7", "--country", "KZ", "--year", "2025", "--format", "json",
                               "--output", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["rows"][0]["substance"] == "HCFC-22"


def test_anomalies_and_check_logs(app, market):
    market.stock_count(market.dealer, "HCFC-22", on=date(2025, 12, 28), delta=Decimal("-120"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "anomalies", "--country", "KZ", "--from", "2025-01-01",
                                 "--to", "2025-12-31"])
    assert result.exit_code == 0, result.output
    assert "1. [" in result.output and "mass_balance" in result.output
    result = runner.invoke(args=["reports", "check-logs", "--country", "KZ"])
    assert result.exit_code == 0 and "KZ: OK" in result.output


def test_years_out_of_range_are_refused(app):
    result = app.test_cli_runner().invoke(args=["reports", "article7", "--country", "KZ", "--year", "1900"])
    assert result.exit_code == 2
