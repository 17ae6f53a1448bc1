"""Assigning an anomaly for review: the assignee is told by e-mail in their language, on the page and the API."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.extensions import db
from certreg.logbook import holders
from certreg.notify.models import NoticeKind, OutboxMessage
from certreg.reports import anomalies
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyAssignment
from certreg.vocabulary import HolderKind
from tests.conftest import login, post_form
from tests.factories import make_company, make_token, make_user
from tests.reports.books import SYSTEM, record

QUERY = "?country=KG&date_from=2025-01-01&date_to=2025-12-31"


@pytest.fixture
def gap():
    company = make_company(country_code="KG", activities=["importer", "dealer"])
    record(company, "import", "HCFC-22", "100", on=date(2025, 3, 1))
    record(holders.holder(HolderKind.COMPANY, company.id), "stock_count", "HCFC-22", "0", on=date(2025, 6, 1),
           quantity=None, counted_quantity=Decimal("50"), reason="Counted", actor=SYSTEM)
    db.session.commit()
    [found] = anomalies.detect("KG", Period.year(2025))
    return found


def notices() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.ANOMALY_ASSIGNED)))


def test_an_administrator_assigns_on_the_page_and_the_auditor_is_told_in_russian(client, gap):
    admin, auditor = make_user("admin", "KG"), make_user("auditor", "KG")
    auditor.locale = "ru"
    db.session.commit()
    login(client, admin)
    page = f"/reports/anomalies/mass_balance/{gap.logbook_id}{QUERY}"
    assert "Assign for review" in client.get(page).get_data(as_text=True)
    response = post_form(client, f"/reports/anomalies/mass_balance/{gap.logbook_id}/assign",
                         {"assignee": auditor.id, "note": "Look at the March import", "country": "KG",
                          "date_from": "2025-01-01", "date_to": "2025-12-31", "equipment": ""}, page=page)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    [notice] = notices()
    assert notice.to_address == auditor.email and notice.locale == "ru"
    assert "назначил(а) вам эту аномалию" in notice.body and notice.subject.startswith("Вам назначена аномалия")
    assert "Look at the March import" in notice.body
    assert re.search(r"https://certreg\.example\.org/reports/anomalies/mass_balance/\d+\?", notice.body)
    shown = client.get(page).get_data(as_text=True)
    assert "Assigned to" in shown and auditor.display_name in shown


def test_the_assignee_must_be_an_official_who_can_read_the_anomaly(client, gap):
    admin = make_user("admin", "KG")
    kz_auditor = make_user("auditor", "KZ")
    technician = make_user("technician", "KG")
    login(client, admin)
    page = f"/reports/anomalies/mass_balance/{gap.logbook_id}{QUERY}"
    for wrong in (kz_auditor.id, technician.id, 999999):
        response = post_form(client, f"/reports/anomalies/mass_balance/{gap.logbook_id}/assign",
                             {"assignee": wrong, "country": "KG", "date_from": "2025-01-01",
                              "date_to": "2025-12-31", "equipment": ""}, page=page)
        assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnomalyAssignment)) == 0
    assert notices() == []


def test_assigning_through_the_api_and_reading_it_back(api, gap):
    admin, auditor = make_user("admin", "KG"), make_user("auditor", "KG")
    api.token = make_token(admin)
    path = f"/reports/anomalies/mass_balance/{gap.logbook_id}/assign{QUERY}"
    def field_codes(response) -> set[str]:
        assert response.status_code == 422
        return {e["code"] for errors in response.json["error"]["fields"].values() for e in errors}

    assert field_codes(api.post(path, json={"assignee_id": "x"})) == {"invalid_type"}
    assert field_codes(api.post(path, json={"assignee_id": admin.id + 10_000})) == {"unknown_assignee"}
    made = api.post(path, json={"assignee_id": auditor.id, "note": "Yours"})
    assert made.status_code == 201 and made.json["assignee_id"] == auditor.id
    listed = api.get("/reports/anomalies?country=KG&year=2025").json["items"]
    assert listed[0]["assignment"]["assignee"] == auditor.display_name
    again = api.post(path, json={"assignee_id": admin.id})  # reassigning appends; the newest is current
    assert again.status_code == 201
    assert api.get("/reports/anomalies?country=KG&year=2025").json["items"][0]["assignment"]["assignee_id"] == admin.id
    assert len(notices()) == 2
