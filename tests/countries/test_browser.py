"""The country settings page and the public rules page in a phone browser, checked with axe-core."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from certreg.actors import Actor
from certreg.countries import services
from certreg.extensions import db
from certreg.vocabulary import Role
from tests import dbutil
from tests.browser import chromium
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_user
from tests.live import served
from tests.logbook.test_browser import sign_in

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture
def site():
    url = dbutil.fresh_database("browser_countries")
    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        admin = make_user(Role.ADMIN, "KG")
        email, secret = admin.email, admin.totp_secret
        services.update_settings(Actor.system("tests"), "KG", {"penalties_ru": "Штраф до 100 расчётных показателей."})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    try:
        with served(url, workers=1) as base:
            yield base, email, secret
    finally:
        dbutil.drop_database(url)


def violations(page) -> list[str]:
    return [f"{v['id']}: {v['help']} {[n['html'] for n in v['nodes']]}" for v in Axe().run(page).response["violations"]]


def test_settings_and_rules_pages_on_a_phone(site):
    base, email, secret = site
    assert PASSWORD
    with chromium() as browser:
        problems = []
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        sign_in(page, base, email, secret)
        page.get_by_role("link", name="Country settings").first.click()
        page.wait_for_url(base + "/countries/settings")
        assert violations(page) == []
        page.get_by_label("Annex C group I (HCFCs)").fill("2035-01-01")
        page.get_by_label("Penalties (text in en)").fill("Fines up to 100 units.")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(base + "/countries/settings")
        assert page.get_by_label("Annex C group I (HCFCs)").input_value() == "2035-01-01"

        public = browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU")
        rules = public.new_page()
        rules.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        rules.goto(base + "/search")
        rules.get_by_role("link", name="Правила и санкции в каждой стране").click()
        rules.locator('a[href="/rules/KG"]').click()
        assert "Штраф до 100 расчётных показателей." in rules.content()
        assert "национальная дата" in rules.content()
        assert violations(rules) == []
        assert problems == []
