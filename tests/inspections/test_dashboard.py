"""The inspections dashboard (issue 14): inspections and seizures by border post, substance and month,
with known figures, the same on the page and in the API; a bad period is refused with its code."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from certreg.errors import Forbidden, ValidationFailed
from certreg.extensions import db
from certreg.inspections import dashboard, seizures
from certreg.vocabulary import Role
from tests import factories
from tests.conftest import login
from tests.inspections.builders import border_post, inspector, mismatch, start

OCT, NOV = date(2026, 10, 1), date(2026, 11, 30)


def _seize(actor, inspection, *goods):
    seizures.decide(actor, inspection, seizures.DecisionData(
        decision="seizure", storage_place="Customs store", goods=[seizures.GoodsData(s, kg) for s, kg in goods]))


@pytest.fixture
def story(app):
    """Three KZ inspections in October and November, one in December, one in KG."""
    actor = inspector("KZ")
    khorgos = border_post("KZ", "KHORGOS")
    at_post = dict(place_kind="border_post", border_post=khorgos.code, place="")
    first = start(actor, started_at="2026-10-05T09:00:00", **at_post)
    mismatch(actor, first)  # an HFC-134a label
    _seize(actor, first, ("CFC-12", "5"), ("HFC-134a", "2.5"))
    start(actor, started_at="2026-11-10T10:00:00", **at_post)  # nothing found
    market = start(actor, started_at="2026-11-20T11:00:00")  # a market stall
    mismatch(actor, market)
    _seize(actor, market, ("CFC-12", "10"))
    start(actor, started_at="2026-12-01T08:00:00", **at_post)  # after the period
    other = inspector("KG")
    _seize(other, start(other, started_at="2026-11-02T08:00:00"), ("CFC-12", "99"))  # another country
    db.session.commit()
    return actor


def _table(rows):
    return [(r.key, r.inspections, r.seizures, r.seized_kg) for r in rows]


def test_known_figures_by_border_post_substance_and_month(story):
    found = dashboard.figures(story, "KZ", OCT, NOV)
    assert (found.total.inspections, found.total.seizures, found.total.seized_kg) == (3, 2, Decimal("17.5"))
    assert _table(found.by_border_post) == [("KHORGOS", 2, 1, Decimal("7.5")), ("", 1, 1, Decimal("10"))]
    assert found.by_border_post[0].label == "Khorgos border post"
    assert _table(found.by_substance) == [("CFC-12", 2, 2, Decimal("15")), ("HFC-134a", 2, 1, Decimal("2.5"))]
    assert _table(found.by_month) == [("2026-10", 1, 1, Decimal("7.5")), ("2026-11", 2, 1, Decimal("10"))]
    december = dashboard.figures(story, "KZ", date(2026, 12, 1), date(2026, 12, 31))
    assert _table(december.by_month) == [("2026-12", 1, 0, Decimal("0"))]


def test_readers_only_and_a_bad_period_is_refused(story):
    with pytest.raises(Forbidden):
        dashboard.figures(inspector("KG"), "KZ", OCT, NOV)
    with pytest.raises(ValidationFailed) as caught:
        dashboard.period("2026-11-30", "2026-10-01", default_year=2026)
    assert caught.value.code == "invalid_period" and "date_to" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        dashboard.period("30.11.2026", None, default_year=2026)
    assert caught.value.code == "invalid_date" and "date_from" in caught.value.fields
    assert dashboard.period(None, "", default_year=2026) == (date(2026, 1, 1), date(2026, 12, 31))


def test_the_api_shows_the_same_figures(story, api):
    api.token = factories.make_token(factories.make_user(Role.AUDITOR, "KZ"))
    answer = api.get("/countries/KZ/inspection-figures?date_from=2026-10-01&date_to=2026-11-30")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["total"] == {"key": "", "label": "All inspections", "inspections": 3, "seizures": 2,
                             "seized_kg": "17.500"}
    assert [(r["key"], r["inspections"], r["seizures"], r["seized_kg"]) for r in body["by_substance"]] == [
        ("CFC-12", 2, 2, "15.000"), ("HFC-134a", 2, 1, "2.500")]
    assert [r["key"] for r in body["by_month"]] == ["2026-10", "2026-11"]
    refused = api.get("/countries/KZ/inspection-figures?date_from=2026-12-01&date_to=2026-11-01")
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "invalid_period"


def test_the_page_shows_the_tables(story, client):
    login(client, factories.make_user(Role.ADMIN, "KZ"))
    html = client.get("/inspections/dashboard?date_from=2026-10-01&date_to=2026-11-30").get_data(as_text=True)
    assert "3 inspection(s), 2 seizure(s), 17.500 kg seized" in html
    assert 'data-key="KHORGOS"' in html and 'data-key="2026-11"' in html and "Not at a border post" in html
    assert 'data-label="Seizures"' in html  # the cells carry their column's name for a phone's stacked table
    assert "/inspections/dashboard" in client.get("/inspections").get_data(as_text=True)
    refused = client.get("/inspections/dashboard?date_from=2026-13-01")
    assert refused.status_code == 422 and "Enter a date as YYYY-MM-DD." in refused.get_data(as_text=True)
