"""Issue #15, acceptance 2 (seizure alerts): two real installations (KG and KZ, :mod:`tests.federation.conftest`).

KZ's inspectors seize a KG cylinder at the Khorgos border post: KZ sends a signed ``seizure-alert`` to KG's
installation, which stores it once and ranks it in its ministry's anomaly list (``seizure_abroad``, against
the cylinder's holder) and its API. With KG down the alert waits, pending, and goes at the next ``flask
federation sync``, exactly once. A forged or unsigned alert is refused and nothing is stored.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.db import today
from certreg.extensions import db
from certreg.federation import questions, syncing, wire
from certreg.federation.models import Direction, FederationMessage, OutboxState, OutgoingQuestion, Peer, PeerStatus
from certreg.inspections import seizures
from certreg.inspections.models import SeizureAlert
from certreg.logbook.models import Logbook
from certreg.reports import services as reports
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyKind
from certreg.tokens import keys as signing_keys
from certreg.vocabulary import Role
from tests.cylinders.builders import make_cylinder
from tests.factories import PASSWORD, make_company, make_token, make_user, totp_code
from tests.federation.installations import Installation
from tests.inspections.builders import border_post, inspector, start

pytestmark = [pytest.mark.live, pytest.mark.xdist_group("federation")]
SYSTEM = Actor.system("test")


def _period() -> Period:
    return Period(today() - timedelta(days=7), today())


@pytest.fixture(scope="module")
def peered(world):
    """Both sides synced: KG must know KZ's countries to accept KZ's alerts, KZ KG's to send them."""
    for side in (world["kz"], world["kg"]):
        with side.ctx():
            assert syncing.sync_all(SYSTEM)[0].ok
            db.session.commit()
    with world["kg"].ctx():
        admin = make_user(Role.ADMIN, "KG")
        world["kg_admin"], world["kg_token"] = admin.email, make_token(admin)
        db.session.commit()
    return world


def _kg_cylinder(kg: Installation) -> tuple[str, int]:
    """A KG company's cylinder: its national serial and the company's logbook."""
    with kg.ctx():
        company = make_company(country_code="KG", activities=["importer", "dealer"], legal_name="Salkyn Gaz LLC")
        cylinder = make_cylinder(company)
        serial, company_id = cylinder.serial, company.id
        db.session.commit()
    return serial, company_id


def _seize(kz: Installation, serial: str, kg: str = "12.5") -> str:
    """A KZ inspector seizes the cylinder at the Khorgos border post; the seizure's reference."""
    with kz.ctx():
        actor = inspector("KZ")
        post = border_post("KZ")
        inspection = start(actor, place_kind="border_post", border_post=post.code, place="", foreign_country="KG")
        seizures.decide(actor, inspection, seizures.DecisionData(
            decision="seizure", storage_place="Khorgos customs warehouse",
            goods=[seizures.GoodsData("HFC-134a", kg, 1, [serial])]))
        db.session.commit()
        return f"KZ-SZ-{seizures.seizure_of(inspection).id}"


def _outbox(kz: Installation, reference: str) -> OutgoingQuestion:
    with kz.ctx():
        row = db.session.scalar(sa.select(OutgoingQuestion).where(OutgoingQuestion.reference == reference))
        db.session.expunge(row)
        return row


def _alerts(kg: Installation, reference: str) -> list[SeizureAlert]:
    with kg.ctx():
        rows = list(db.session.scalars(sa.select(SeizureAlert).where(SeizureAlert.reference == reference)))
        for row in rows:
            db.session.expunge(row)
        return rows


def login(client, email: str) -> None:
    """Sign in on an installation of these tests (no CSRF tokens there), with the second factor if asked."""
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    if response.headers["Location"].endswith("/login/code"):
        assert client.post("/login/code", data={"code": totp_code(email)}).status_code == 302


