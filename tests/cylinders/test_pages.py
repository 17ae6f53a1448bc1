"""Cylinder pages and the public label scan."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders import custody
from certreg.cylinders.events import FillData
from certreg.cylinders.models import ContentCondition, Cylinder, CylinderRefusal, CylinderScan, CylinderStatus
from certreg.extensions import db
from certreg.vocabulary import Role
from tests.conftest import login, post_form
from tests.cylinders.builders import make_cylinder
from tests.factories import ensure_keys, make_company, make_user


def test_register_on_the_page_then_refused_overfill_shows_its_code(client):
    ensure_keys("KG")
    owner = make_company(country_code="KG")
    login(client, make_user(Role.ADMIN, "KG"))
    response = post_form(client, "/cylinders/new", {
        "owner_company_id": owner.id, "kind": "refillable", "water_capacity_l": "26,8", "tare_kg": "13",
        "substance": "R-404A", "net_kg": "20", "condition": "virgin", "origin_country": "cn"})
    assert response.status_code == 302, response.text
    serial = response.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/cylinders/{serial}")
    assert page.status_code == 200 and "R-404A" in page.text and "20.000" in page.text
    response = post_form(client, f"/cylinders/{serial}/fill", {"substance": "R-404A", "net_kg": "2.1",
                                                                "condition": "virgin"},
                         page=f"/cylinders/{serial}")
    assert response.status_code == 422 and "would overfill" in response.text
    assert db.session.scalar(sa.select(CylinderRefusal.code).where(CylinderRefusal.serial == serial)) == "overfill"
    response = post_form(client, f"/cylinders/{serial}/fill", {"substance": "R-404A", "net_kg": "1.976",
                                                                "condition": "virgin"},
                         page=f"/cylinders/{serial}")
    assert response.status_code == 302  # 26.8 l × 0.82 = 21.976 kg: the legal neighbour


def test_scan_page_genuine_forged_and_destroyed(client):
    cylinder = make_cylinder()
    page = client.get(f"/c/{cylinder.token}")
    assert page.status_code == 200 and 'data-verdict="genuine"' in page.text and cylinder.serial in page.text
    assert 'id="warnings"' not in page.text
    forged = cylinder.token[:-4] + ("AAAA" if not cylinder.token.endswith("AAAA") else "BBBB")
    assert 'data-verdict="forged"' in client.get(f"/c/{forged}").text
    custody.destroy(Actor.system("test"), cylinder)
    db.session.flush()
    page = client.get(f"/c/{cylinder.token}")
    assert 'data-verdict="genuine"' in page.text and "destroyed" in page.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CylinderScan)
                             .where(CylinderScan.cylinder_id == cylinder.id)) == 2


def test_scan_warns_when_the_label_substance_differs(client):
    cylinder = make_cylinder()
    token = cylinder.token
    custody.charge(Actor.system("test"), cylinder, Decimal("12"))
    custody.fill(Actor.system("test"), cylinder, FillData("HFC-134a", Decimal("1")))
    db.session.execute(sa.update(Cylinder).where(Cylinder.id == cylinder.id).values(substance_code="HCFC-22"))
    db.session.flush()
    assert "The label says HFC-134a but the register says HCFC-22" in client.get(f"/c/{token}").text


def test_transfer_and_destroy_on_the_page(client):
    cylinder = make_cylinder(condition=ContentCondition.RECYCLED)
    buyer = make_company(country_code="KG")
    login(client, make_user(Role.ADMIN, "KG"))
    page = f"/cylinders/{cylinder.serial}"
    refused = post_form(client, page + "/transfer", {"to_company_id": buyer.id, "sold_as": "virgin"}, page=page)
    assert refused.status_code == 422 and "never sold as virgin" in refused.text
    assert post_form(client, page + "/transfer", {"to_company_id": buyer.id}, page=page).status_code == 302
    assert post_form(client, page + "/destroy", {"reference": "DC-1"}, page=page).status_code == 302
    assert "Destroyed" in client.get(page).text


def test_the_owner_reports_a_lent_cylinder_lost_on_the_page_after_confirming(client):
    owner = make_company(country_code="KG", activities=["importer", "dealer"])
    cylinder = make_cylinder(owner)
    custody.transfer(Actor.system("test"), cylinder, make_company(country_code="KG"))  # lent out
    login(client, make_user(Role.COMPANY_USER, "KG", company=owner))
    page = f"/cylinders/{cylinder.serial}"
    assert "Report the cylinder lost or stolen" in client.get(page).text
    unconfirmed = post_form(client, page + "/lost", {"lost-reference": "Police KG-77"}, page=page)
    assert unconfirmed.status_code == 422 and 'aria-describedby="lost-confirm-error"' in unconfirmed.text
    assert cylinder.status is not CylinderStatus.LOST
    confirmed = {"lost-reference": "Police KG-77", "lost-confirm": "y"}
    assert post_form(client, page + "/lost", confirmed, page=page).status_code == 302
    db.session.refresh(cylinder)
    assert cylinder.status is CylinderStatus.LOST and cylinder.events[-1].note == "Police KG-77"
    shown = client.get(page).text
    assert "Reported lost or stolen" in shown and "Report the cylinder lost or stolen" not in shown


def test_someone_else_cannot_report_a_cylinder_lost(client):
    cylinder = make_cylinder()
    login(client, make_user(Role.COMPANY_USER, "KG", company=make_company(country_code="KG")))
    page = f"/cylinders/{cylinder.serial}"
    assert post_form(client, page + "/lost", {"lost-reference": "x", "lost-confirm": "y"}, page="/").status_code == 404
    assert cylinder.status is not CylinderStatus.LOST


def test_a_signed_in_inspectors_scan_is_logged_with_the_inspector(client):
    cylinder = make_cylinder()
    inspector = make_user(Role.INSPECTOR, "KG")
    login(client, inspector)
    assert client.get(f"/c/{cylinder.token}").status_code == 200
    logged = db.session.scalar(sa.select(CylinderScan).where(CylinderScan.cylinder_id == cylinder.id))
    assert logged.inspector_user_id == inspector.id and logged.verdict == "genuine"
