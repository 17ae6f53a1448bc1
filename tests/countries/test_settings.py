"""Country settings: one service behind the page, the API and the command line; audited; the public page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.countries import services
from certreg.countries.models import CountryBanDate
from certreg.errors import Forbidden, ValidationFailed
from certreg.extensions import db
from certreg.logbook import settings as logbook
from certreg.vocabulary import Role
from tests import factories
from tests.conftest import login, post_form

SYSTEM = Actor.system("tests")


def audit_entries() -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "country_settings.update")
                                   .order_by(AuditEntry.id)))


def test_defaults_overrides_and_the_audit_trail(app):
    rules = services.country_rules("KZ")
    assert rules.party_group.value == "non_article_5" and rules.listed
    assert {b.key: b.effective for b in rules.bans}["ban_A_I"] == date(1996, 1, 1)
    assert all(b.override is None for b in rules.bans)
    admin = Actor.of(factories.make_user(Role.ADMIN, "KZ"))
    after = services.update_settings(admin, "KZ", {"ban_C_I": "2027-01-01", "used_ods_sales": "reclaimed_only",
                                                   "leak_rate_threshold": "5", "penalties_ru": "Штраф до 500 МРП."})
    assert {b.key: b.effective for b in after.bans}["ban_C_I"] == date(2027, 1, 1)
    assert logbook.rule_context("KZ").bans["C/I"] == date(2027, 1, 1)
    assert after.used_ods_sales.value == "reclaimed_only" and after.leak_rate_threshold == Decimal("5")
    assert after.penalties == {**{code: "" for code in app.config["LANGUAGES"]}, "ru": "Штраф до 500 МРП."}
    [entry] = audit_entries()
    assert entry.country_code == "KZ" and entry.actor_label == admin.label
    assert entry.after["ban_C_I"] == "2027-01-01" and entry.before["ban_C_I"] is None
    services.update_settings(admin, "KZ", {"ban_C_I": None, "leak_rate_threshold": None})
    assert db.session.get(CountryBanDate, ("KZ", "C/I")) is None
    assert logbook.rule_context("KZ").bans["C/I"] == date(2030, 1, 1)
    assert logbook.leak_rate_threshold("KZ") == Decimal(10)
    services.update_settings(admin, "KZ", {"ban_C_I": None})  # no change: no audit entry
    assert len(audit_entries()) == 2


@pytest.mark.parametrize("changes,field,code", [
    ({"ban_X": "2020-01-01"}, "ban_X", "unknown_setting"),
    ({"ban_A_I": "1 Jan 2020"}, "ban_A_I", "invalid_date"),
    ({"ban_A_I": "1900-01-01"}, "ban_A_I", "out_of_range"),
    ({"ban_A_I": 2020}, "ban_A_I", "invalid_date"),
    ({"used_ods_sales": "some"}, "used_ods_sales", "invalid_choice"),
    ({"used_ods_sales": ["none"]}, "used_ods_sales", "invalid_choice"),
    ({"leak_rate_threshold": "0"}, "leak_rate_threshold", "out_of_range"),
    ({"leak_rate_threshold": "ten"}, "leak_rate_threshold", "invalid_number"),
    ({"leak_rate_threshold": True}, "leak_rate_threshold", "invalid_number"),
    ({"penalties_en": "x" * 20001}, "penalties_en", "too_long"),
    ({"penalties_de": "Strafe"}, "penalties_de", "unknown_setting"),
])
def test_bad_values_are_refused_on_their_key_and_change_nothing(changes, field, code):
    with pytest.raises(ValidationFailed) as info:
        services.update_settings(SYSTEM, "KG", {"ban_C_III": "2001-01-01", **changes})
    assert info.value.fields[field][0].code == code
    assert db.session.get(CountryBanDate, ("KG", "C/III")) is None


def test_only_the_countrys_administrators_change_its_settings():
    for user in (factories.make_user(Role.ADMIN, "KZ"), factories.make_user(Role.AUDITOR, "KG")):
        with pytest.raises(Forbidden):
            services.update_settings(Actor.of(user), "KG", {"ban_A_I": "2005-01-01"})


def test_the_api(api):
    api.token = factories.make_token(factories.make_user(Role.ADMIN, "KG"))
    got = api.get("/countries/KG/settings").get_json()
    assert got["party_group"] == "article_5"
    assert {b["key"]: b["default"] for b in got["bans"]}["ban_E_I"] == "2015-01-01"
    changed = api.patch("/countries/kg/settings", json={"ban_A_I": "2008-01-01", "penalties_en": "Fines up to 100."})
    assert changed.status_code == 200, changed.get_json()
    ban = {b["key"]: b for b in changed.get_json()["bans"]}["ban_A_I"]
    assert ban == {"key": "ban_A_I", "control_group": "A/I", "default": "2010-01-01", "override": "2008-01-01",
                   "effective": "2008-01-01"}
    bad = api.patch("/countries/KG/settings", json={"ban_A_I": "soon"}, validate=False)
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"]["ban_A_I"][0]["code"] == "invalid_date"
    assert api.get("/countries/KZ/settings").status_code == 403
    assert api.get("/countries/XX/settings").status_code == 404
    public = api.open("GET", "/countries/KG/rules", token=None).get_json()
    assert {b["control_group"]: b for b in public["bans"]}["A/I"] == {
        "control_group": "A/I", "date": "2008-01-01", "national": True, "in_force": True}
    assert public["penalties"]["en"] == "Fines up to 100."


def test_the_command_line(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["countries", "settings", "TJ", "--set", "ban_C_I=2025-01-01",
                                 "--set", "used_ods_sales=none"])
    assert result.exit_code == 0, result.output
    assert "ban_C_I\t2025-01-01\tnational\t(protocol 2030-01-01)" in result.output
    assert "party_group\tnon_article_5" in result.output and "used_ods_sales\tnone" in result.output
    assert logbook.rule_context("TJ").bans["C/I"] == date(2025, 1, 1)
    assert audit_entries()[-1].actor_label.startswith("cli:")
    bad = runner.invoke(args=["countries", "settings", "TJ", "--set", "ban_C_I=later"])
    assert bad.exit_code == 1 and "invalid_date" in bad.output
    shown = runner.invoke(args=["countries", "settings", "tj"])
    assert shown.exit_code == 0 and "ban_A_I\t1996-01-01\tprotocol" in shown.output
    assert runner.invoke(args=["countries", "settings", "XX"]).exit_code == 1


def test_the_page_and_the_menu(client):
    admin = factories.make_user(Role.ADMIN, "KG")
    login(client, admin)
    page = client.get("/countries/settings").get_data(as_text=True)
    assert 'href="/countries/settings"' in page and 'name="ban_C_III"' in page and 'name="penalties_ru"' in page
    response = post_form(client, "/countries/settings", {"ban_C_III": "2001-06-01", "used_ods_sales": "allowed",
                                                         "penalties_en": "Fines.", "penalties_ru": "Штрафы."})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert logbook.rule_context("KG").bans["C/III"] == date(2001, 6, 1)
    refused = post_form(client, "/countries/settings", {"ban_C_III": "1800-01-01", "used_ods_sales": "allowed"})
    assert refused.status_code == 422
    assert logbook.rule_context("KG").bans["C/III"] == date(2001, 6, 1)
    assert 'href="/countries/settings"' in client.get("/").get_data(as_text=True)


def test_the_public_page_in_each_language_linked_from_search_and_verify(client):
    services.update_settings(SYSTEM, "KG", {"penalties_en": "Fines up to 200 units.\n\nConfiscation.",
                                            "penalties_ru": "Штраф до 200 расчётных показателей."})
    english = client.get("/rules/KG", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Fines up to 200 units." in english and "<p>Confiscation.</p>" in english
    assert "Annex C group III (bromochloromethane)" in english and "January 1, 2002" in english
    russian = client.get("/rules/KG", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Штраф до 200 расчётных показателей." in russian and "Fines up to" not in russian
    assert client.get("/rules/KZ").status_code == 200  # no text yet: says so
    assert client.get("/rules/XX").status_code == 404
    assert 'href="/rules/KG"' in client.get("/rules").get_data(as_text=True)
    assert 'href="/rules"' in client.get("/search").get_data(as_text=True)
    assert 'href="/rules/KG"' in client.get("/search?q=x&country=KG").get_data(as_text=True)
    cert = factories.make_certificate(factories.make_technician(country_code="KG"), categories=("A1",))
    verify = client.get(f"/v/{cert.token}").get_data(as_text=True)
    assert 'href="/rules/KG"' in verify


@pytest.mark.parametrize("body", [
    {"ban_A_I": {"year": 2020}}, {"ban_A_I": ["2020-01-01"]}, {"penalties_en": 5}, {"leak_rate_threshold": 1e308},
    {"leak_rate_threshold": -0.0}, {"used_ods_sales": None}, {"ban_E_I": "2020-02-30"}, {"ban_E_I": "\u0000"},
])
def test_odd_json_is_a_422_never_a_500(api, body):
    api.token = factories.make_token(factories.make_user(Role.ADMIN, "KG"))
    response = api.patch("/countries/KG/settings", json=body, validate=False)
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["error"]["fields"]) == list(body)
