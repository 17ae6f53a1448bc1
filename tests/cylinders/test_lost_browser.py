"""Reporting a cylinder lost on its page in a phone browser, checked with axe-core (issue 12)."""

from __future__ import annotations

import pytest

from certreg.extensions import db
from certreg.vocabulary import Role
from tests import dbutil
from tests.browser import chromium
from tests.conftest import make_test_app
from tests.countries.test_browser import violations
from tests.cylinders.builders import make_cylinder
from tests.factories import make_company, make_user
from tests.live import served
from tests.logbook.test_browser import sign_in

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture
def site():
    url = dbutil.fresh_database("browser_cyl_lost")
    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        owner = make_company(country_code="KG", activities=["importer", "dealer"])
        user = make_user(Role.COMPANY_USER, "KG", company=owner)
        serial, email, secret = make_cylinder(owner).serial, user.email, user.totp_secret
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    try:
        with served(url, workers=1) as base:
            yield base, email, secret, serial
    finally:
        dbutil.drop_database(url)


def test_report_lost_on_a_phone(site):
    base, email, secret, serial = site
    with chromium() as browser:
        problems = []
        context = browser.new_context(viewport={"width": 412, "height": 915}, has_touch=True, is_mobile=True)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "422" not in m.text else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        sign_in(page, base, email, secret)
        page.goto(f"{base}/cylinders/{serial}")
        assert violations(page) == []
        page.get_by_label("Police report or other reference").fill("Police KG-77")
        page.get_by_role("button", name="Report the cylinder lost or stolen").click()
        page.wait_for_load_state()
        assert page.locator("#lost-confirm-error").count() == 1  # not confirmed: refused, nothing recorded
        assert violations(page) == []
        page.get_by_label("I confirm: the cylinder is lost or stolen.").check()
        page.get_by_role("button", name="Report the cylinder lost or stolen").click()
        page.wait_for_load_state()
        page.wait_for_url(f"{base}/cylinders/{serial}")
        assert "Reported lost or stolen" in page.locator("dl.facts").inner_text()
        assert page.get_by_role("button", name="Report the cylinder lost or stolen").count() == 0
        assert violations(page) == []
        assert problems == []
