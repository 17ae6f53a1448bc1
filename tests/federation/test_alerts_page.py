"""The page of the seizure alerts received from partner installations (``/federation/alerts``): the
officials of the concerned country read them, with the holder's logbook one click away; other countries'
officials do not see them; roles that may not read inspections are refused."""

from __future__ import annotations

from datetime import date

import pytest

from certreg.actors import Actor
from certreg.cylinders import numbers
from certreg.extensions import db
from certreg.inspections import alerts
from certreg.vocabulary import Role
from tests.conftest import login
from tests.cylinders.builders import make_cylinder
from tests.factories import ensure_keys, make_company, make_user

SYSTEM = Actor.system("test")


def _unknown_serial(country: str = "KG", sequence: str = "990001") -> str:
    """A well-formed national serial that no cylinder here has."""
    return f"{country}-C-{sequence}-{numbers.check_digit(country, sequence)}"


def _receive(serials: list[str], reference: str = "KZ-SEIZ-2026-0042", origin: str | None = "CN"):
    ensure_keys("KG")  # the alert must be about a country this installation signs for
    alert, stored = alerts.receive(SYSTEM, "https://certreg.kz.example", "Kazakhstan", alerts.AlertData(
        reference=reference, seizing_country="KZ", seized_on=date(2026, 11, 30), place="Khorgos border post",
        origin_country=origin, goods=[{"substance": "HFC-134a", "kg": "12.500", "cylinders": 1, "serials": serials},
                                      {"substance": "HCFC-22", "kg": "3.000", "cylinders": 0, "serials": []}],
        serials=serials))
    assert stored
    db.session.commit()
    return alert


def _page(client, user) -> tuple[int, str]:
    login(client, user)
    response = client.get("/federation/alerts")
    return response.status_code, response.get_data(as_text=True)


def test_an_inspector_of_the_country_reads_the_alert_with_its_facts_and_the_holder(client):
    company = make_company(country_code="KG", activities=["importer", "dealer"], legal_name="Salkyn Gaz LLC")
    cylinder = make_cylinder(company)
    serial = cylinder.serial
    alert = _receive([serial])
    assert alert.logbook_id is not None
    status, html = _page(client, make_user(Role.INSPECTOR, "KG"))
    assert status == 200
    for fact in ("Kazakhstan", "https://certreg.kz.example", "KZ-SEIZ-2026-0042", "Khorgos border post",
                 "HFC-134a", "12.500 kg", "HCFC-22", "3.000 kg", "15.500 kg", serial, "Salkyn Gaz LLC"):
        assert fact in html, fact
    assert 'data-alert="KZ-SEIZ-2026-0042"' in html
    assert f'href="/logbook/company/{company.id}"' in html  # the holder's logbook, one click away
    assert "No seizure alert has been received." not in html


def test_newest_first_and_an_alert_without_a_holder(client):
    _receive([_unknown_serial(sequence="990001")], reference="KZ-OLD")
    _receive([_unknown_serial(sequence="990002")], reference="KZ-NEW", origin=None)
    status, html = _page(client, make_user(Role.AUDITOR, "KG"))
    assert status == 200
    assert html.index('data-alert="KZ-NEW"') < html.index('data-alert="KZ-OLD"')
    assert "No holder known here" in html


def test_another_countrys_official_does_not_see_it(client):
    ensure_keys("KZ")
    _receive([_unknown_serial()], reference="KZ-SEIZ-ONLY-KG")
    status, html = _page(client, make_user(Role.ADMIN, "KZ"))
    assert status == 200
    assert "KZ-SEIZ-ONLY-KG" not in html
    assert "No seizure alert has been received." in html


@pytest.mark.parametrize("role", [Role.CERTIFYING_OFFICER, Role.COMPANY_USER])
def test_roles_that_may_not_read_inspections_are_refused(client, role):
    _receive([_unknown_serial()], reference="KZ-SEIZ-SECRET")
    status, html = _page(client, make_user(role, "KG"))
    assert status == 403
    assert "KZ-SEIZ-SECRET" not in html


def test_empty_state(client):
    status, html = _page(client, make_user(Role.ADMIN, "KG"))
    assert status == 200
    assert "No seizure alert has been received." in html


def test_the_navigation_links_the_page_for_readers_only(app, client):
    status, html = _page(client, make_user(Role.INSPECTOR, "KG"))
    assert status == 200 and 'href="/federation/alerts"' in html
    other = app.test_client()
    login(other, make_user(Role.CERTIFYING_OFFICER, "KG"))
    assert 'href="/federation/alerts"' not in other.get("/").get_data(as_text=True)


def test_the_anomaly_lists_seizure_abroad_lines_link_the_page(client):
    _receive([_unknown_serial()], reference="KZ-SEIZ-LINKED")
    login(client, make_user(Role.ADMIN, "KG"))
    html = client.get("/reports/anomalies?date_from=2026-11-01&date_to=2026-12-31&kind=seizure_abroad").text
    line = html[html.index('data-kind="seizure_abroad"'):]
    assert 'href="/federation/alerts"' in line[:line.index("</tr>")]
