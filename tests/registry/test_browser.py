"""In a real browser: sign in, register a technician, find them in the public search (no console errors)."""

from __future__ import annotations

import pytest

from certreg.extensions import db
from tests import dbutil
from tests.browser import chromium, second_step
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_company, make_user
from tests.live import served

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture
def site():
    url = dbutil.fresh_database("browser_registry")
    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        officer = make_user("certifying_officer", "KG", email="officer@kg.example.org")
        make_company(country_code="KG", legal_name="ОсОО «Холод-Сервис Бишкек»", registration_number="02304201710123")
        email = (officer.email, officer.totp_secret)
        db.session.remove()
        db.engine.dispose()
    try:
        with served(url, workers=1) as base:
            yield base, email
    finally:
        dbutil.drop_database(url)


def test_officer_registers_a_technician_who_is_then_publicly_searchable(site):
    base, (email, totp_secret) = site
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(base + "/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        second_step(page, totp_secret)
        page.wait_for_url(base + "/")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Certifying officer")

        page.get_by_role("link", name="Register a technician").first.click()
        page.get_by_label("Full name (as in the ID document)").fill("Асанов Нурлан Бакытович")
        page.get_by_label("Full name in Latin script (as in the passport)").fill("Asanov Nurlan Bakytovich")
        page.get_by_label("National ID number").fill("21203199000123")
        page.get_by_label("Date of birth").fill("1990-03-12")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/registry/technicians/*")
        assert page.get_by_role("heading", level=1).inner_text() == "Асанов Нурлан Бакытович"

        # A fresh visitor (no session) finds the technician, without any personal detail.
        visitor = browser.new_context().new_page()
        visitor.goto(base + "/search")
        visitor.get_by_label("Name, certificate or registration number").fill("асанов")
        visitor.get_by_role("button", name="Search").click()
        result = visitor.locator(".result").first
        assert "Асанов Нурлан Бакытович" in result.inner_text()
        assert "21203199000123" not in visitor.content() and "1990" not in visitor.content()
        assert problems == []
