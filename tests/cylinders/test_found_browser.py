"""Reporting a lost cylinder found on its page in a phone browser, checked with axe-core."""

from __future__ import annotations

import pytest

from certreg.actors import Actor
from certreg.cylinders import custody
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
    url = dbutil.fresh_database("browser_cyl_found")
    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        owner = make_company(country_code="KG", activities=["importer", "dealer"])
        user = make_user(Role.COMPANY_USER, "KG", company=owner)
        cylinder = make_cylinder(owner)
        custody.report_lost(Actor.system("test"), cylinder, note="Police KG-77")
        serial, email, secret = cylinder.serial, user.email, user.totp_secret
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    try:
        with served(url, workers=1) as base:
            yield base, email, secret, serial
    finally:
        dbutil.drop_database(url)


def test_report_found_on_a_phone(site):
    base, email, secret, serial = site
    with chromium() as browser:
        problems = []
        context = browser.new_context(viewport={"width": 412, "height": 915}, has_touch=True, is_mobile=True)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "422" not in m.text else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        sign_in(page, base, email, secret)
        page.goto(f"{base}/cylinders/{serial}")
        assert "Reported lost or stolen" in page.locator("dl.facts").inner_text()
        assert violations(page) == []
        page.get_by_label("Police report, inspection or other reference").fill("Police KG-77: returned")
        page.get_by_role("button", name="Report the cylinder found").click()
        page.wait_for_load_state()
        assert page.locator("#found-confirm-error").count() == 1  # not confirmed: refused, nothing recorded
        assert violations(page) == []
        page.get_by_label("I confirm: the cylinder was found.").check()
        page.get_by_role("button", name="Report the cylinder found").click()
        page.wait_for_load_state()
        page.wait_for_url(f"{base}/cylinders/{serial}")
        assert "In stock" in page.locator("dl.facts").inner_text()
        assert page.get_by_role("button", name="Report the cylinder found").count() == 0
        assert page.get_by_role("button", name="Report the cylinder lost or stolen").count() == 1
        assert violations(page) == []
        assert problems == []
