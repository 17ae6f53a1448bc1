"""The licence check offline in headless Chromium: after one online visit of a ``/l/...`` page the phone goes
offline and checks other licences from the cached trust list and licence status list; a licence revoked after
that is red once the phone has synced again (issue #13, acceptance 3)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest
from werkzeug.serving import make_server

from certreg.actors import Actor
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.licences import documents, services
from certreg.licences.token import LICENCE_TOKEN
from certreg.tokens import format as tokens
from tests import dbutil
from tests.conftest import make_test_app
from tests.factories import ensure_keys, make_company

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.live, pytest.mark.browser]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TODAY = date.today()
SYSTEM = Actor.system("tests")


def _issue(company, number: str, **changes):
    values = dict(number=number, company_registration=company.registration_number, direction="import",
                  scope=["HCFC-22", "R-404A"], cap_kg="1500", valid_from=TODAY - timedelta(days=5),
                  valid_until=TODAY + timedelta(days=200), issuing_authority="Ministry of Ecology",
                  partner_countries=["CN"])
    values.update(changes)
    licence = services.issue(SYSTEM, company.country_code, services.LicenceData(**values))
    documents.token_for(SYSTEM, licence)
    return licence


@pytest.fixture(scope="module")
def served() -> Iterator[dict]:
    url = dbutil.fresh_database("licence_offline")
    app = make_test_app(url, WTF_CSRF_ENABLED=False)
    dbutil.upgrade(app)
    with app.app_context():
        ensure_keys("KZ", "KG")
        kz = make_company(country_code="KZ", activities=["importer", "exporter"], name_latin="Almaty Kholod LLP")
        kg = make_company(country_code="KG", activities=["importer"], name_latin="Bishkek Suuk LLC")
        first = _issue(kz, "KZ-IMP-2026-0001")
        second = _issue(kz, "KZ-EXP-2026-0002", direction="export", hs_codes=["2903.71", "3827.61"])
        later = _issue(kz, "KZ-IMP-2026-0003")
        kyrgyz = _issue(kg, "KG-IMP-2026-0004")
        # a document printed before the token signed the holder's name and HS codes (format version 1)
        old = tokens.encode(LICENCE_TOKEN, replace(documents.claims_for(first), version=1, holder_name=None,
                                                   hs_codes=None), keys.active_key("KZ").private_key)
        db.session.commit()
        data = {"first": first.token, "second": second.token, "later": later.token, "later_id": later.id,
                "kyrgyz": kyrgyz.token, "old": old}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    data["base"] = f"http://127.0.0.1:{server.server_port}"
    data["app"] = app
    try:
        yield data
    finally:
        server.shutdown()
        thread.join(10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        dbutil.drop_database(url)


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _verdict(page) -> str:
    return page.get_attribute("#verdict", "data-verdict")


def _online(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('#verify[data-synced="yes"]', timeout=20_000)


def _offline(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('#verify[data-checked="offline"]', timeout=20_000)


def test_licences_checked_offline_and_a_revocation_after_the_next_sync(served, browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 412, "height": 915}, has_touch=True)
    try:
        page = context.new_page()
        _online(page, f"{served['base']}/l/{served['first']}")
        assert _verdict(page) == "VALID"
        context.set_offline(True)

        _offline(page, f"{served['base']}/l/{served['second']}")
        assert _verdict(page) == "VALID" and "verdict-ok" in page.get_attribute("#verdict", "class")
        facts = page.inner_text("#facts")
        assert "KZ-EXP-2026-0002" in facts and "Export" in facts and "HCFC-22, R-404A" in facts
        assert "1,500 kg" in facts and "China (CN)" in facts
        assert "Almaty Kholod LLP" in facts and "2903.71, 3827.61" in facts  # signed: who holds it, which goods
        _offline(page, f"{served['base']}/l/{served['old']}")
        assert _verdict(page) == "VALID" and "KZ-IMP-2026-0001" in page.inner_text("#facts")
        assert "Almaty Kholod LLP" not in page.inner_text("#facts")  # a version 1 token signs no name
        assert "Status as of" in page.inner_text("#status-as-of")
        _offline(page, f"{served['base']}/l/{served['kyrgyz']}")  # a neighbour's licence: one trust list
        assert _verdict(page) == "VALID"
        _offline(page, f"{served['base']}/l/{served['later']}")
        assert _verdict(page) == "VALID"
        forged = served["second"][:-10] + ("A" * 10 if not served["second"].endswith("A" * 10) else "B" * 10)
        _offline(page, f"{served['base']}/l/{forged}")
        assert _verdict(page) == "INVALID_SIGNATURE" and "verdict-bad" in page.get_attribute("#verdict", "class")

        with served["app"].app_context():  # the authority revokes a licence while the phone is offline ...
            from certreg.licences.models import Licence

            services.change_status(SYSTEM, db.session.get(Licence, served["later_id"]), "revoked",
                                   "Forged invoices")
            db.session.commit()
        _offline(page, f"{served['base']}/l/{served['later']}")
        assert _verdict(page) == "VALID"  # ... the phone does not know yet

        context.set_offline(False)  # the next sync
        _online(page, f"{served['base']}/l/{served['first']}")
        context.set_offline(True)
        _offline(page, f"{served['base']}/l/{served['later']}")
        assert _verdict(page) == "REVOKED" and "verdict-bad" in page.get_attribute("#verdict", "class")
        assert "revoked by the issuing authority" in page.inner_text("#verdict")
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "valid", "detail"), [
    ("ru-RU", "ДЕЙСТВИТЕЛЕН", "Лицензия"),
    ("ka-GE", "მოქმედი", "ლიცენზია"),  # the verifier set
])
def test_the_offline_verdict_in_the_phones_language(served, browser, locale, valid, detail):
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        _online(page, f"{served['base']}/l/{served['first']}")
        context.set_offline(True)
        _offline(page, f"{served['base']}/l/{served['second']}")
        assert _verdict(page) == "VALID"
        assert valid in page.inner_text("#verdict") and detail in page.inner_text("#verdict")
    finally:
        context.close()
