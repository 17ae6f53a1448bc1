from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from certreg.actors import Actor
from certreg.extensions import db
from certreg.registry import services as registry
from certreg.vocabulary import Role
from tests.conftest import login
from tests.factories import make_company, make_token, make_user


def _changes():
    officer = make_user(Role.CERTIFYING_OFFICER)
    company = make_company(legal_name="ОсОО «Аудит»", registration_number="AUD-1")
    registry.update_company(Actor.of(officer), company, registry.CompanyData(
        country_code="KG", legal_name="ОсОО «Аудит»", name_latin=company.name_latin, registration_number="AUD-2",
        address=company.address, activities=["dealer"]))
    db.session.commit()
    make_company(country_code="KZ", legal_name="ТОО «Чужое»")
    return officer, company


def test_auditor_sees_own_country_changes_with_before_and_after(client):
    officer, company = _changes()
    login(client, make_user(Role.AUDITOR))
    page = client.get("/audit?action=company.").get_data(as_text=True)
    assert "company.update" in page and officer.email in page
    assert "AUD-1" in page and "AUD-2" in page
    assert "Чужое" not in page  # another country's change


def test_filters_and_exports_keep_the_filter(client):
    _changes()
    login(client, make_user(Role.ADMIN))
    rows = list(csv.reader(io.StringIO(client.get("/audit/export.csv?action=company.update").get_data(as_text=True))))
    assert rows[0][:6] == ["source", "id", "at", "actor", "country", "action"]
    assert [r[5] for r in rows[1:]] == ["company.update"]
    workbook = load_workbook(io.BytesIO(client.get("/audit/export.xlsx?action=company.").data))
    actions = [row[5] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert sorted(actions) == ["company.create", "company.update"]
    future = date.today().replace(year=date.today().year + 1).isoformat()
    assert "No entries." in client.get(f"/audit?date_from={future}").get_data(as_text=True)


def test_api_audit_trail(api):
    _changes()
    api.token = make_token(make_user(Role.AUDITOR))
    items = api.get("/audit?action=company.update").json["items"]
    assert len(items) == 1 and items[0]["before"] == {"registration_number": "AUD-1", "activities": ["service"]}
    assert api.get("/audit?date_from=yesterday").status_code == 422


def test_every_audited_action_is_named_in_words(app):
    import re
    from pathlib import Path

    from certreg.trail.labels import ACTION_LABELS, action_label

    package = Path(__file__).resolve().parents[2] / "certreg"
    source = "\n".join(path.read_text(encoding="utf-8") for path in package.rglob("*.py"))
    calls = len(re.findall(r"audit\.record\(", source))
    used = re.findall(r'audit\.record\(\s*[^,()]+,\s*"([a-z_]+\.[a-z_]+)"', source)
    assert len(used) == calls  # every call names its action literally
    assert set(used) <= set(ACTION_LABELS)
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert action_label("certificate.revoke") == "Сертификат отозван"
        assert action_label("logbook_entry.sale") == "Журнал: Продажа"
        assert action_label("something.new") == "something.new"


def test_summaries_are_shown_and_exported_in_the_readers_language(client, api):
    _changes()
    auditor = make_user(Role.AUDITOR)
    login(client, auditor)
    client.get("/language/ru")
    page = client.get("/audit?action=company.").get_data(as_text=True)
    assert "Зарегистрирована компания" in page and "Изменены данные компании" in page
    assert "Registered company" not in page
    rows = list(csv.reader(io.StringIO(client.get("/audit/export.csv?action=company.create").get_data(as_text=True))))
    assert rows[1][8].startswith("Зарегистрирована компания ")
    assert "Зарегистрирована компания" not in client.get("/audit?action=company.&q=Зарегистрирована").get_data(
        as_text=True).split("<tbody>")[1]  # search reads the text as recorded (English)
    assert "Зарегистрирована компания" in client.get("/audit?action=company.&q=Registered").get_data(as_text=True)
    api.token = make_token(auditor)
    item = api.get("/audit?action=company.create", headers={"Accept-Language": "ru"}).json["items"][0]
    assert item["summary"].startswith("Зарегистрирована компания")
