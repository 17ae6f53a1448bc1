"""Acceptance 1 of issue #15 for cylinder labels and licences, in headless Chromium: a Kazakh inspector
of the KZ installation, synced once, checks a cylinder label (``/c/``) and a licence (``/l/``) issued by
the KG installation with no network, from the service worker's copies of the trust list and status
lists (KG's entries marked with their origin and "as of"); KG destroys the cylinder and revokes the
licence, and after KZ's next sync both turn red on the phone."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.certificates.states import today
from certreg.cylinders import custody
from certreg.cylinders.models import Cylinder
from certreg.extensions import db
from certreg.federation import syncing
from certreg.licences import documents as licence_documents
from certreg.licences import services as licences
from certreg.licences.models import Licence
from tests.browser import CHROMIUM, CHROMIUM_ARGS, second_step
from tests.cylinders.builders import make_cylinder
from tests.factories import PASSWORD, make_company

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


def _kg_documents(kg) -> dict:
    """Two KG cylinders and two KG import licences: their tokens (the second of each is doomed)."""
    with kg.ctx():
        company = make_company(country_code="KG", activities=["importer", "dealer"])
        cylinders = [make_cylinder(company) for _ in range(2)]
        issued = []
        for number in ("KG-IMP-21", "KG-IMP-22"):
            licence = licences.issue(SYSTEM, "KG", licences.LicenceData(
                number=number, company_registration=company.registration_number, direction="import",
                scope=["HCFC-22"], cap_kg="100", valid_from=today() - timedelta(days=30),
                valid_until=today() + timedelta(days=300), issuing_authority="Ministry of Natural Resources",
                partner_countries=["KZ"]))
            issued.append(licence_documents.token_for(SYSTEM, licence))
        db.session.commit()
        return {"label": cylinders[0].token, "doomed_label": cylinders[1].token,
                "doomed_serial": cylinders[1].serial, "licence": issued[0], "doomed_licence": issued[1]}


def _online_and_synced(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('#verify[data-synced="yes"]', timeout=20_000)


def _offline(page, url: str) -> str:
    page.goto(url)
    page.wait_for_selector('#verify[data-checked="offline"]', timeout=20_000)
    return page.get_attribute("#verdict", "data-verdict")


def test_kazakh_inspector_checks_a_kyrgyz_label_and_licence_offline_and_sees_them_turn_red(world, browser):
    kg, kz = world["kg"], world["kz"]
    made = _kg_documents(kg)
    synced = _sync(kz)
    assert synced["status/cylinder-labels"] == "new" and synced["status/licences"] == "new", synced
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{kz.url}/login")
        page.fill("#email", world["inspector"])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        second_step(page, world["totp"])
        page.wait_for_url(f"{kz.url}/")
        _online_and_synced(page, f"{kz.url}/c/{made['label']}")  # the phone keeps KZ's copies of KG's lists
        context.set_offline(True)

        assert _offline(page, f"{kz.url}/c/{made['doomed_label']}") == "genuine"
        assert "verdict-ok" in page.get_attribute("#verdict", "class")
        assert made["doomed_serial"] in page.inner_text("#facts")
        line = page.inner_text("#status-as-of")
        assert "Status as of" in line and "partner installation (Kyrgyzstan)" in line, line

        assert _offline(page, f"{kz.url}/l/{made['doomed_licence']}") == "VALID"
        assert "KG-IMP-22" in page.inner_text("#facts")
        line = page.inner_text("#status-as-of")
        assert "Status as of" in line and "partner installation (Kyrgyzstan)" in line, line
        context.set_offline(False)

        with kg.ctx():  # KG destroys the cylinder and revokes the licence
            cylinder = db.session.scalar(sa.select(Cylinder).where(Cylinder.serial == made["doomed_serial"]))
            custody.destroy(SYSTEM, cylinder)
            licence = db.session.scalar(sa.select(Licence).where(Licence.number == "KG-IMP-22"))
            licences.change_status(SYSTEM, licence, "revoked", "Licence obtained with a forged contract")
            db.session.commit()
        context.set_offline(True)  # not synced yet: the phone still says what KZ last had
        assert _offline(page, f"{kz.url}/c/{made['doomed_label']}") == "genuine"
        context.set_offline(False)

        synced = _sync(kz)
        assert synced["status/cylinder-labels"] == "new" and synced["status/licences"] == "new", synced
        _online_and_synced(page, f"{kz.url}/l/{made['licence']}")
        context.set_offline(True)
        assert _offline(page, f"{kz.url}/c/{made['doomed_label']}") == "destroyed"
        assert "verdict-bad" in page.get_attribute("#verdict", "class")
        assert _offline(page, f"{kz.url}/c/{made['label']}") == "genuine"
        assert _offline(page, f"{kz.url}/l/{made['doomed_licence']}") == "REVOKED"
        assert "verdict-bad" in page.get_attribute("#verdict", "class")
        assert _offline(page, f"{kz.url}/l/{made['licence']}") == "VALID"
    finally:
        context.close()


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 - the test's own server
        return response.read().decode()


def test_online_a_peer_label_gets_its_verdict_from_the_peers_last_synced_list(world):
    """Online, the KZ page and API know a KG label by KG's label status list as KZ last synced it (not
    "unknown"), say where it came from, and turn to destroyed only after the next sync."""
    kg, kz = world["kg"], world["kz"]
    with kg.ctx():
        company = make_company(country_code="KG", activities=["importer", "dealer"])
        cylinder = make_cylinder(company)
        token, serial = cylinder.token, cylinder.serial
        db.session.commit()
    _sync(kz)
    page = _get(f"{kz.url}/c/{token}")
    assert 'data-verdict="genuine"' in page and "partner installation (Kyrgyzstan" in page
    assert serial in page
    answer = json.loads(_get(f"{kz.url}/api/v1/cylinders/check/{token}"))
    assert answer["verdict"] == "genuine" and answer["cylinder"] is None
    assert any("partner installation" in w for w in answer["warnings"])
    with kg.ctx():
        custody.destroy(SYSTEM, db.session.scalar(sa.select(Cylinder).where(Cylinder.serial == serial)))
        db.session.commit()
    assert 'data-verdict="genuine"' in _get(f"{kz.url}/c/{token}")  # not synced yet
    _sync(kz)
    page = _get(f"{kz.url}/c/{token}")
    assert 'data-verdict="destroyed"' in page and "verdict-bad" in page
    assert json.loads(_get(f"{kz.url}/api/v1/cylinders/check/{token}"))["verdict"] == "destroyed"
