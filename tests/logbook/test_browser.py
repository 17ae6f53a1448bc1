"""In a real browser on a phone-sized screen: the technician's quick entry from a scanned label,
the dealer's point of sale with its check step, the entry form showing the fields of each kind
(no console errors: no inline script, nothing blocked by the Content-Security-Policy)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from certreg.extensions import db
from certreg.logbook import equipment as equipment_services
from certreg.logbook import recording
from tests import dbutil
from tests.browser import chromium, second_step
from tests.conftest import make_test_app
from tests.factories import PASSWORD
from tests.live import served
from tests.logbook.conftest import People, certify, entry_data

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture
def site():
    url = dbutil.fresh_database("browser_logbook")
    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        people = People()
        certify(people.tech_record, ("A1",))  # charging needs a certified technician
        recording.record_entry(people.tech_actor, people.technician, entry_data(
            "purchase", substance="R-404A", quantity=Decimal("10")))
        unit = equipment_services.register(people.tech_actor, people.technician, equipment_services.EquipmentData(
            owner_kind="company", owner_name="Narodny shop 12", site_address="Bishkek, Manas 40",
            kind="commercial_refrigeration", substance="R-404A", nominal_charge=Decimal("6")))
        recording.record_entry(people.dealer_actor, people.dealer, entry_data("import", substance="R-404A"))
        buyer = certify(people.kz_tech_record).number
        db.session.commit()
        info = {"technician": people.tech_user.email, "dealer": people.dealer_user.email, "code": unit.code,
                "buyer": buyer}
        db.session.remove()
        db.engine.dispose()
    try:
        with served(url, workers=1) as base:
            yield base, info
    finally:
        dbutil.drop_database(url)


def sign_in(page, base, email, totp_secret=None):
    """Sign in; officials (``totp_secret``) also give a code at the second step."""
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    second_step(page, totp_secret)
    page.wait_for_url(base + "/")


def test_quick_entry_point_of_sale_and_entry_form_in_a_phone_browser(site):
    base, info = site
    with chromium() as browser:
        problems = []
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        sign_in(page, base, info["technician"])
        page.goto(f"{base}/e/{info['code']}")  # what the phone camera opens from the label
        page.wait_for_url("**/logbook/quick?equipment=*")
        assert "Narodny shop 12" in page.content()
        page.get_by_label("Quantity (kg)").fill("1,5")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/logbook/quick?equipment=*")
        assert f"1.500 kg R-404A, equipment {info['code']}" in page.locator(".flash").inner_text()

        page.goto(base + "/logbook/entries/new")
        page.get_by_label("Kind of entry").select_option("import")
        assert page.get_by_label("Import licence number").is_visible()
        page.get_by_label("Kind of entry").select_option("purchase")
        assert not page.get_by_label("Import licence number").is_visible()

        context.clear_cookies()
        sign_in(page, base, info["dealer"])
        page.goto(base + "/logbook/sale")
        page.get_by_label("Buyer's certificate number or scanned QR").fill(info["buyer"])
        page.get_by_label("Substance or blend").fill("R-404A")
        page.get_by_label("Quantity (kg)").fill("2")
        page.get_by_role("button", name="Check").click()
        assert "ALLOWED" in page.locator(".verdict").inner_text()
        page.get_by_role("button", name="Record the sale").click()
        page.wait_for_url("**/logbook/entries/*")
        assert "Sale recorded: 2.000 kg R-404A" in page.locator(".flash").inner_text()
        assert problems == []
    assert date.today()
