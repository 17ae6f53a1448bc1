"""Acceptance 4, in a real browser: an auditor opens the dashboard, sees the charts, downloads the
Article 7 XLSX, and the file holds the same figures as the page."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from certreg.extensions import db
from tests import dbutil
from tests.browser import chromium, second_step
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_user
from tests.live import served
from tests.reports.books import record
from tests.reports.market import Market

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture
def site():
    url = dbutil.fresh_database("browser_reports")
    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        market = Market("KZ")
        record(market.importer, "import", "R-502", "13.6", on=date(2025, 11, 1))
        record(market.importer, "import", "CFC-12", "25", on=date(2025, 11, 2))
        auditor = make_user("auditor", "KZ", email="auditor@kz.example.org")
        email = (auditor.email, auditor.totp_secret)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    try:
        with served(url, workers=1) as base:
            yield base, email
    finally:
        dbutil.drop_database(url)


def figures_on_page(page) -> dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]:
    cells = page.locator("#article7 td.figure").evaluate_all(
        "cells => cells.map(c => [c.dataset.substance, c.dataset.column, c.dataset.metric, c.dataset.odp,"
        " c.dataset.co2e, c.innerText])")
    found = {}
    for substance, column, metric, odp, co2e, text in cells:
        found[(substance, column)] = (Decimal(metric), Decimal(odp), Decimal(co2e))
        if Decimal(metric):
            shown = text.split("\n")[0].replace("\u00a0", "").replace(",", "")
            assert Decimal(shown) == round(Decimal(metric), 4), (substance, column, text)
    return found


def test_auditor_sees_charts_and_downloads_the_same_figures(site):
    base, (email, totp_secret) = site
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(base + "/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        second_step(page, totp_secret)
        page.wait_for_url(base + "/")
        page.get_by_role("link", name="Dashboard").first.click()
        page.wait_for_url(base + "/reports")
        page.goto(base + "/reports?year=2025")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Dashboard")

        # the charts are drawn: every chart has visible bars, with a size on screen
        for chart in ("imports-by-annex", "consumption-odp", "consumption-co2e", "imports-by-substance"):
            svg = page.locator(f"#{chart} svg")
            assert svg.is_visible(), chart
            bars = page.locator(f"#{chart} rect.bar")
            assert bars.count() >= 1, chart
            box = bars.first.bounding_box()
            assert box and box["width"] > 0 and box["height"] > 0, chart
            colour = bars.first.evaluate("r => getComputedStyle(r).fill")
            assert colour not in ("none", "rgb(0, 0, 0)"), (chart, colour)  # the stylesheet coloured it
        assert page.locator("#imports-by-annex rect.bar").count() >= 3  # three years

        page.get_by_role("link", name="Article 7 data").first.click()
        page.wait_for_url("**/reports/article7?year=2025")
        shown = figures_on_page(page)
        assert shown[("CFC-115", "imports_new")] == (Decimal("0.0069632"), Decimal("0.00417792"), Decimal(0))
        with page.expect_download() as info:
            page.locator("[data-download=article7-xlsx]").click()
        download = info.value
        assert download.suggested_filename == "article7-KZ-2025.xlsx"
        with open(download.path(), "rb") as fh:
            book = load_workbook(io.BytesIO(fh.read()), read_only=True)
        rows = list(book["Article 7"].iter_rows(values_only=True))
        header = rows[0]
        in_file = {}
        for row in rows[1:]:
            record_ = dict(zip(header, row))
            if record_["row"] != "substance":
                continue
            for column in ("imports_new", "imports_exempted", "imports_recovered", "exports_new", "exports_recovered",
                           "production", "feedstock", "qps", "exempted_uses", "destruction", "calculated_production",
                           "consumption"):
                in_file[(record_["substance"], column)] = tuple(
                    Decimal(str(record_[f"{column}_{unit}"])) for unit in ("metric_tonnes", "odp_tonnes",
                                                                           "co2e_tonnes"))
        substances_on_page = {k: v for k, v in shown.items() if k[0] in {s for s, _c in in_file}}
        assert substances_on_page == in_file
        assert len(in_file) == 12 * 6  # HCFC-22, CFC-12, CFC-115, HFC-125, HFC-143a, HFC-134a
        assert problems == []
