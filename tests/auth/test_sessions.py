"""Sessions: the list, ending one (its cookie is then refused), history, time limits, new-browser notice."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from certreg.auth.models import SignInEvent, UserSession
from certreg.auth.sessions import BROWSER_COOKIE
from certreg.extensions import db
from certreg.notify.models import NoticeKind, OutboxMessage
from tests.conftest import login, post_form
from tests.factories import make_token, make_user


def test_session_list_and_ending_another_session_refuses_its_cookie(app):
    user = make_user("company_user")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user, )
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert page.count("End this session") == 1 and "this browser" in page
    phone_session = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)
                                       .order_by(UserSession.id.desc())).first()
    response = post_form(laptop, f"/account/sessions/{phone_session.id}/end", page="/account/sessions")
    assert response.status_code == 302
    answer = phone.get("/account")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert laptop.get("/account").status_code == 200


def test_nobody_ends_someone_elses_session(app):
    owner, other = make_user("technician"), make_user("technician")
    login(app.test_client(), owner)
    row = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == owner.id))
    client = app.test_client()
    login(client, other)
    assert post_form(client, f"/account/sessions/{row.id}/end", page="/account/sessions").status_code == 404
    db.session.refresh(row)
    assert row.revoked_at is None


def test_sign_in_history_shows_time_address_and_browser(app, client):
    officer = make_user("inspector")
    login(client, officer)
    page = client.get("/account/sessions").get_data(as_text=True)
    assert "Recent sign-ins" in page and "127.0.0.1" in page and "authenticator code" in page
    event = db.session.scalar(sa.select(SignInEvent).where(SignInEvent.user_id == officer.id))
    assert event.second_factor == "totp" and event.ip_address == "127.0.0.1"


def test_api_lists_and_ends_sessions(app, api):
    user = make_user("company_user")
    browser = app.test_client()
    login(browser, user)
    token = make_token(user)
    listed = api.get("/me/sessions", token=token).get_json()
    assert len(listed["sessions"]) == 1 and len(listed["sign_ins"]) == 1
    ended = api.post(f"/me/sessions/{listed['sessions'][0]['id']}/end", token=token)
    assert ended.status_code == 200 and ended.get_json()["ended_at"]
    assert browser.get("/account").status_code == 302
    assert api.post("/me/sessions/999999/end", token=token).status_code == 404


def test_officials_are_signed_out_after_the_idle_time(app, client):
    officer = make_user("certifying_officer")
    login(client, officer)
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - app.config["OFFICIAL_IDLE_MINUTES"] * 60 - 5
    response = client.get("/registry/technicians")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/account").status_code == 302
    row = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == officer.id))
    assert row.revoked_at is not None


def test_a_technician_is_not_signed_out_for_idling(app, client):
    tech = make_user("technician")
    login(client, tech)
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - app.config["OFFICIAL_IDLE_MINUTES"] * 60 - 5
    assert client.get("/account").status_code == 200


def test_official_sessions_last_twelve_hours_at_most(app, client):
    officer = make_user("auditor")
    login(client, officer)
    row = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == officer.id))
    assert row.expires_at - row.created_at == timedelta(hours=app.config["OFFICIAL_SESSION_HOURS"])
    row.expires_at = row.created_at  # twelve hours later
    db.session.commit()
    assert client.get("/account").status_code == 302


def test_a_new_browser_is_notified_by_email_a_known_one_is_not(app):
    user = make_user("company_user")
    first = app.test_client()
    login(first, user)  # the first sign-in ever: nothing to compare with
    login(app.test_client(), user)  # another browser
    post_form(first, "/logout", page="/account")
    login(first, user)  # the first browser again: it kept its cookie
    assert first.get_cookie(BROWSER_COOKIE) is not None
    notices = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.user_id == user.id, OutboxMessage.kind == NoticeKind.NEW_SIGN_IN)).all()
    assert len(notices) == 1
    assert notices[0].subject == "New sign-in to your certreg account"
    assert "127.0.0.1" in notices[0].body


def test_notice_in_the_recipients_language_and_switchable(app):
    user = make_user("company_user")
    user.locale = "ru"
    db.session.commit()
    client = app.test_client()
    login(client, user)
    response = post_form(client, "/account/notifications", {"kinds": ["certificate_expiring"]})
    assert response.status_code == 302
    login(app.test_client(), user)  # a new browser: switched off, so no notice
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    post_form(client, "/account/notifications", {"kinds": ["new_sign_in"]})
    login(app.test_client(), user)
    notice = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.user_id == user.id))
    assert notice.locale == "ru" and notice.subject == "Новый вход в вашу учётную запись certreg"
