"""Access cases for sign-in, accounts, tokens, user management, language and API docs."""

from tests.access import Case, expect

ALL = 200
LOGGED_IN_OK = expect(200, anonymous=302)

CASES = [
    Case("GET", lambda w: "/", expect(200), note="home"),
    Case("GET", lambda w: "/login", expect(302, anonymous=200), note="login page"),
    Case("POST", lambda w: "/login", expect(302, anonymous=422), note="login empty form"),
    Case("POST", lambda w: "/logout", expect(302), note="logout"),
    Case("GET", lambda w: "/account", LOGGED_IN_OK, note="account"),
    Case("POST", lambda w: "/account", expect(422, anonymous=302), note="change password, empty"),
    Case("GET", lambda w: "/account/tokens", LOGGED_IN_OK, note="tokens"),
    Case("POST", lambda w: "/account/tokens", expect(422, anonymous=302), note="create token, empty"),
    Case("POST", lambda w: f"/account/tokens/{w.token_ids['admin']}/revoke",
         expect(404, anonymous=302, admin=302), note="revoke the admin's token"),
    Case("GET", lambda w: "/admin/users", expect(403, anonymous=302, admin=200, kz_admin=200), note="users"),
    Case("GET", lambda w: "/admin/users/new", expect(403, anonymous=302, admin=200, kz_admin=200), note="new user"),
    Case("POST", lambda w: "/admin/users/new", expect(403, anonymous=302, admin=422, kz_admin=422),
         note="new user, empty"),
    Case("GET", lambda w: f"/admin/users/{w.other_user.id}", expect(404, anonymous=302, admin=200),
         note="edit a KG user"),
    Case("POST", lambda w: f"/admin/users/{w.other_user.id}", expect(404, anonymous=302, admin=422),
         note="edit a KG user, empty"),
    Case("GET", lambda w: "/language/ru?next=/search", expect(302), note="switch language"),
    Case("GET", lambda w: "/language/xx", expect(404), note="unknown language"),
    Case("GET", lambda w: "/api/v1/openapi.json", expect(200), api=True, note="openapi"),
    Case("GET", lambda w: "/api/v1/me", expect(200, anonymous=401), api=True, note="api me"),
]
