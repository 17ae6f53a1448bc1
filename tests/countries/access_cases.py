"""Access cases for the country settings (administrators of their own country) and the public rules pages."""

from __future__ import annotations

from tests.access import Case, expect

PUBLIC = expect(200)

CASES = [
    Case("GET", lambda w: "/countries/settings", expect(403, anonymous=302, admin=200, kz_admin=200),
         note="settings of the user's country"),
    Case("POST", lambda w: "/countries/settings", expect(403, anonymous=302, admin=302, kz_admin=302),
         note="settings, nothing sent: nothing changes"),
    Case("GET", lambda w: "/rules", PUBLIC, note="rules by country"),
    Case("GET", lambda w: "/rules/KG", PUBLIC, note="public rules page"),
    Case("GET", lambda w: "/api/v1/countries/KG/settings", expect(403, anonymous=401, admin=200), api=True,
         note="api settings of KG"),
    Case("PATCH", lambda w: "/api/v1/countries/KG/settings", expect(403, anonymous=401, admin=200), api=True,
         note="api settings of KG, nothing changed"),
    Case("GET", lambda w: "/api/v1/countries/KG/rules", PUBLIC, api=True, note="api public rules"),
]
