"""Notices: collected once per subject and recipient, sent by `flask notify send` through a real SMTP
server, kept when the server is down, in each recipient's language."""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.certificates import lifecycle as certificates
from certreg.extensions import db
from certreg.logbook import queries, recording, transfers
from certreg.notices import collect
from certreg.notify.models import NoticeKind, OutboxMessage
from tests.factories import make_certificate, make_company, make_technician, make_token, make_user
from tests.live import free_port
from tests.logbook.conftest import People, certify, entry_data
from tests.mailserver import body, smtp_server

TODAY = date.today()


@pytest.fixture
def holder_and_employer():
    company = make_company(country_code="KG")
    technician = make_technician(employer=company)
    tech_user = make_user("technician", technician=technician)
    office = make_user("company_user", company=company)
    office.locale = "ru"
    db.session.commit()
    return technician, tech_user, office


def use_smtp(app, monkeypatch, port: int) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)


def outbox(kind: NoticeKind | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def test_expiring_certificate_is_told_to_holder_and_employer_once_each_in_their_language(holder_and_employer):
    technician, tech_user, office = holder_and_employer
    make_certificate(technician, valid_from=TODAY - timedelta(days=300), valid_until=TODAY + timedelta(days=20))
    assert collect.collect() == 2
    assert collect.collect() == 0  # again: nothing new
    notices = outbox(NoticeKind.CERTIFICATE_EXPIRING)
    assert {n.to_address for n in notices} == {tech_user.email, office.email}
    by_address = {n.to_address: n for n in notices}
    assert "expires in 20 days" in by_address[tech_user.email].subject
    assert "истекает через 20" in by_address[office.email].subject
    assert all(n.key.split(":")[2] == "30" for n in notices)  # the nearest threshold only
    # three weeks later it is 7 days or fewer: a new notice per recipient
    assert collect.collect(TODAY + timedelta(days=14)) == 2


def test_switched_off_notices_are_not_queued(holder_and_employer):
    from certreg.notify.outbox import set_preferences

    technician, tech_user, office = holder_and_employer
    set_preferences(Actor.of(tech_user), tech_user, set())
    make_certificate(technician, valid_from=TODAY - timedelta(days=300), valid_until=TODAY + timedelta(days=5))
    collect.collect()
    assert [n.to_address for n in outbox()] == [office.email]


def test_suspension_and_revocation_are_told(holder_and_employer):
    technician, tech_user, office = holder_and_employer
    cert = make_certificate(technician)
    certificates.revoke(Actor.system("tests"), cert, "Forged training record")
    db.session.commit()
    assert collect.collect() == 2
    notice = next(n for n in outbox(NoticeKind.CERTIFICATE_STATUS) if n.to_address == tech_user.email)
    assert notice.subject == f"Certificate {cert.number} was revoked"
    assert "Forged training record" in notice.body


def test_transfers_awaiting_confirmation_and_disputed_are_told():
    people = People()
    recording.record_entry(people.dealer_actor, people.dealer, entry_data("import", substance="R-404A"))
    cert = certify(people.kz_tech_record)
    sale = recording.record_entry(people.dealer_actor, people.dealer, entry_data(
        "sale", substance="R-404A", quantity=Decimal("3"), buyer_certificate=cert.number))
    db.session.commit()
    collect.collect()
    [pending] = outbox(NoticeKind.TRANSFER_PENDING)
    assert pending.to_address == people.kz_tech_user.email and "3.000 kg of R-404A" in pending.body
    transfers.dispute_transfer(people.kz_tech_actor, queries.transfer_of(sale).id, "I took none")
    db.session.commit()
    collect.collect()
    [disputed] = outbox(NoticeKind.TRANSFER_DISPUTED)
    assert disputed.to_address == people.dealer_user.email and "I took none" in disputed.body


def test_notify_send_twice_sends_each_notice_once(app, monkeypatch, holder_and_employer):
    technician, tech_user, office = holder_and_employer
    make_certificate(technician, valid_from=TODAY - timedelta(days=300), valid_until=TODAY + timedelta(days=50))
    runner = app.test_cli_runner()
    with smtp_server() as (port, inbox):
        use_smtp(app, monkeypatch, port)
        first = runner.invoke(args=["notify", "send"])
        assert first.exit_code == 0, first.output
        assert "2 notice(s) queued, 2 sent" in first.output
        second = runner.invoke(args=["notify", "send"])
        assert second.exit_code == 0 and "0 notice(s) queued, 0 sent" in second.output
    assert sorted(m["To"] for m in inbox.messages) == sorted([tech_user.email, office.email])
    russian = inbox.to(office.email)[0]
    assert "истекает через 50" in russian["Subject"] and "действует до" in body(russian)


def test_with_the_smtp_server_down_notices_wait_and_the_command_fails_clearly(app, monkeypatch, holder_and_employer):
    technician, _tech_user, _office = holder_and_employer
    make_certificate(technician, valid_from=TODAY - timedelta(days=300), valid_until=TODAY + timedelta(days=50))
    runner = app.test_cli_runner()
    use_smtp(app, monkeypatch, free_port())  # nothing listens there
    down = runner.invoke(args=["notify", "send"])
    assert down.exit_code == 1
    assert "mail server unavailable, nothing sent; the notices wait for the next run" in down.output
    assert all(n.sent_at is None and n.attempts == 1 and n.last_error for n in outbox())
    with smtp_server() as (port, inbox):
        use_smtp(app, monkeypatch, port)
        up = runner.invoke(args=["notify", "send"])
        assert up.exit_code == 0 and "2 sent" in up.output, up.output
    assert len(inbox.messages) == 2
    assert all(n.sent_at is not None for n in outbox())


def test_without_a_mail_server_mail_is_printed(app, monkeypatch, holder_and_employer, capsys):
    technician, tech_user, _office = holder_and_employer
    make_certificate(technician, valid_from=TODAY - timedelta(days=300), valid_until=TODAY + timedelta(days=50))
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0 and "2 sent" in result.output
    assert f"To: {tech_user.email}" in result.output


def test_privacy_purge_deletes_what_is_past_retention(app, client):
    from certreg.auth.models import SignInEvent
    from certreg.db import utcnow
    from tests.conftest import login

    user = make_user("technician")
    login(client, user)
    old = SignInEvent(user_id=user.id, at=utcnow() - timedelta(days=app.config["SIGN_IN_HISTORY_DAYS"] + 1))
    db.session.add(old)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0 and "sign_in_history: 1 deleted" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInEvent)) == 1


