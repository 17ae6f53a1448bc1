"""Two-step sign-in: enrolment, codes once only, recovery codes, throttle, who must use it; read-only tokens."""

from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa

from certreg.auth import twofactor
from certreg.auth.models import RecoveryCode, User
from certreg.extensions import db
from tests.conftest import csrf_token, login, post_form
from tests.factories import PASSWORD, enrol, make_token, make_user


def password_step(client, user):
    response = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def code_step(client, code):
    return post_form(client, "/login/code", {"code": code})


def test_official_without_a_second_factor_reaches_only_enrolment(client):
    officer = make_user("certifying_officer", two_factor=False)
    response = password_step(client, officer)
    assert response.headers["Location"] == "/account/two-factor"
    for path in ("/", "/registry/technicians", "/account", "/account/tokens", "/api/v1/openapi.json"):
        answer = client.get(path)
        if path.startswith("/api/"):
            assert answer.status_code == 200  # the API is not a page: tokens are unaffected
        else:
            assert answer.status_code == 302 and answer.headers["Location"] == "/account/two-factor", path
    assert client.get("/privacy").status_code == 200
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")

    wrong = post_form(client, "/account/two-factor", {"code": "000000"})
    assert wrong.status_code == 422 and "not right" in wrong.get_data(as_text=True)
    done = post_form(client, "/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == twofactor.RECOVERY_CODES
    assert client.get("/registry/technicians").status_code == 200
    db.session.refresh(officer)
    assert officer.has_second_factor and officer.totp_secret == secret
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == officer.id)).all()
    assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}  # hashed


def test_technician_needs_no_second_factor_unless_the_country_says_so(app, client):
    tech = make_user("technician")
    password_step(client, tech)
    assert client.get("/logbook").status_code in (200, 302)
    assert client.get("/account").status_code == 200

    admin = make_user("admin")
    admin_client = app.test_client()
    login(admin_client, admin)
    response = post_form(admin_client, "/admin/account-policy", {"second_factor_for_everyone": "y"})
    assert response.status_code == 302
    assert twofactor.required_for(db.session.get(User, tech.id))
    answer = client.get("/account")
    assert answer.status_code == 302 and answer.headers["Location"] == "/account/two-factor"


def test_sign_in_with_a_code_and_a_replayed_code_is_refused(app):
    officer = make_user("inspector")
    code = pyotp.TOTP(officer.totp_secret).now()
    first = app.test_client()
    password_step(first, officer)
    assert first.get("/account").status_code == 302  # not signed in before the code
    response = code_step(first, code)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Inspector" in first.get("/").get_data(as_text=True)

    second = app.test_client()
    password_step(second, officer)
    replay = code_step(second, code)
    assert replay.status_code == 401 and "already used" in replay.get_data(as_text=True)
    assert second.get("/account").status_code == 302


def test_a_recovery_code_works_once(app):
    officer = make_user("auditor", two_factor=False)
    codes = enrol(officer)
    client = app.test_client()
    password_step(client, officer)
    response = code_step(client, codes[0].lower().replace("-", " "))
    assert response.status_code == 302
    assert twofactor.remaining_recovery_codes(officer) == 9
    other = app.test_client()
    password_step(other, officer)
    assert code_step(other, codes[0]).status_code == 401


def test_codes_are_throttled_like_passwords(app, client):
    officer = make_user("admin")
    password_step(client, officer)
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        assert code_step(client, "123456").status_code == 401
    from tests.factories import totp_code

    response = code_step(client, totp_code(officer.email))
    assert response.status_code == 429 and response.headers["Retry-After"]


def test_code_step_expires_and_needs_the_password_first(app, client):
    officer = make_user("admin")
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    password_step(client, officer)
    with client.session_transaction() as session:
        pending = session["pending_second_step"]
        session["pending_second_step"] = {**pending, "at": pending["at"] - 600}
    assert client.get("/login/code").status_code == 302


def test_new_recovery_codes_replace_the_old_ones(app, client):
    officer = make_user("admin", two_factor=False)
    old = enrol(officer)
    login(client, officer)
    page = post_form(client, "/account/two-factor/recovery-codes", page="/account/two-factor")
    new = re.findall(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>", page.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    other = app.test_client()
    password_step(other, officer)
    assert code_step(other, old[1]).status_code == 401
    assert code_step(other, new[1]).status_code == 302


def test_administrator_resets_a_lost_second_factor(app, client):
    admin = make_user("admin")
    officer = make_user("certifying_officer")
    login(client, admin)
    response = post_form(client, f"/admin/users/{officer.id}/two-factor/reset", page=f"/admin/users/{officer.id}")
    assert response.status_code == 302
    db.session.refresh(officer)
    assert not officer.has_second_factor and officer.totp_secret is None
    assert twofactor.needs_enrolment(officer)


def test_an_official_cannot_turn_the_second_factor_off(client):
    officer = make_user("inspector")
    login(client, officer)
    assert post_form(client, "/account/two-factor/remove", page="/account/two-factor").status_code == 403


def test_read_only_token_refused_on_writes_with_a_stable_code(api):
    officer = make_user("certifying_officer")
    token = make_token(officer)
    from certreg.auth import services
    from certreg.auth.models import ApiToken

    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == services.sha256_hex(token)))
    row.read_only = True
    db.session.commit()
    assert api.get("/me", token=token).status_code == 200
    response = api.post("/technicians", json={}, token=token, validate=False)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "token_read_only"


def test_read_only_token_from_the_page(client):
    user = make_user("company_user")
    login(client, user)
    page = post_form(client, "/account/tokens", {"name": "reports", "read_only": "y"})
    assert page.status_code == 200 and "(read-only)" in page.get_data(as_text=True)


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567"])
def test_malformed_codes_are_wrong_codes(app, client, code):
    officer = make_user("admin")
    password_step(client, officer)
    response = post_form(client, "/login/code", {"code": code})
    assert response.status_code in (401, 422)
    assert csrf_token(client, "/login/code")


def test_cli_resets_a_second_factor_and_makes_read_only_tokens(app):
    officer = make_user("inspector")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "reset-2fa", officer.email])
    assert result.exit_code == 0, result.output
    db.session.refresh(officer)
    assert not officer.has_second_factor
    assert runner.invoke(args=["users", "reset-2fa", "nobody@example.org"]).exit_code == 1
    token = runner.invoke(args=["users", "token", officer.email, "--read-only"]).output.strip()
    from certreg.auth import services
    from certreg.auth.models import ApiToken

    assert db.session.scalar(sa.select(ApiToken.read_only).where(ApiToken.token_hash == services.sha256_hex(token)))


def test_demo_officials_sign_in_with_the_published_key(app):
    from certreg.demo import data

    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    logins = runner.invoke(args=["demo", "logins"]).output
    secret = data.demo_totp_secret("officer@kg.example.org")
    assert secret in logins and data.DEMO_PASSWORD in logins
    assert runner.invoke(args=["demo", "code", "officer@kg.example.org"]).output.strip() == pyotp.TOTP(secret).now()
    client = app.test_client()
    post_form(client, "/login", {"email": "officer@kg.example.org", "password": data.DEMO_PASSWORD})
    response = code_step(client, pyotp.TOTP(secret).now())
    assert response.status_code == 302 and response.headers["Location"] == "/"
