"""Passkeys: added once TOTP is on, then a second step of sign-in; in a real browser with a virtual
authenticator (Chromium's WebAuthn DevTools domain); the server refuses a missing challenge."""

from __future__ import annotations

import pytest

from certreg.extensions import db
from tests import dbutil
from tests.browser import chromium, second_step
from tests.conftest import login, post_form
from tests.factories import PASSWORD, make_user
from tests.live import served


def test_passkey_needs_two_step_sign_in_first(client):
    user = make_user("company_user")
    login(client, user)
    response = post_form(client, "/account/passkeys/options", page="/account", headers={"Accept": "application/json"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "not_enrolled"


def test_registration_without_a_challenge_is_refused(client):
    officer = make_user("inspector")
    login(client, officer)
    response = post_form(client, "/account/passkeys", page="/account", headers={"Accept": "application/json"})
    assert response.status_code == 422


def test_passkey_sign_in_needs_the_password_first(client):
    response = post_form(client, "/login/passkey/options", page="/login", headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "no_pending_sign_in"


@pytest.fixture
def site():
    url = dbutil.fresh_database("browser_passkeys")
    from tests.conftest import make_test_app

    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        officer = make_user("inspector", "KG", email="inspector@kg.example.org")
        info = (officer.email, officer.totp_secret)
        db.session.remove()
        db.engine.dispose()
    try:
        with served(url, workers=1) as base:
            yield base.replace("127.0.0.1", "localhost"), info  # a passkey needs a host name, not an address
    finally:
        dbutil.drop_database(url)


@pytest.mark.live
@pytest.mark.browser
def test_officer_adds_a_passkey_and_signs_in_with_it(site):
    base, (email, secret) = site
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 412, "height": 915})
        page = context.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
            "hasUserVerification": True, "isUserVerified": True}})

        page.goto(base + "/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        second_step(page, secret)
        page.wait_for_url(base + "/")
        page.goto(base + "/account/two-factor")
        page.get_by_label("Name of the new passkey").fill("work laptop")
        page.get_by_role("button", name="Add a passkey").click()
        page.wait_for_url(base + "/account/two-factor")
        page.wait_for_selector("text=work laptop")
        assert "Passkey added" in page.locator(".flash").inner_text()

        page.goto(base + "/account")
        page.locator("form[action='/logout'] button").first.click()
        page.wait_for_url(base + "/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(base + "/login/code")
        page.get_by_role("button", name="Sign in with a passkey").click()
        page.wait_for_url(base + "/")
        page.goto(base + "/account/sessions")
        assert "passkey" in page.locator("main").inner_text()
        assert problems == []
