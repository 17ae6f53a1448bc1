"""A cylinder reported lost is reported found: the service, the page, the API, the CLI, the log and the label's status.

Found, the cylinder is open again (empty, with its technician or in stock, custody as it was), a ``found`` event
is a leaf of the country's log (``flask logbook verify`` passes) and its label's status list entry is no longer
suspended. Only a lost cylinder can be found (``cylinder_not_lost``, kept as a refused attempt).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.cylinders import custody
from certreg.cylinders.models import CylinderEvent, CylinderRefusal, CylinderStatus, EventKind
from certreg.errors import Forbidden, ValidationFailed
from certreg.extensions import db
from certreg.tokens import status_list as statuslist
from certreg.tokens.keys import TrustList
from certreg.vocabulary import Role
from tests.conftest import ApiClient, login, post_form
from tests.cylinders.builders import make_cylinder
from tests.factories import make_company, make_technician, make_token, make_user

SYSTEM = Actor.system("test")


def _events(cylinder) -> list[CylinderEvent]:
    return db.session.scalars(sa.select(CylinderEvent).where(CylinderEvent.cylinder_id == cylinder.id)
                              .order_by(CylinderEvent.seq)).all()


def _lost(cylinder):
    custody.report_lost(SYSTEM, cylinder, note="Police KG-1")
    assert cylinder.status is CylinderStatus.LOST
    return cylinder


@pytest.mark.parametrize(("holder", "kg", "expected"), [
    ("company", "12", CylinderStatus.IN_STOCK),
    ("technician", "12", CylinderStatus.WITH_TECHNICIAN),
    ("company", None, CylinderStatus.EMPTY),
])
def test_found_puts_back_the_status_the_cylinder_fits_keeps_custody_and_records_the_event(holder, kg, expected):
    owner = make_company(country_code="KG", activities=["importer", "dealer"])
    cylinder = make_cylinder(owner, substance="HFC-134a" if kg else None)
    to = make_technician(country_code="KG") if holder == "technician" else make_company(country_code="KG")
    custody.transfer(SYSTEM, cylinder, to)
    _lost(cylinder)
    custodian = (cylinder.custodian_company_id, cylinder.custodian_technician_id)
    user = make_user(Role.COMPANY_USER, "KG", company=owner)  # the owner, who lent it out

    event = custody.report_found(Actor.of(user), cylinder, note="  Police KG-1: found at the depot  ")

    assert cylinder.status is expected
    assert (cylinder.custodian_company_id, cylinder.custodian_technician_id) == custodian
    assert cylinder.net_kg == Decimal(kg or "0")
    assert event.kind is EventKind.FOUND and event.note == "Police KG-1: found at the depot"
    assert event.seq is not None and event.leaf_hash is not None and event.kg == 0
    assert [e.kind for e in _events(cylinder)][-2:] == [EventKind.LOST, EventKind.FOUND]
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "cylinder.found")).all()
    assert [(a.object_id, a.actor_user_id) for a in audit] == [(cylinder.serial, user.id)]
    custody.destroy(SYSTEM, cylinder, note="DC-1")  # open again: events can be recorded on it
    assert cylinder.status is CylinderStatus.DESTROYED


@pytest.mark.parametrize("status", [CylinderStatus.IN_STOCK, CylinderStatus.SEIZED, CylinderStatus.DESTROYED])
def test_only_a_lost_cylinder_can_be_found_and_a_refusal_changes_nothing(status):
    cylinder = make_cylinder()
    if status is CylinderStatus.DESTROYED:
        custody.destroy(SYSTEM, cylinder, note="DC-1")
    elif status is CylinderStatus.SEIZED:
        cylinder.status = CylinderStatus.SEIZED  # as an inspection's seizure leaves it
        db.session.flush()
    before = len(_events(cylinder))
    with pytest.raises(ValidationFailed) as refused:
        custody.report_found(SYSTEM, cylinder, note="found")
    assert refused.value.code == "cylinder_not_lost" and "reported found" in refused.value.message
    assert [e.code for e in refused.value.fields["serial"]] == ["cylinder_not_lost"]
    assert cylinder.status is status and len(_events(cylinder)) == before


def test_a_blank_reference_is_refused():
    cylinder = _lost(make_cylinder())
    with pytest.raises(ValidationFailed) as refused:
        custody.report_found(SYSTEM, cylinder, note="   ")
    assert refused.value.code == "required"
    assert cylinder.status is CylinderStatus.LOST


def test_who_may_report_found_is_who_may_report_lost():
    owner = make_company(country_code="KG", activities=["importer", "dealer"])
    cylinder = _lost(make_cylinder(owner))
    for user in (make_user(Role.COMPANY_USER, "KG", company=make_company(country_code="KG")),
                 make_user(Role.INSPECTOR, "KG"), make_user(Role.ADMIN, "KZ")):
        with pytest.raises(Forbidden):
            custody.report_found(Actor.of(user), cylinder, note="found")
    assert cylinder.status is CylinderStatus.LOST
    custody.report_found(Actor.of(make_user(Role.CERTIFYING_OFFICER, "KG")), cylinder, note="found")
    assert cylinder.status is CylinderStatus.IN_STOCK


def test_found_by_api_with_its_codes_then_the_label_is_no_longer_suspended_and_the_log_verifies(app, client, openapi):
    cylinder = make_cylinder()
    serial, index = cylinder.serial, cylinder.status_index
    api = ApiClient(client, openapi, make_token(make_user(Role.ADMIN, "KG")))

    def label_status() -> int:
        lists = api.open("GET", "/cylinders/status-list", token=None).json["status_lists"]
        trusted = TrustList.from_jwks(client.get("/.well-known/jwks.json").json)
        return statuslist.verify_status_list_token(lists["KG"], trusted,
                                                   typ="certreg-label-statuslist+cwt").status(index)

    not_lost = api.open("POST", f"/cylinders/{serial}/found", json={"reference": "found"})
    assert not_lost.status_code == 422 and not_lost.json["error"]["code"] == "cylinder_not_lost"
    assert "serial" in not_lost.json["error"]["fields"]
    refusal = db.session.scalars(sa.select(CylinderRefusal).where(CylinderRefusal.serial == serial)).one()
    assert (refusal.kind, refusal.code) == (EventKind.FOUND, "cylinder_not_lost")  # kept, kind "found" accepted
    assert api.open("POST", f"/cylinders/{serial}/lost", json={"reference": "Police 12/7"}).status_code == 200
    assert label_status() == statuslist.STATUS_SUSPENDED

    missing = api.open("POST", f"/cylinders/{serial}/found", json={})
    assert missing.status_code == 422 and missing.json["error"]["fields"]["reference"][0]["code"] == "required"
    blank = api.open("POST", f"/cylinders/{serial}/found", json={"reference": "  "})
    assert blank.status_code == 422 and blank.json["error"]["fields"]["reference"][0]["code"] == "required"
    assert api.open("POST", "/cylinders/KG-C-999999-0/found", json={"reference": "x"}).status_code == 404
    inspector = make_token(make_user(Role.INSPECTOR, "KG"))
    assert api.open("POST", f"/cylinders/{serial}/found", json={"reference": "x"}, token=inspector).status_code == 403

    found = api.open("POST", f"/cylinders/{serial}/found", json={"reference": "Police 12/7: recovered"})
    assert found.status_code == 200, found.json
    assert found.json["status"] == "in_stock" and found.json["net_kg"] == "12.000"
    assert found.json["events"][-1]["kind"] == "found" and found.json["events"][-1]["seq"] is not None
    assert label_status() == statuslist.STATUS_VALID
    again = api.open("POST", f"/cylinders/{serial}/found", json={"reference": "again"})
    assert again.status_code == 422 and again.json["error"]["code"] == "cylinder_not_lost"
    verified = app.test_cli_runner().invoke(args=["logbook", "verify", "--country", "KG"])
    assert verified.exit_code == 0, verified.output


def test_found_by_the_cli(app):
    cylinder = make_cylinder()
    serial = cylinder.serial
    db.session.commit()  # a refusal rolls the command's work back, then keeps the attempt on the cylinder
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["cylinders", "found", serial, "--reference", "found"])
    assert refused.exit_code == 1 and "cylinder_not_lost" in refused.output, refused.output
    assert db.session.scalar(sa.select(CylinderRefusal.code).where(CylinderRefusal.serial == serial)) \
        == "cylinder_not_lost"
    assert runner.invoke(args=["cylinders", "lost", serial, "--reference", "stolen"]).exit_code == 0
    result = runner.invoke(args=["cylinders", "found", serial, "--reference", "Inspection 4/26"])
    assert result.exit_code == 0, result.output
    assert f"{serial}: reported found, now in_stock" in result.output
    db.session.refresh(cylinder)
    assert cylinder.status is CylinderStatus.IN_STOCK and _events(cylinder)[-1].kind is EventKind.FOUND
    assert _events(cylinder)[-1].note == "Inspection 4/26"
    assert runner.invoke(args=["logbook", "verify", "--country", "KG"]).exit_code == 0


def test_the_owner_reports_a_lost_cylinder_found_on_the_page_after_confirming(client):
    owner = make_company(country_code="KG", activities=["importer", "dealer"])
    cylinder = make_cylinder(owner)
    login(client, make_user(Role.COMPANY_USER, "KG", company=owner))
    page = f"/cylinders/{cylinder.serial}"
    assert "Report the cylinder found" not in client.get(page).text  # not lost: no form
    assert post_form(client, page + "/lost", {"lost-reference": "Police KG-77", "lost-confirm": "y"},
                     page=page).status_code == 302
    shown = client.get(page).text
    assert "Report the cylinder found" in shown and "Report the cylinder lost or stolen" not in shown

    unconfirmed = post_form(client, page + "/found", {"found-reference": "Police KG-77"}, page=page)
    assert unconfirmed.status_code == 422 and 'aria-describedby="found-confirm-error"' in unconfirmed.text
    no_reference = post_form(client, page + "/found", {"found-confirm": "y"}, page=page)
    assert no_reference.status_code == 422 and 'aria-describedby="found-reference-error"' in no_reference.text
    db.session.refresh(cylinder)
    assert cylinder.status is CylinderStatus.LOST

    confirmed = {"found-reference": "Police KG-77: returned", "found-confirm": "y"}
    assert post_form(client, page + "/found", confirmed, page=page).status_code == 302
    db.session.refresh(cylinder)
    assert cylinder.status is CylinderStatus.IN_STOCK and cylinder.events[-1].note == "Police KG-77: returned"
    shown = client.get(page).text
    assert "Reported found" in shown and "Report the cylinder found" not in shown
    assert "Report the cylinder lost or stolen" in shown


def test_a_refused_found_on_the_page_shows_why(client):
    cylinder = make_cylinder()
    page = f"/cylinders/{cylinder.serial}"
    login(client, make_user(Role.ADMIN, "KG"))
    refused = post_form(client, page + "/found", {"found-reference": "x", "found-confirm": "y"}, page=page)
    assert refused.status_code == 422 and "can be reported found" in refused.text
    assert cylinder.status is CylinderStatus.IN_STOCK


def test_someone_else_cannot_report_a_cylinder_found(client):
    cylinder = _lost(make_cylinder())
    page = f"/cylinders/{cylinder.serial}"
    login(client, make_user(Role.COMPANY_USER, "KG", company=make_company(country_code="KG")))
    stranger = post_form(client, page + "/found", {"found-reference": "x", "found-confirm": "y"}, page="/")
    assert stranger.status_code == 404
    assert cylinder.status is CylinderStatus.LOST
