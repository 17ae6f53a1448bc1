"""Acceptance 1 and 4 of issue #15 in headless Chromium: a Kazakh inspector of the KZ installation,
synced once, verifies a certificate of the KG installation with no network, sees where it came
from and how old the data is; a revocation at KG turns red after KZ's next sync; with KG down,
offline verification still works from the last copy."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.certificates import lifecycle
from certreg.certificates.models import Certificate
from certreg.extensions import db
from certreg.federation import syncing
from tests.browser import CHROMIUM, CHROMIUM_ARGS, second_step
from tests.factories import PASSWORD

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.live, pytest.mark.browser, pytest.mark.xdist_group("federation")]
SYSTEM = Actor.system("test")


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _sync(installation) -> dict:
    with installation.ctx():
        result = syncing.sync_all(SYSTEM)[0]
        db.session.commit()
        return result.results


def _online_and_synced(page, url: str) -> str:
    page.goto(url)
    page.wait_for_selector('#verify[data-synced="yes"]', timeout=20_000)
    return page.get_attribute("#verdict", "data-verdict")


def _offline(page, url: str) -> str:
    page.goto(url)
    page.wait_for_selector('#verify[data-checked="offline"]', timeout=20_000)
    return page.get_attribute("#verdict", "data-verdict")


def test_kazakh_inspector_verifies_a_kyrgyz_installation_certificate_offline(world, browser):
    kg, kz, proxy = world["kg"], world["kz"], world["proxy"]
    assert set(_sync(kz).values()) == {"new"}
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{kz.url}/login")
        page.fill("#email", world["inspector"])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        second_step(page, world["totp"])
        page.wait_for_url(f"{kz.url}/")
        # One online visit (a KG certificate, verified by KZ's server from its synced copy) ...
        assert _online_and_synced(page, f"{kz.url}/v/{world['valid']}") == "VALID"
        context.set_offline(True)
        # ... then, with no network, another KG certificate is checked in the browser.
        assert _offline(page, f"{kz.url}/v/{world['doomed']}") == "VALID"
        line = page.inner_text("#status-as-of")
        assert "Status as of" in line and "partner installation (Kyrgyzstan)" in line, line
        assert "Osmonov Bolot" in page.inner_text("#facts")
        context.set_offline(False)

        with kg.ctx():  # KG revokes; KZ syncs; the phone refreshes its copy on its next online visit
            cert = db.session.scalar(sa.select(Certificate).where(Certificate.number == world["doomed_number"]))
            lifecycle.revoke(SYSTEM, cert, "Training certificate was forged")
            db.session.commit()
        assert _sync(kz)["status/certificates"] == "new"
        assert _online_and_synced(page, f"{kz.url}/v/{world['valid']}") == "VALID"
        context.set_offline(True)
        assert _offline(page, f"{kz.url}/v/{world['doomed']}") == "REVOKED"
        assert "verdict-bad" in page.get_attribute("#verdict", "class")
        context.set_offline(False)

        proxy.stop()  # KG is down: KZ's sync gets no answer, and its verifiers keep the last copy
        try:
            assert set(_sync(kz).values()) == {"no answer"}
            assert _online_and_synced(page, f"{kz.url}/v/{world['doomed']}") == "REVOKED"
            context.set_offline(True)
            assert _offline(page, f"{kz.url}/v/{world['valid']}") == "VALID"
            assert "partner installation (Kyrgyzstan)" in page.inner_text("#status-as-of")
        finally:
            proxy.start()
    finally:
        context.close()