def _api(kg: Installation, token: str, path: str):
    request = urllib.request.Request(f"{kg.url}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the test's own server
        return json.loads(response.read())


def test_a_seizure_of_a_kg_cylinder_in_kz_appears_in_kgs_anomaly_list(peered):
    kg, kz = peered["kg"], peered["kz"]
    serial, company_id = _kg_cylinder(kg)
    reference = _seize(kz, serial)
    sent = _outbox(kz, reference)
    assert sent.state is OutboxState.SENT and sent.attempts == 1 and sent.answer["duplicate"] is False
    assert sent.body["seizing_country"] == "KZ" and sent.body["origin_country"] == "KG"
    assert sent.body["place"] == "Khorgos border post (KHORGOS)"
    [alert] = _alerts(kg, reference)
    with kg.ctx():
        logbook = db.session.scalar(sa.select(Logbook.id).where(Logbook.company_id == company_id))
        found = reports.anomalies(SYSTEM, "KG", _period(), kinds=[AnomalyKind.SEIZURE_ABROAD])
        audited = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "seizure_alert.receive", AuditEntry.country_code == "KG"))
        incoming = db.session.scalar(sa.select(sa.func.count()).select_from(FederationMessage).where(
            FederationMessage.direction == Direction.IN, FederationMessage.kind == "seizure-alert"))
    assert alert.logbook_id == logbook and alert.serials == [serial] and alert.seizing_country == "KZ"
    assert [(a.logbook_id, a.facts["count"], a.facts["kg"]) for a in found] == [(logbook, 1, "12.500")]
    assert found[0].holder.name == "Salkyn Gaz LLC" and audited == 1 and incoming == 1
    with kz.ctx():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "seizure_alert.send", AuditEntry.country_code == "KZ")) == 1
    # the ministry's API: the ranked list and the alerts
    period = _period()
    listed = _api(kg, peered["kg_token"], f"/api/v1/reports/anomalies?date_from={period.date_from}"
                                          f"&date_to={period.date_to}&kind=seizure_abroad")
    assert [(item["kind"], item["score"]) for item in listed["items"]] == [("seizure_abroad", str(found[0].score))]
    received = _api(kg, peered["kg_token"], "/api/v1/federation/alerts")
    assert [(a["reference"], a["from"], a["place"], a["serials"]) for a in received["alerts"]] == [
        (reference, "Kazakhstan", "Khorgos border post (KHORGOS)", [serial])]
    # the page: who seized what where
    with kg.app.test_client() as client:
        login(client, peered["kg_admin"])
        page = client.get(f"/reports/anomalies?date_from={period.date_from}&date_to={period.date_to}")
        text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-kind="seizure_abroad"' in text
    assert "KZ seized 12.5 kg of HFC-134a at Khorgos border post (KHORGOS)" in text and serial in text


def test_with_kg_down_the_alert_waits_and_goes_once_at_the_next_sync(peered):
    kg, kz, proxy = peered["kg"], peered["kz"], peered["proxy"]
    serial, _company = _kg_cylinder(kg)
    proxy.stop()
    try:
        reference = _seize(kz, serial, kg="3")
    finally:
        proxy.start()
    pending = _outbox(kz, reference)
    assert pending.state is OutboxState.PENDING and pending.attempts == 1 and "No answer from" in pending.last_error
    assert _alerts(kg, reference) == []
    result = kz.app.test_cli_runner().invoke(args=["federation", "sync"])
    assert result.exit_code == 0, result.output
    assert f"alert {reference}\tsent" in result.output
    assert _outbox(kz, reference).state is OutboxState.SENT
    assert len(_alerts(kg, reference)) == 1
    again = kz.app.test_cli_runner().invoke(args=["federation", "send-alerts"])
    assert again.exit_code == 0 and again.output == ""  # nothing pending any more
    with kz.ctx():  # even sent twice (its answer lost), KG keeps it once
        db.session.execute(sa.update(OutgoingQuestion).where(OutgoingQuestion.reference == reference)
                           .values(state=OutboxState.PENDING))
        db.session.commit()
    repeat = kz.app.test_cli_runner().invoke(args=["federation", "send-alerts"])
    assert repeat.exit_code == 0 and f"alert {reference}\tsent" in repeat.output
    assert _outbox(kz, reference).answer["duplicate"] is True
    assert len(_alerts(kg, reference)) == 1
    listed = kz.app.test_cli_runner().invoke(args=["federation", "alerts", "--sent"])
    assert f"{reference}\t" in listed.output and "\tsent\t3\t" in listed.output
    shown = kg.app.test_cli_runner().invoke(args=["federation", "alerts", "--country", "kg"])
    assert reference in shown.output and serial in shown.output


