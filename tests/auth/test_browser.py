"""In a real browser on a phone (412×915): an officer sets up two-step sign-in, signs out, signs in
with password and code; a replayed code is refused; a recovery code works once. No console errors."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from certreg.extensions import db
from tests import dbutil
from tests.browser import chromium
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_user
from tests.live import served

pytestmark = [pytest.mark.live, pytest.mark.browser]
PHONE = {"width": 412, "height": 915}


@pytest.fixture
def site():
    url = dbutil.fresh_database("browser_auth")
    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        email = make_user("certifying_officer", "KG", email="officer@kg.example.org", two_factor=False).email
        db.session.remove()
        db.engine.dispose()
    try:
        with served(url, workers=1) as base:
            yield base, email
    finally:
        dbutil.drop_database(url)


def password_step(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def code_step(page, code):
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def sign_out(page, base):
    page.goto(base + "/account")
    page.locator("form[action='/logout'] button").first.click()
    page.wait_for_url(base + "/login")


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_officer_enrols_then_signs_in_with_a_code_replay_refused_recovery_code_once(site):
    base, email = site
    with chromium() as browser:
        page = browser.new_context(viewport=PHONE).new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        # First sign-in: the password only, then straight to enrolment; nothing else is reachable.
        password_step(page, base, email)
        assert page.url == base + "/account/two-factor"
        page.goto(base + "/registry/technicians")
        assert page.url == base + "/account/two-factor"
        assert page.locator("img.qr").is_visible() and fits_the_screen(page)
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        totp = pyotp.TOTP(secret)
        page.get_by_label("6-digit code shown by the app").fill(totp.now())
        page.get_by_role("button", name="Turn on two-step sign-in").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == "Recovery codes"
        codes = page.locator("#recovery-codes code").all_inner_texts()
        assert len(codes) == 10 and all(re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", c) for c in codes)
        assert fits_the_screen(page)
        sign_out(page, base)

        # Password, then the next code of the app.
        code = totp.at(time.time() + 30)
        password_step(page, base, email)
        assert page.url == base + "/login/code" and fits_the_screen(page)
        code_step(page, code)
        assert page.url == base + "/"
        assert page.get_by_role("heading", level=1).inner_text().startswith("Certifying officer")
        sign_out(page, base)

        # The same code again: refused.
        password_step(page, base, email)
        code_step(page, code)
        assert page.url == base + "/login/code"
        assert "This code was already used" in page.locator("main").inner_text()

        # A recovery code works once.
        code_step(page, codes[0])
        assert page.url == base + "/"
        assert "You used a recovery code. 9 are left." in page.locator(".flash").inner_text()
        page.goto(base + "/account/sessions")
        assert "recovery code" in page.locator("main").inner_text() and fits_the_screen(page)
        sign_out(page, base)
        password_step(page, base, email)
        code_step(page, codes[0])
        assert page.url == base + "/login/code" and "Wrong code." in page.locator("main").inner_text()
        # The refused codes answer 401 on purpose; nothing else may fail.
        assert [p for p in problems if "status of 401" not in p] == []
