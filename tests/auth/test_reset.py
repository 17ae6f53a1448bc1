"""Password reset by e-mail, end to end through a real SMTP server; password rules."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from certreg.auth.models import PasswordResetToken, UserSession
from certreg.db import utcnow
from certreg.extensions import db
from certreg.notify.models import OutboxMessage
from tests.conftest import csrf_token, login, post_form
from tests.factories import make_user
from tests.mailserver import body, smtp_server

NEW_PASSWORD = "a new long passphrase 2026"  # noqa: S105


@pytest.fixture
def mail(app, monkeypatch):
    with smtp_server() as (port, inbox):
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        monkeypatch.setitem(app.config, "MAIL_SEND_AFTER_REQUEST", True)
        yield inbox


def ask_for_reset(client, email):
    response = post_form(client, "/forgot-password", {"email": email})
    response.close()  # the mail goes out once the response is done
    return response


def test_reset_link_arrives_works_once_and_ends_other_sessions(app, client, mail):
    user = make_user("company_user")
    other_browser = app.test_client()
    login(other_browser, user)
    assert other_browser.get("/account").status_code == 200

    response = ask_for_reset(client, user.email.upper())
    assert response.status_code == 200 and "Check your e-mail" in response.get_data(as_text=True)
    [message] = mail.to(user.email)
    assert message["Subject"] == "Choose a new certreg password"
    link = re.search(r"https://certreg\.example\.org(/reset-password/\S+)", body(message)).group(1)
    assert "Choose a new password" in client.get(link).get_data(as_text=True)

    weak = post_form(client, link, {"password": "password123"})
    assert weak.status_code == 422 and "common or breached" in weak.get_data(as_text=True)
    done = post_form(client, link, {"password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    # once only
    assert client.get(link).status_code == 404
    assert post_form(client, link, {"password": NEW_PASSWORD + "x"}, page="/login").status_code == 404
    # every session of the account ended, the new password works, the secret link left the outbox
    assert other_browser.get("/account").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None))) == 0
    login(app.test_client(), user, NEW_PASSWORD)
    assert db.session.scalar(sa.select(OutboxMessage.body).where(OutboxMessage.user_id == user.id)) == ""


def test_unknown_address_gets_the_same_answer_and_no_mail(client, mail):
    user = make_user("technician")
    known = ask_for_reset(client, user.email)
    unknown = ask_for_reset(client, "nobody@example.org")
    assert unknown.status_code == known.status_code == 200
    strip = lambda page: re.sub(r'value="[^"]+"', "", page)  # noqa: E731 (CSRF tokens differ)
    assert strip(unknown.get_data(as_text=True)) == strip(known.get_data(as_text=True))
    assert len(mail.messages) == 1 and mail.messages[0]["To"] == user.email


def test_expired_link_is_refused(client, mail):
    user = make_user("technician")
    ask_for_reset(client, user.email)
    link = re.search(r"(/reset-password/\S+)", body(mail.messages[0])).group(1)
    db.session.execute(sa.update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = client.get(link)
    assert response.status_code == 404 and "not valid any more" in response.get_data(as_text=True)


def test_reset_of_a_deactivated_account_sends_nothing(client, mail):
    user = make_user("technician")
    user.is_active = False
    db.session.commit()
    assert ask_for_reset(client, user.email).status_code == 200
    assert mail.messages == []


@pytest.mark.parametrize(("role", "password", "code"), [
    ("technician", "seven77", "password_too_short"),
    ("technician", "qwertyuiop", "password_common"),
    ("inspector", "fourteen chars", "password_too_short"),
])
def test_password_rules(role, password, code):
    from certreg.auth import services
    from certreg.errors import ValidationFailed
    from tests.factories import SYSTEM

    user = make_user(role)
    with pytest.raises(ValidationFailed) as refused:
        services.set_password(SYSTEM, user, password)
    assert refused.value.fields["password"][0].code == code


def test_eight_characters_are_enough_for_a_technician_fifteen_for_an_official():
    from certreg.auth import services
    from tests.factories import SYSTEM

    services.set_password(SYSTEM, make_user("technician"), "tundra88")
    services.set_password(SYSTEM, make_user("auditor"), "fifteen chars!!")


def test_login_page_links_to_the_reset(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot-password"' in page
    assert csrf_token(client, "/forgot-password")


def test_reset_requests_are_throttled_per_address_with_the_same_answer(app, client, mail):
    user = make_user("technician")
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"] + 2):
        assert ask_for_reset(client, user.email).status_code == 200
    assert len(mail.messages) == app.config["LOGIN_MAX_ATTEMPTS"]