def _post(kg: Installation, raw: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{kg.url}/.well-known/certreg/ask", data=raw, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _body(serial: str, reference: str, seizing: str = "KZ") -> dict:
    return {"reference": reference, "seizing_country": seizing, "seized_on": today().isoformat(),
            "place": "Khorgos", "origin_country": "KG",
            "goods": [{"substance": "CFC-12", "kg": "500", "cylinders": 40, "serials": [serial]}]}


def test_a_forged_or_unsigned_alert_is_refused_and_nothing_is_stored(peered):
    kg, kz = peered["kg"], peered["kz"]
    serial, _company = _kg_cylinder(kg)
    intruder = signing_keys.generate_key()
    forged = wire.sign_message(intruder, wire.Message(wire.QUESTION, "seizure-alert", os.urandom(16),
                                                      int(time.time()), kz.public_url, kg.public_url,
                                                      _body(serial, "KZ-SZ-FORGED")))
    status, answer = _post(kg, forged)
    assert status == 403 and b"unpinned-key" in answer
    status, answer = _post(kg, json.dumps(_body(serial, "KZ-SZ-UNSIGNED")).encode())
    assert status == 400 and b"malformed" in answer
    assert _alerts(kg, "KZ-SZ-FORGED") == [] and _alerts(kg, "KZ-SZ-UNSIGNED") == []
    # signed by KZ, but a seizure by a country that is not KZ's: answered with an error, not stored
    with kz.ctx():
        peer_id = db.session.scalar(sa.select(Peer.id))
        asked = questions.ask(SYSTEM, peer_id, "seizure-alert", _body(serial, "CN-SZ-1", seizing="CN"))
        db.session.commit()
    assert asked.answered and asked.answer == {"error": "not-the-peers-country"}
    assert _alerts(kg, "CN-SZ-1") == []
    # the ministry sees the forged one among the refusals on its peers page
    with kg.app.test_client() as client:
        login(client, peered["kg_admin"])
        page = client.get("/federation/peers").get_data(as_text=True)
    assert 'data-refusal="unpinned-key"' in page and "Kazakhstan" in page


def test_the_peers_page_sync_and_the_api_sync_send_what_was_pending(peered):
    """"Sync now" on the peers page (and its API) sends the alerts still pending for that peer, once it answers."""
    kg, kz, proxy = peered["kg"], peered["kz"], peered["proxy"]
    with kz.ctx():
        admin = make_user(Role.ADMIN, "KZ")
        email, token = admin.email, make_token(admin)
        peer_id = db.session.scalar(sa.select(Peer.id).where(Peer.status == PeerStatus.ACTIVE))
        db.session.commit()
    references = []
    for _round in range(2):
        serial, _company = _kg_cylinder(kg)
        proxy.stop()
        try:
            references.append(_seize(kz, serial, kg="2"))
        finally:
            proxy.start()
        assert _outbox(kz, references[-1]).state is OutboxState.PENDING
    with kz.app.test_client() as client:
        login(client, email)
        page = client.post(f"/federation/peers/{peer_id}/sync", follow_redirects=True)
        assert page.status_code == 200
        assert "Seizure alerts sent: 2 of 2." in page.get_data(as_text=True)
    assert all(_outbox(kz, reference).state is OutboxState.SENT for reference in references)
    assert all(len(_alerts(kg, reference)) == 1 for reference in references)
    serial, _company = _kg_cylinder(kg)
    proxy.stop()
    try:
        reference = _seize(kz, serial, kg="1")
    finally:
        proxy.start()
    request = urllib.request.Request(f"{kz.url}/api/v1/federation/peers/{peer_id}/sync", method="POST", data=b"",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - the test's own server
        answer = json.loads(response.read())
    assert answer["ok"] is True and answer["alerts"] == [{"reference": reference, "state": "sent"}]
    assert len(_alerts(kg, reference)) == 1
