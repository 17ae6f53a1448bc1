"""The CSV upload page in a phone's browser: the upload goes with progress, the per-line report
replaces the form's part of the page, and axe-core finds nothing serious there; a good file lands in
the logbook."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from werkzeug.serving import make_server

from certreg.extensions import db
from tests import dbutil
from tests.browser import chromium
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_company, make_user
from tests.logbook.builders import HEADER, csv_lines

pytestmark = [pytest.mark.live, pytest.mark.browser]

BAD = "date,kind,substance,quantity_kg\n31/12/2024,import,HCFC-22,5\n2024-01-01,import,R-999,5\n"


@pytest.fixture(scope="module")
def site() -> Iterator[dict]:
    url = dbutil.fresh_database("import_page")
    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        company = make_company(country_code="KG", activities=["importer", "exporter"])
        data = {"email": make_user("company_user", "KG", company=company).email}
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    data["base"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield data
    finally:
        server.shutdown()
        thread.join(10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        dbutil.drop_database(url)


def test_upload_with_progress_report_and_success_at_a_phone_width(site, tmp_path):
    bad, good = tmp_path / "bad.csv", tmp_path / "paper.csv"
    bad.write_text(BAD)
    good.write_text(HEADER + csv_lines(40))
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 412, "height": 915}, is_mobile=True, has_touch=True,
                                      locale="en-GB")
        context.add_init_script(AXE_SCRIPT)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(site["base"] + "/login")
        page.fill("#email", site["email"])
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        page.goto(site["base"] + "/logbook")
        page.get_by_role("link", name="Import a paper logbook (CSV)").click()
        page.wait_for_url("**/logbook/import")

        page.set_input_files("#file", str(bad))
        page.get_by_role("button", name="Import", exact=True).click()
        page.wait_for_selector(".import-report")
        assert page.url.endswith("/logbook/import")  # the report came in place, by XMLHttpRequest
        assert page.evaluate("document.activeElement.id") == "report-title"
        report = page.inner_text(".import-report")
        assert "Nothing was imported: 2 line(s) refused" in report
        assert "invalid_date" in report and "unknown_substance" in report
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == []

        page.set_input_files("#file", str(good))
        # The upload may be over before a test could look: note (in sessionStorage, which outlives the
        # page) when the progress box is shown.
        page.evaluate("""() => {
            const box = document.querySelector('.upload-progress');
            new MutationObserver(() => { if (!box.hidden) sessionStorage.setItem('progress-shown', '1'); })
                .observe(box, {attributes: true});
        }""")
        page.get_by_role("button", name="Import", exact=True).click()
        page.wait_for_url("**/logbook")
        assert page.evaluate("sessionStorage.getItem('progress-shown')") == "1"
        assert "Imported 40 entries from paper.csv" in page.inner_text(".flashes")
        assert problems == []
        context.close()
