"""The cylinder label check offline in headless Chromium (issue 12 acceptance 3, issue 17 acceptance 3).

After one online visit (to any label or certificate check) the browser context goes offline and
opens ``/c/...`` of cylinders it never visited: a genuine label shows its verdict from the cached
trust list and label status list with "status as of", a forged token is red, and a cylinder
destroyed after that shows destroyed once the phone synced again. The offline page speaks the
phone's language (Kyrgyz, a complete language; Georgian, the verifier set).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from certreg.actors import Actor
from certreg.cylinders import custody
from certreg.cylinders.models import Cylinder
from certreg.extensions import db
from tests import dbutil
from tests.conftest import make_test_app
from tests.cylinders.builders import make_cylinder
from tests.factories import make_company

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.live, pytest.mark.browser]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _forge(token: str) -> str:
    from certreg.tokens import encoding as token_text

    raw = bytearray(token_text.b32_decode(token))
    raw[-5] ^= 0x40
    return token_text.b32_encode(bytes(raw))


@pytest.fixture(scope="module")
def served() -> Iterator[dict]:
    url = dbutil.fresh_database("cyloffline")
    app = make_test_app(url, WTF_CSRF_ENABLED=False)
    dbutil.upgrade(app)
    with app.app_context():
        owner = make_company(country_code="KG", activities=["importer", "dealer"])
        kz_owner = make_company(country_code="KZ", activities=["importer", "dealer"])
        first, second, doomed = (make_cylinder(owner) for _ in range(3))
        kz = make_cylinder(kz_owner, substance="R-404A", kg="9.5")
        db.session.commit()
        data = {"first": first.token, "second": second.token, "second_serial": second.serial,
                "doomed": doomed.token, "doomed_id": doomed.id, "kz": kz.token, "kz_serial": kz.serial}
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


def _visit_online_and_sync(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('#verify[data-synced="yes"]', timeout=20_000)


def _open_offline(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('#verify[data-checked="offline"]', timeout=20_000)


def test_label_check_offline_then_destroyed_after_the_next_sync(served, browser):
    base = served["base"]
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        _visit_online_and_sync(page, f"{base}/c/{served['first']}")
        assert _verdict(page) == "genuine"
        context.set_offline(True)

        _open_offline(page, f"{base}/c/{served['second']}")  # never visited
        assert _verdict(page) == "genuine"
        assert "verdict-ok" in page.get_attribute("#verdict", "class")
        assert "Status as of" in page.inner_text("#status-as-of")
        facts = page.inner_text("#facts")
        assert served["second_serial"] in facts and "HFC-134a, 12 kg" in facts and "Refillable cylinder" in facts

        _open_offline(page, f"{base}/c/{served['kz']}")  # another country's label: one trust list for all
        assert _verdict(page) == "genuine" and served["kz_serial"] in page.inner_text("#facts")

        _open_offline(page, f"{base}/c/{_forge(served['second'])}")
        assert _verdict(page) == "forged"
        assert "verdict-bad" in page.get_attribute("#verdict", "class")

        _open_offline(page, f"{base}/c/{served['doomed']}")
        assert _verdict(page) == "genuine"  # not destroyed yet

        with served["app"].app_context():  # destroyed while the phone is offline
            custody.destroy(Actor.system("test"), db.session.get(Cylinder, served["doomed_id"]))
            db.session.commit()
        _open_offline(page, f"{base}/c/{served['doomed']}")
        assert _verdict(page) == "genuine"  # the phone does not know yet

        context.set_offline(False)
        _visit_online_and_sync(page, f"{base}/c/{served['first']}")  # the next sync
        context.set_offline(True)
        _open_offline(page, f"{base}/c/{served['doomed']}")
        assert _verdict(page) == "destroyed"
        assert "verdict-bad" in page.get_attribute("#verdict", "class")
        assert "DESTROYED" in page.inner_text("#verdict")
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "genuine", "forged", "as_of"), [
    ("ky-KG", "ЧЫНЫГЫ ЭТИКЕТКА", "ЖАСАЛМА", "абалы боюнча"),  # a complete language
    ("ka-GE", "ნამდვილი ეტიკეტი", "ყალბი", "მდგომარეობით"),  # the verifier set
])
def test_offline_label_verdict_in_the_phones_language(served, browser, locale, genuine, forged, as_of):
    """The service worker keeps the offline label page as the phone asked for it: in its language."""
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        _visit_online_and_sync(page, f"{served['base']}/c/{served['first']}")
        context.set_offline(True)
        _open_offline(page, f"{served['base']}/c/{served['second']}")
        assert _verdict(page) == "genuine"
        assert genuine in page.inner_text("#verdict") and as_of in page.inner_text("main")
        _open_offline(page, f"{served['base']}/c/{_forge(served['second'])}")
        assert _verdict(page) == "forged" and forged in page.inner_text("#verdict")
    finally:
        context.close()
