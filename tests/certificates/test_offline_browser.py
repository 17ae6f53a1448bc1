"""The installable verifier in headless Chromium: one online visit, then verification offline.

Acceptance 3 and 4 of issue #3: after one online visit the browser context goes offline and
opens other certificates' ``/v/...`` URLs: a valid one is green with "status as of", one
revoked before the last sync is red, a forged token is red; and a Kazakh inspector's phone
verifies a Kyrgyz certificate offline (one trust list holds every country's keys).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date

import pytest
from werkzeug.serving import make_server

from certreg.actors import Actor
from certreg.certificates import lifecycle
from certreg.extensions import db
from certreg.vocabulary import Role
from tests import dbutil
from tests.browser import second_step
from tests.conftest import make_test_app
from tests.factories import PASSWORD, ensure_keys, make_certificate, make_company, make_technician, make_user

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.live, pytest.mark.browser]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TODAY = date.today()


def _forge(token: str) -> str:
    from certreg.tokens import encoding as token_text

    raw = bytearray(token_text.b32_decode(token))
    raw[-5] ^= 0x40
    return token_text.b32_encode(bytes(raw))


@pytest.fixture(scope="module")
def served() -> Iterator[dict]:
    url = dbutil.fresh_database("offline")
    app = make_test_app(url, WTF_CSRF_ENABLED=False)
    dbutil.upgrade(app)
    with app.app_context():
        ensure_keys("KG", "KZ")
        officer = Actor.of(make_user(Role.CERTIFYING_OFFICER, "KG"))
        first = make_certificate(make_technician(full_name_latin="Asanov Nurlan Bakytovich"))
        second = make_certificate(make_technician(full_name_latin="Zhumabekova Aigul Talantovna"),
                                  categories=("A2",))
        revoked = make_certificate(make_technician(full_name_latin="Osmonov Bolot"))
        lifecycle.revoke(officer, revoked, "Training certificate was forged")
        db.session.commit()
        kz_cert = make_certificate(make_company(country_code="KZ", name_latin="AlmatyKhladoTorg LLP"),
                                   categories=("CO-DEALER",))
        kz_inspector = make_user(Role.INSPECTOR, "KZ")
        data = {"first": first.token, "second": second.token, "second_number": second.number,
                "revoked": revoked.token, "kz": kz_cert.token, "kz_inspector": kz_inspector.email,
                "kz_inspector_totp": kz_inspector.totp_secret}
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


def _visit_online_and_sync(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('#verify[data-synced="yes"]', timeout=20_000)


def _open_offline(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('#verify[data-checked="offline"]', timeout=20_000)


def test_offline_after_one_online_visit(served, browser):
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        _visit_online_and_sync(page, f"{served['base']}/v/{served['first']}")
        assert _verdict(page) == "VALID"
        context.set_offline(True)

        _open_offline(page, f"{served['base']}/v/{served['second']}")
        assert _verdict(page) == "VALID"
        assert "verdict-ok" in page.get_attribute("#verdict", "class")
        assert "Status as of" in page.inner_text("#status-as-of")
        assert served["second_number"] in page.inner_text("#facts")
        assert "Zhumabekova Aigul Talantovna" in page.inner_text("#facts")

        _open_offline(page, f"{served['base']}/v/{served['revoked']}")
        assert _verdict(page) == "REVOKED"
        assert "verdict-bad" in page.get_attribute("#verdict", "class")

        _open_offline(page, f"{served['base']}/v/{_forge(served['second'])}")
        assert _verdict(page) == "INVALID_SIGNATURE"
        assert "verdict-bad" in page.get_attribute("#verdict", "class")
    finally:
        context.close()


def test_kazakh_inspector_verifies_a_kyrgyz_certificate_offline(served, browser):
    context = browser.new_context(locale="ru-RU")
    try:
        page = context.new_page()
        page.goto(f"{served['base']}/login")
        page.fill("#email", served["kz_inspector"])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        second_step(page, served["kz_inspector_totp"])
        page.wait_for_url(f"{served['base']}/")
        _visit_online_and_sync(page, f"{served['base']}/v/{served['kz']}")  # a Kazakh certificate, online
        context.set_offline(True)
        _open_offline(page, f"{served['base']}/v/{served['first']}")  # a Kyrgyz one, offline
        assert _verdict(page) == "VALID"
        text = page.inner_text("main")
        from babel import Locale

        assert "Asanov Nurlan Bakytovich" in text and Locale("ru").territories["KG"] in text
        assert "ДЕЙСТВИТЕЛЕН" in text and "Статус на" in text  # the offline page speaks Russian
    finally:
        context.close()


def test_a_status_older_than_the_configured_days_turns_amber_offline(served, browser):
    from datetime import datetime, timedelta

    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        _visit_online_and_sync(page, f"{served['base']}/v/{served['first']}")
        context.set_offline(True)
        page.clock.set_fixed_time(datetime.now() + timedelta(days=8))  # VERIFY_OFFLINE_STALE_DAYS is 7
        _open_offline(page, f"{served['base']}/v/{served['second']}")
        assert _verdict(page) == "VALID"  # genuine and in date ...
        assert "verdict-warn" in page.get_attribute("#verdict", "class")  # ... but the status is old: amber
        assert "more than 7 days old" in page.inner_text("#status-as-of")
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "valid", "revoked", "as_of"), [
    ("ky-KG", "ЖАРАКТУУ", "ЖОККО ЧЫГАРЫЛГАН", "абалы боюнча"),  # a complete language (issue #17, acceptance 3)
    ("ka-GE", "მოქმედი", "გაუქმებული", "მდგომარეობით"),  # the verifier set
])
def test_offline_verdict_in_the_phones_language(served, browser, locale, valid, revoked, as_of):
    """The service worker keeps the offline page as the phone asked for it: in its language."""
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        _visit_online_and_sync(page, f"{served['base']}/v/{served['first']}")
        context.set_offline(True)
        _open_offline(page, f"{served['base']}/v/{served['second']}")
        assert _verdict(page) == "VALID"
        assert valid in page.inner_text("#verdict") and as_of in page.inner_text("main")
        _open_offline(page, f"{served['base']}/v/{served['revoked']}")
        assert _verdict(page) == "REVOKED" and revoked in page.inner_text("#verdict")
    finally:
        context.close()
