"""The shipment pages: announce, the border check screen, the decision, the importer's receipt; iPIC."""

from __future__ import annotations

from decimal import Decimal

from certreg.actors import Actor
from certreg.extensions import db
from certreg.shipments import ipic
from certreg.shipments.models import IpicQuestion, Shipment, ShipmentStatus
from certreg.vocabulary import Role
from tests import factories
from tests.conftest import login, post_form
from tests.shipments.builders import TODAY, expect, importer_with_licence


def _as(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _form(company, **changes):
    data = {"declaration_number": "DT-WEB-1", "importer_registration": company.registration_number,
            "goods": "substance", "hs_code": "2903.71", "substance": "HCFC-22", "kg": "40",
            "import_licence": "KZ-IMP-1", "exporter_name": "Zhejiang Chem Co", "exporting_country": "CN",
            "origin_country": "CN", "transport_mode": "road", "border_post": "Khorgos",
            "expected_on": TODAY.isoformat(), "cylinder_count": "1", "cylinder_serials": "CN-9"}
    data.update(changes)
    return data


def test_the_importer_announces_and_confirms_customs_checks_and_releases(app):
    company = importer_with_licence()[0]
    importer = factories.make_user(Role.COMPANY_USER, "KZ", company=company)
    inspector = factories.make_user(Role.INSPECTOR, "KZ")
    cn_admin = factories.make_user(Role.ADMIN, "CN")
    client = _as(app, importer)
    assert client.get("/shipments/new").status_code == 200
    refused = post_form(client, "/shipments/new", _form(company, hs_code="3827.31"), page="/shipments/new")
    assert refused.status_code == 422
    assert "2903.71" in refused.get_data(as_text=True)  # the expected subheading, on the field
    made = post_form(client, "/shipments/new", _form(company), page="/shipments/new")
    assert made.status_code == 302
    shipment = db.session.query(Shipment).filter_by(declaration_number="DT-WEB-1").one()

    client = _as(app, inspector)
    page = client.get(f"/shipments/{shipment.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "ipic_not_confirmed" in text and "verdict-bad" in text
    assert '<option selected value="held">' in text  # the suggested decision: hold until the exporting country confirms
    path = f"/shipments/{shipment.id}"
    release = post_form(client, f"{path}/decision", {"decision": "released"}, page=path)
    assert release.status_code == 422 and "ipic_not_confirmed" in release.get_data(as_text=True)
    assert db.session.get(Shipment, shipment.id).status is ShipmentStatus.EXPECTED

    client = _as(app, cn_admin)
    assert client.get("/ipic").status_code == 200
    asked = post_form(client, "/ipic", {"answering_country": "KZ", "importer_registration":
                                        company.registration_number, "substance": "HCFC-22", "kg": "100"},
                      page="/ipic")
    assert asked.status_code == 302
    question = db.session.query(IpicQuestion).one()
    shown = client.get(f"/ipic/{question.id}").get_data(as_text=True)
    assert "KZ-IMP-1" in shown and question.answer_token in shown

    client = _as(app, inspector)
    checked = client.get(path).get_data(as_text=True)
    assert "verdict-ok" in checked
    assert f'href="/ipic/{question.id}"' in checked and "iPIC answer: 100.000 kg, licence KZ-IMP-1" in checked
    assert post_form(client, f"{path}/decision", {"decision": "released"}, page=path).status_code == 302
    db.session.expire_all()
    assert db.session.get(Shipment, shipment.id).entry_id is not None

    client = _as(app, importer)
    assert post_form(client, f"{path}/receipt", {"answer": "dispute"}, page=path).status_code == 422
    assert post_form(client, f"{path}/receipt", {"answer": "confirm"}, page=path).status_code == 302
    db.session.expire_all()
    assert db.session.get(Shipment, shipment.id).receipt.value == "confirmed"
    assert "DT-WEB-1" in client.get("/shipments").get_data(as_text=True)


def test_a_refusal_at_the_border_needs_its_reason(app):
    company = importer_with_licence()[0]
    shipment = expect(company, import_licence="ANY-STRING-AT-ALL")
    db.session.commit()
    client = _as(app, factories.make_user(Role.INSPECTOR, "KZ"))
    path = f"/shipments/{shipment.id}"
    text = client.get(path).get_data(as_text=True)
    assert "licence_unknown" in text and "verdict-bad" in text
    assert post_form(client, f"{path}/decision", {"decision": "refused"}, page=path).status_code == 422
    assert post_form(client, f"{path}/decision", {"decision": "refused", "reason": "No licence"},
                     page=path).status_code == 302
    db.session.expire_all()
    assert db.session.get(Shipment, shipment.id).status is ShipmentStatus.REFUSED


def test_the_border_screen_checks_the_licence_cap_in_odp_tonnes(app):
    """40 kg of HCFC-22 are 0.0022 ODP tonnes: refused under a cap of 0.0021, released under 0.0022."""
    company, licence = importer_with_licence()
    licence.cap_odp_t = Decimal("0.0022")
    shipment = expect(company)
    ipic.ask(Actor.system("tests"), "CN", "KZ", company.registration_number, "HCFC-22", "40")
    licence.cap_odp_t = Decimal("0.0021")  # lowered after the iPIC answer: the border sees the cap of today
    db.session.commit()
    client = _as(app, factories.make_user(Role.INSPECTOR, "KZ"))
    path = f"/shipments/{shipment.id}"
    text = client.get(path).get_data(as_text=True)
    assert "licence_cap_odp_exceeded" in text and "verdict-bad" in text
    release = post_form(client, f"{path}/decision", {"decision": "released"}, page=path)
    assert release.status_code == 422 and "licence_cap_odp_exceeded" in release.get_data(as_text=True)
    licence.cap_odp_t = Decimal("0.0022")
    db.session.commit()
    assert "licence_cap_odp_exceeded" not in client.get(path).get_data(as_text=True)
    assert post_form(client, f"{path}/decision", {"decision": "released"}, page=path).status_code == 302
    db.session.expire_all()
    assert db.session.get(Shipment, shipment.id).entry_id is not None


def test_the_home_page_of_border_officials_leads_to_the_shipments(app):
    home = _as(app, factories.make_user(Role.INSPECTOR, "KZ")).get("/").get_data(as_text=True)
    assert "Shipments at the border" in home and 'href="/ipic"' in home
    other = _as(app, factories.make_user(Role.CERTIFYING_OFFICER, "KZ")).get("/").get_data(as_text=True)
    assert "Shipments at the border" not in other
