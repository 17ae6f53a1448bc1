"""Who is customs in certreg: the inspector role. An inspector of the importing country records an expected
shipment and decides at the border (page and API); a certifying officer records but does not decide; an auditor
reads only; an inspector of another country neither records nor decides there."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from certreg.extensions import db
from certreg.shipments.models import Shipment, ShipmentStatus
from certreg.vocabulary import Role
from tests import factories
from tests.conftest import login, post_form
from tests.shipments.builders import TODAY, expect, importer_with_licence

#: role (of KZ unless another country is named) -> (answer to recording through the API, to deciding)
ROLES = {
    Role.INSPECTOR: (201, 200),
    Role.ADMIN: (201, 200),
    Role.CERTIFYING_OFFICER: (201, 403),
    Role.AUDITOR: (403, 403),
    (Role.INSPECTOR, "KG"): (422, 404),  # records in its own country only: no such importer in KG; KZ's: not seen
}


def _user(role):
    role, country = role if isinstance(role, tuple) else (role, "KZ")
    return factories.make_user(role, country)


def _body(company, number: str) -> dict:
    return {"declaration_number": number, "importer_registration": company.registration_number,
            "goods": "substance", "hs_code": "2903.71", "substance": "HCFC-22", "kg": "40",
            "import_licence": "KZ-IMP-1", "exporter_name": "Zhejiang Chem Co", "exporting_country": "CN",
            "origin_country": "CN", "transport_mode": "road", "border_post": "Khorgos",
            "expected_on": TODAY.isoformat(), "cylinder_count": "1", "cylinder_serials": "CN-9"}


def _shipments(number: str) -> int:
    return db.session.scalar(sa.select(sa.func.count(Shipment.id)).where(Shipment.declaration_number == number))


@pytest.mark.parametrize("role", list(ROLES), ids=str)
def test_recording_and_deciding_through_the_api(api, role):
    record, decide = ROLES[role]
    company = importer_with_licence()[0]
    api.token = factories.make_token(_user(role))
    made = api.post("/shipments", json=_body(company, "DT-ROLE-API"))
    assert made.status_code == record, made.get_json()
    assert _shipments("DT-ROLE-API") == (1 if record == 201 else 0)
    shipment = expect(company, declaration_number="DT-ROLE-API-2")
    db.session.commit()
    decided = api.post(f"/shipments/{shipment.id}/decision", json={"decision": "held", "reason": "Seal broken"})
    assert decided.status_code == decide
    db.session.expire_all()
    assert db.session.get(Shipment, shipment.id).status is (ShipmentStatus.HELD if decide == 200
                                                            else ShipmentStatus.EXPECTED)


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.CERTIFYING_OFFICER], ids=str)
def test_recording_and_deciding_through_the_pages(app, role):
    may_decide = ROLES[role][1] == 200
    company = importer_with_licence()[0]
    client = app.test_client()
    login(client, _user(role))
    made = post_form(client, "/shipments/new", _body(company, "DT-ROLE-WEB"), page="/shipments/new")
    assert made.status_code == 302 and _shipments("DT-ROLE-WEB") == 1
    shipment = db.session.scalar(sa.select(Shipment).where(Shipment.declaration_number == "DT-ROLE-WEB"))
    path = f"/shipments/{shipment.id}"
    decided = post_form(client, f"{path}/decision", {"decision": "refused", "reason": "No iPIC answer"}, page=path)
    assert decided.status_code == (302 if may_decide else 403)
    db.session.expire_all()
    assert db.session.get(Shipment, shipment.id).status is (ShipmentStatus.REFUSED if may_decide
                                                            else ShipmentStatus.EXPECTED)