def test_a_suspension_made_on_the_page_is_queued_and_mailed_right_after_the_request(app, client, monkeypatch,
                                                                                  holder_and_employer):
    from tests.conftest import login, post_form

    technician, tech_user, office = holder_and_employer
    cert = make_certificate(technician)
    officer = make_user("certifying_officer", country_code="KG")
    login(client, officer)
    with smtp_server() as (port, inbox):
        use_smtp(app, monkeypatch, port)
        monkeypatch.setitem(app.config, "MAIL_SEND_AFTER_REQUEST", True)
        response = post_form(client, f"/certificates/{cert.number}/suspend", {"reason": "Under investigation"})
        assert response.status_code in (302, 303), response.data[:500]
        notices = outbox(NoticeKind.CERTIFICATE_STATUS)  # queued by the request, no `flask notify send`
        assert {n.to_address for n in notices} == {tech_user.email, office.email}
        response.close()  # the mail goes out once the response is done
        db.session.expire_all()
        assert all(n.sent_at is not None for n in outbox(NoticeKind.CERTIFICATE_STATUS))
        for _ in range(50):  # the aiosmtpd thread files what it received
            if len(inbox.messages) == 2:
                break
            time.sleep(0.05)
        assert sorted(m["To"] for m in inbox.messages) == sorted([tech_user.email, office.email])
    assert collect.collect() == 0  # the next run finds them already told


def test_a_refused_request_queues_nothing(client, holder_and_employer):
    from tests.conftest import login, post_form

    technician, _tech_user, _office = holder_and_employer
    cert = make_certificate(technician)
    login(client, make_user("certifying_officer", country_code="KG"))
    assert post_form(client, f"/certificates/{cert.number}/suspend", {"reason": ""}).status_code == 422
    assert outbox(NoticeKind.CERTIFICATE_STATUS) == []


def test_a_sale_awaiting_confirmation_is_queued_by_the_request_that_records_it(api):
    people = People()
    recording.record_entry(people.dealer_actor, people.dealer, entry_data("import", substance="R-404A"))
    cert = certify(people.kz_tech_record)
    db.session.commit()
    sale = recording.record_entry(people.dealer_actor, people.dealer, entry_data(
        "sale", substance="R-404A", quantity=Decimal("2"), buyer_certificate=cert.number))
    db.session.commit()
    assert outbox(NoticeKind.TRANSFER_PENDING) == []  # outside a request: left for `flask notify send`
    api.token = make_token(people.kz_tech_user)
    response = api.post(f"/logbook/transfers/{queries.transfer_of(sale).id}/dispute", json={"reason": "Never came"})
    assert response.status_code == 200, response.json
    [disputed] = outbox(NoticeKind.TRANSFER_DISPUTED)
    assert disputed.to_address == people.dealer_user.email


def test_a_shipment_announced_on_the_page_is_told_to_the_countrys_inspectors_once(app):
    """A shipment awaiting the border decision: queued by the request that announced it, to the importing
    country's inspectors only; `flask notify send` finds nothing more to queue."""
    from tests.conftest import login, post_form
    from tests.shipments.builders import TODAY, importer_with_licence

    company = importer_with_licence()[0]
    importer = make_user("company_user", "KZ", company=company)
    kz_inspector, kg_inspector = make_user("inspector", "KZ"), make_user("inspector", "KG")
    kz_inspector.locale = "ru"
    db.session.commit()
    client = app.test_client()
    login(client, importer)
    made = post_form(client, "/shipments/new", {
        "declaration_number": "DT-NOTICE-1", "importer_registration": company.registration_number,
        "goods": "substance", "hs_code": "2903.71", "substance": "HCFC-22", "kg": "40", "import_licence": "KZ-IMP-1",
        "exporter_name": "Zhejiang Chem Co", "exporting_country": "CN", "origin_country": "CN",
        "transport_mode": "road", "border_post": "Khorgos", "expected_on": TODAY.isoformat(),
        "cylinder_count": "0", "cylinder_serials": ""}, page="/shipments/new")
    assert made.status_code == 302, made.get_data(as_text=True)[:400]
    [notice] = outbox(NoticeKind.SHIPMENT_AWAITING)
    assert notice.to_address == kz_inspector.email != kg_inspector.email
    assert "DT-NOTICE-1" in notice.subject and "Khorgos" in notice.subject and notice.locale == "ru"
    assert "/shipments/" in notice.body
    assert collect.collect() == 0
