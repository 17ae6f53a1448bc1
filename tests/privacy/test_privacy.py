"""Personal data: every view of national ID numbers and dates of birth is logged; subject-access export."""

from __future__ import annotations

import json

import sqlalchemy as sa

from certreg.audit.models import PersonalDataAccess
from certreg.extensions import db
from tests.conftest import login
from tests.factories import make_technician, make_token, make_user


def views_of(technician) -> list[PersonalDataAccess]:
    return list(db.session.scalars(sa.select(PersonalDataAccess).where(
        PersonalDataAccess.technician_id == technician.id).order_by(PersonalDataAccess.id)))


def test_page_list_and_api_views_are_logged_with_who_and_where(app, client, api):
    technician = make_technician(country_code="KG")
    inspector = make_user("inspector")
    login(client, inspector)
    assert technician.national_id in client.get(f"/registry/technicians/{technician.id}").get_data(as_text=True)
    client.get("/registry/technicians")
    token = make_token(inspector)
    assert api.get(f"/technicians/{technician.id}", token=token).get_json()["national_id"] == technician.national_id
    api.get("/technicians", token=token)
    logged = views_of(technician)
    assert [(v.surface, v.viewer_label) for v in logged] == [("web", inspector.email)] * 2 + [
        ("api", inspector.email)] * 2
    assert logged[0].what == "national_id,date_of_birth" and logged[0].viewer_user_id == inspector.id


def test_the_person_seeing_their_own_record_is_not_logged(client):
    technician = make_technician(country_code="KG")
    login(client, make_user("technician", technician=technician))
    client.get(f"/registry/technicians/{technician.id}")
    assert views_of(technician) == []


def test_subject_access_export_holds_the_record_and_who_viewed_it(app, client):
    technician = make_technician(country_code="KG")
    make_user("technician", technician=technician)
    inspector = make_user("inspector")
    viewer = app.test_client()
    login(viewer, inspector)
    viewer.get(f"/registry/technicians/{technician.id}")
    admin = make_user("admin")
    login(client, admin)
    response = client.get(f"/admin/privacy/technicians/{technician.id}/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["format"] == "certreg-subject-access/1"
    assert data["technician"]["national_id"] == technician.national_id
    assert data["personal_data_viewed_by"][0]["viewer"] == inspector.email
    assert len(data["accounts"]) == 1 and data["accounts"][0]["role"] == "technician"
    from certreg.audit.models import AuditEntry

    assert db.session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "personal_data.export"


def test_account_export_lists_sign_ins(client):
    admin = make_user("admin")
    login(client, admin)
    data = client.get(f"/admin/privacy/users/{admin.id}/export").get_json()
    assert data["account"]["email"] == admin.email and data["account"]["sign_ins"][0]["second_factor"] == "totp"


def test_privacy_notice_is_public_and_states_the_retention(app, client):
    page = client.get("/privacy").get_data(as_text=True)
    assert f"kept {app.config['SIGN_IN_HISTORY_DAYS']} days" in page
    assert f"Kept {app.config['SCAN_LOG_DAYS']} days" in page
    assert 'href="/privacy"' in client.get("/login").get_data(as_text=True)
