"""The ban on non-refillable cylinders on every surface: the service's permission and audit, the page,
the API; and a ban set on the page is enforced (``non_refillable_banned``)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.cylinders import settings
from certreg.cylinders.models import Cylinder, CylinderKind
from certreg.db import today
from certreg.errors import Forbidden
from certreg.extensions import db
from certreg.vocabulary import Role
from tests.conftest import ApiClient, login, post_form
from tests.cylinders.builders import make_cylinder
from tests.factories import ensure_keys, make_company, make_token, make_user

FIELD = "non_refillable_banned_from"


def audit_entries(country: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "cylinder_rules.update", AuditEntry.country_code == country).order_by(AuditEntry.id)))


def test_only_the_countrys_administrators_and_the_cli_set_the_ban(app):
    for user in (make_user(Role.ADMIN, "KZ"), make_user(Role.INSPECTOR, "KG"), make_user(Role.AUDITOR, "KG")):
        with pytest.raises(Forbidden):
            settings.set_non_refillable_ban(Actor.of(user), "KG", date(2025, 1, 1))
    assert settings.non_refillable_ban("KG") is None
    admin = Actor.of(make_user(Role.ADMIN, "KG"))
    settings.set_non_refillable_ban(admin, "KG", date(2025, 1, 1))
    assert settings.non_refillable_ban("KG") == date(2025, 1, 1)
    [entry] = audit_entries("KG")
    assert entry.actor_label == admin.label
    assert entry.before == {FIELD: "None"} and entry.after == {FIELD: "2025-01-01"}
    settings.set_non_refillable_ban(admin, "KG", date(2025, 1, 1))  # no change: no audit entry
    assert len(audit_entries("KG")) == 1
    settings.set_non_refillable_ban(Actor.system("test"), "KG", None)
    assert settings.non_refillable_ban("KG") is None and len(audit_entries("KG")) == 2


def test_the_page_sets_shows_and_lifts_the_ban(client):
    login(client, make_user(Role.ADMIN, "KG"))
    settings_page = client.get("/countries/settings").text
    assert 'href="/cylinders/rules"' in settings_page
    page = client.get("/cylinders/rules")
    assert page.status_code == 200 and f'name="{FIELD}"' in page.text and 'type="date"' in page.text
    assert "No ban" in page.text
    saved = post_form(client, "/cylinders/rules", {FIELD: "2030-07-01"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/cylinders/rules")
    assert settings.non_refillable_ban("KG") == date(2030, 7, 1)
    page = client.get("/cylinders/rules").text
    assert 'value="2030-07-01"' in page and "banned from Jul 1, 2030" in page
    assert post_form(client, "/cylinders/rules", {FIELD: ""}).status_code == 302
    assert settings.non_refillable_ban("KG") is None


@pytest.mark.parametrize("value,message", [
    ("01.07.2030", "Enter a date as YYYY-MM-DD."),
    ("2030-02-30", "Enter a date as YYYY-MM-DD."),
    ("1800-01-01", "Enter a date from 1900-01-01 to 2200-12-31."),
])
def test_a_bad_date_is_shown_on_the_field_and_changes_nothing(client, value, message):
    settings.set_non_refillable_ban(Actor.system("test"), "KG", date(2030, 7, 1))
    login(client, make_user(Role.ADMIN, "KG"))
    refused = post_form(client, "/cylinders/rules", {FIELD: value})
    assert refused.status_code == 422
    assert f'<p class="error" id="{FIELD}-error">{message}</p>' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert settings.non_refillable_ban("KG") == date(2030, 7, 1)


def test_other_officials_may_not_use_the_page(client):
    login(client, make_user(Role.INSPECTOR, "KG"))
    assert client.get("/cylinders/rules").status_code == 403
    assert 'href="/cylinders/rules"' not in client.get("/").text
    assert post_form(client, "/cylinders/rules", {FIELD: "2030-01-01"}, page="/").status_code == 403
    assert settings.non_refillable_ban("KG") is None


def test_an_administrator_sets_their_own_country_and_a_post_without_csrf_changes_nothing(client):
    login(client, make_user(Role.ADMIN, "KZ"))  # an administrator of another country sets their own
    assert post_form(client, "/cylinders/rules", {FIELD: "2031-01-01"}).status_code == 302
    assert settings.non_refillable_ban("KZ") == date(2031, 1, 1) and settings.non_refillable_ban("KG") is None
    assert client.post("/cylinders/rules", data={FIELD: "2032-01-01"}).status_code == 400  # no CSRF token
    assert settings.non_refillable_ban("KZ") == date(2031, 1, 1)


def test_the_api_gets_sets_and_lifts(client, openapi):
    api = ApiClient(client, openapi, make_token(make_user(Role.ADMIN, "KG")))
    assert api.open("GET", "/countries/KG/cylinder-rules").json == {FIELD: None}
    put = api.open("PUT", "/countries/kg/cylinder-rules", json={FIELD: "2029-01-01"})
    assert put.status_code == 200 and put.json == {FIELD: "2029-01-01"}
    assert settings.non_refillable_ban("KG") == date(2029, 1, 1)
    assert api.open("GET", "/countries/KG/cylinder-rules").json == {FIELD: "2029-01-01"}
    for bad, code in (("soon", "invalid_date"), ("2029-02-30", "invalid_date"), ("1800-01-01", "out_of_range"),
                      (20290101, "wrong_type")):
        refused = api.open("PUT", "/countries/KG/cylinder-rules", json={FIELD: bad}, validate=False)
        assert refused.status_code == 422, refused.json
        assert refused.json["error"]["fields"][FIELD][0]["code"] == code
    refused = api.open("PUT", "/countries/KG/cylinder-rules", json={}, validate=False)
    assert refused.status_code == 422 and refused.json["error"]["fields"][FIELD][0]["code"] == "required"
    refused = api.open("PUT", "/countries/KG/cylinder-rules", json={FIELD: None, "other": 1}, validate=False)
    assert refused.status_code == 422 and refused.json["error"]["fields"]["other"][0]["code"] == "unknown_field"
    assert settings.non_refillable_ban("KG") == date(2029, 1, 1)
    assert api.open("PUT", "/countries/KG/cylinder-rules", json={FIELD: None}).json == {FIELD: None}
    assert settings.non_refillable_ban("KG") is None


def test_the_api_refuses_others(client, openapi):
    for user in (make_user(Role.ADMIN, "KZ"), make_user(Role.INSPECTOR, "KG"),
                 make_user(Role.COMPANY_USER, "KG", company=make_company(country_code="KG"))):
        api = ApiClient(client, openapi, make_token(user))
        assert api.open("GET", "/countries/KG/cylinder-rules").status_code == 403
        refused = api.open("PUT", "/countries/KG/cylinder-rules", json={FIELD: "2029-01-01"})
        assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert settings.non_refillable_ban("KG") is None
    api = ApiClient(client, openapi, make_token(make_user(Role.ADMIN, "KG")))
    assert api.open("GET", "/countries/XX/cylinder-rules").status_code == 404
    assert api.open("PUT", "/countries/XX/cylinder-rules", json={FIELD: None}).status_code == 404
    assert ApiClient(client, openapi).open("GET", "/countries/KG/cylinder-rules").status_code == 401


def test_a_ban_set_on_the_page_is_enforced(client, openapi):
    ensure_keys("KG")
    owner = make_company(country_code="KG", activities=["importer", "dealer"])
    empty = make_cylinder(owner, kind=CylinderKind.NON_REFILLABLE, substance=None)  # before the ban
    admin = make_user(Role.ADMIN, "KG")
    login(client, admin)
    tomorrow = today() + timedelta(days=1)
    assert post_form(client, "/cylinders/rules", {FIELD: tomorrow.isoformat()}).status_code == 302
    register = {"owner_company_id": owner.id, "kind": "non_refillable", "water_capacity_l": "13.6",
                "tare_kg": "6.5", "substance": "HFC-134a", "net_kg": "13", "condition": "virgin"}
    assert post_form(client, "/cylinders/new", register).status_code == 302  # the day before the ban: allowed
    assert post_form(client, "/cylinders/rules", {FIELD: today().isoformat()}).status_code == 302
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Cylinder))
    refused = post_form(client, "/cylinders/new", register)
    assert refused.status_code == 422
    assert f"Non-refillable cylinders are banned in this country from {today().isoformat()}." in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cylinder)) == count
    api = ApiClient(client, openapi, make_token(admin))
    refused = api.open("POST", f"/cylinders/{empty.serial}/fill",
                       json={"substance": "HFC-134a", "net_kg": 10, "condition": "virgin"})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "non_refillable_banned"
    assert refused.json["error"]["fields"]["kind"][0]["code"] == "non_refillable_banned"
    assert db.session.get(Cylinder, empty.id).net_kg == Decimal("0")
    assert post_form(client, "/cylinders/new", {**register, "kind": "refillable"}).status_code == 302


def rules_page(client, language: str) -> str:
    page = client.get("/rules/KG", headers={"Accept-Language": language})
    assert page.status_code == 200
    return page.text


def test_the_public_rules_page_states_the_ban_in_english_and_russian(client):
    """The country's public rules page (countries) shows the ban the cylinders keep: none, to come, in force."""
    assert "Non-refillable (disposable) cylinders: not banned." in rules_page(client, "en")
    assert "Одноразовые (незаправляемые) баллоны: не запрещены." in rules_page(client, "ru")
    system = Actor.system("test")
    settings.set_non_refillable_ban(system, "KG", date(2100, 7, 1))
    english = rules_page(client, "en")
    assert 'id="non-refillable-cylinders"' in english and "not banned" not in english
    assert ("Non-refillable (disposable) cylinders: banned from July 1, 2100. "
            '<span class="muted">(to come)</span>') in english
    russian = rules_page(client, "ru")
    assert ("Одноразовые (незаправляемые) баллоны: запрещены с 1 июля 2100\u202fг. "
            '<span class="muted">(вступит в силу)</span>') in russian  # one full stop: the date's own
    assert "не запрещены" not in russian
    settings.set_non_refillable_ban(system, "KG", date(2025, 1, 1))  # in force: no "(to come)"
    english = rules_page(client, "en")
    assert "cylinders: banned from January 1, 2025." in english
    assert "From that day importing, filling and selling them is refused." in english
    assert "banned from January 1, 2025. <span" not in english
    assert "запрещены с 1 января 2025\u202fг.\n" in rules_page(client, "ru")
    assert "Non-refillable (disposable) cylinders: not banned." in client.get("/rules/KZ").text  # another country


def test_the_public_rules_api_states_the_ban(client, openapi):
    api = ApiClient(client, openapi)  # public: no token
    for language in ("en", "ru"):  # the same answer whatever the language
        public = api.open("GET", "/countries/KG/rules", headers={"Accept-Language": language}).json
        assert (public[FIELD], public["non_refillable_ban_in_force"]) == (None, False)
    settings.set_non_refillable_ban(Actor.system("test"), "KG", today() + timedelta(days=1))
    public = api.open("GET", "/countries/KG/rules").json
    assert (public[FIELD], public["non_refillable_ban_in_force"]) == ((today() + timedelta(days=1)).isoformat(), False)
    assert public["country"] == "KG" and public["bans"]  # the rest of the answer as before
    settings.set_non_refillable_ban(Actor.system("test"), "KG", today())
    public = api.open("GET", "/countries/KG/rules", headers={"Accept-Language": "ru"}).json
    assert (public[FIELD], public["non_refillable_ban_in_force"]) == (today().isoformat(), True)
    assert api.open("GET", "/countries/KZ/rules").json[FIELD] is None
