"""Sign-in, sessions, throttle, CSRF, redirects, headers, tokens and user management."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from certreg.auth.models import ApiToken, LoginThrottle, User, UserSession
from certreg.extensions import db
from certreg.vocabulary import Role
from tests.conftest import CSRF_RE, count_rows, csrf_token, login, post_form
from tests.factories import PASSWORD, make_user


def test_login_lands_on_the_role_home_page(client):
    user = make_user(Role.INSPECTOR)
    response = login(client, user)
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Inspector" in page and user.display_name in page


def test_wrong_password_is_refused_without_saying_which_part(client):
    user = make_user()
    token = csrf_token(client)
    response = client.post("/login", data={"email": user.email, "password": "wrong", "csrf_token": token})
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.get_data(as_text=True)
    response = client.post("/login", data={"email": "nobody@example.org", "password": "x", "csrf_token": token})
    assert response.status_code == 401


def test_deactivated_account_cannot_sign_in(client):
    user = make_user()
    user.is_active = False
    db.session.commit()
    token = csrf_token(client)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 401


def test_logout_revokes_the_session_so_a_replayed_cookie_is_refused(app, client):
    user = make_user()
    login(client, user)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert client.get("/account").status_code == 200
    post_form(client, "/logout", page="/account")
    assert db.session.scalar(sa.select(UserSession.revoked_at).where(UserSession.user_id == user.id)) is not None
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    response = replay.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_throttle_after_max_attempts_even_with_the_right_password(app, client):
    user = make_user()
    token = csrf_token(client)
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        data = {"email": user.email, "password": "bad", "csrf_token": token}
        assert client.post("/login", data=data).status_code == 401
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.get_data(as_text=True)
    assert db.session.get(LoginThrottle, user.email).attempts == app.config["LOGIN_MAX_ATTEMPTS"] + 1


def test_successful_sign_in_clears_the_count(app, client):
    user = make_user()
    token = csrf_token(client)
    client.post("/login", data={"email": user.email, "password": "bad", "csrf_token": token})
    login(client, user)
    assert db.session.get(LoginThrottle, user.email) is None


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_next_redirect_stays_on_the_site(client, target):
    user = make_user()
    response = login(client, user, next=target)
    assert response.headers["Location"] == "/"


def test_next_redirect_to_a_local_page(client):
    user = make_user()
    response = login(client, user, next="/registry/companies?q=x")
    assert response.headers["Location"] == "/registry/companies?q=x"


def test_csrf_is_required_on_forms(client):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    login(client, user)
    response = client.post("/logout")
    assert response.status_code == 400  # the CSRF error page, signed in still
    assert client.get("/account").status_code == 200


def test_security_headers_and_cookie_flags(app, client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    user = make_user()
    response = login(client, user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookie_is_secure_host_prefixed(monkeypatch, tmp_path):
    from certreg import create_app

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.sqlite3")
    monkeypatch.setenv("SIGNING_KEYS_DIR", str(tmp_path))
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://reg.example.org")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    import importlib

    import config

    importlib.reload(config)
    try:
        app = create_app({"CONFIG": "production", "SECRET_KEY": "s" * 40})
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_production_refuses_to_start_without_secret_or_database(monkeypatch):
    from certreg import create_app

    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"CONFIG": "production", "SECRET_KEY": None})
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app({"CONFIG": "production", "SECRET_KEY": "x" * 40})


def test_api_token_created_in_the_ui_is_shown_once_and_stored_hashed(client, api):
    user = make_user(Role.AUDITOR)
    login(client, user)
    page = post_form(client, "/account/tokens", {"name": "my script"}).get_data(as_text=True)
    plain = page.split('id="new-token">')[1].split("<")[0]
    assert plain.startswith("crt_")
    stored = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    assert stored.token_hash != plain and plain not in client.get("/account/tokens").get_data(as_text=True)
    assert api.get("/me", token=plain).json["role"] == "auditor"
    post_form(client, f"/account/tokens/{stored.id}/revoke", page="/account/tokens")
    assert api.get("/me", token=plain).status_code == 401


def test_api_token_use_is_noted_at_most_every_five_minutes(api):
    """``last_used_at`` is written by the request that uses the token, and not again within five minutes."""
    from datetime import timedelta

    from tests.factories import make_token, token_id

    plain = make_token(make_user(Role.AUDITOR))
    stored = db.session.get(ApiToken, token_id(plain))
    assert stored.last_used_at is None
    assert api.get("/me", token=plain).status_code == 200
    db.session.expire_all()
    first = db.session.get(ApiToken, token_id(plain)).last_used_at
    assert first is not None
    assert api.get("/me", token=plain).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, token_id(plain)).last_used_at == first  # within five minutes: unchanged
    stored = db.session.get(ApiToken, token_id(plain))
    stored.last_used_at = first - timedelta(minutes=6)
    db.session.commit()
    assert api.get("/me", token=plain).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, token_id(plain)).last_used_at > first - timedelta(minutes=6)


def test_admin_creates_and_edits_users_of_own_country_only(client):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    before = count_rows(User)
    response = post_form(client, "/admin/users/new", {
        "email": "New.Officer@KG.example.org", "display_name": "New officer", "role": "certifying_officer",
        "country_code": "KG", "password": "long enough password", "is_active": "y",
    })
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "new.officer@kg.example.org"))
    assert user.role is Role.CERTIFYING_OFFICER
    response = post_form(client, "/admin/users/new", {
        "email": "x@kz.example.org", "display_name": "x", "role": "inspector", "country_code": "KZ",
        "password": "long enough password",
    })
    assert response.status_code == 403
    assert count_rows(User)["users"] == before["users"] + 1


def test_company_user_account_needs_a_company_of_that_country(client):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    response = post_form(client, "/admin/users/new", {
        "email": "c@kg.example.org", "display_name": "c", "role": "company_user", "country_code": "KG",
        "password": "long enough password",
    })
    assert response.status_code == 422
    assert "Choose a company registered in this country." in response.get_data(as_text=True)


def test_admin_cannot_demote_self(client):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    response = post_form(client, f"/admin/users/{admin.id}", {
        "email": admin.email, "display_name": "me", "role": "auditor", "country_code": "KG", "is_active": "y",
    })
    assert response.status_code == 422
    assert db.session.get(User, admin.id).role is Role.ADMIN


def test_password_change_needs_the_current_password_and_ends_sessions(client):
    user = make_user()
    login(client, user)
    response = post_form(client, "/account", {"current_password": "nope", "password": "a new long password"})
    assert response.status_code == 422
    response = post_form(client, "/account", {"current_password": PASSWORD, "password": "a new long password"})
    assert response.status_code == 302
    assert client.get("/account").status_code == 302
    login(client, user, "a new long password")


def test_language_switch_translates_and_is_remembered(client):
    response = client.get("/language/ru?next=/login")
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="ru"' in page and "Войти" in page
    client.get("/language/en")
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_accept_language_picks_russian(client):
    page = client.get("/login", headers={"Accept-Language": "ru-KG,ru;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert 'lang="ru"' in page


def test_every_form_page_carries_a_csrf_token(client):
    user = make_user(Role.ADMIN)
    login(client, user)
    for path in ["/account", "/account/tokens", "/admin/users/new", "/registry/technicians/new",
                 "/registry/companies/new"]:
        assert CSRF_RE.search(client.get(path).get_data(as_text=True)), path
