"""``seizure_abroad``: a peer installation's seizure alert, ranked in the ministry's anomaly list."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders.numbers import check_digit
from certreg.db import today
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.federation.models import OutgoingQuestion
from certreg.inspections import alerts, seizures
from certreg.logbook.models import Logbook
from certreg.reports import anomalies, scores, texts
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyKind
from certreg.vocabulary import Role
from tests.conftest import login
from tests.cylinders.builders import make_cylinder
from tests.factories import ensure_keys, make_company, make_user
from tests.inspections.builders import inspector, start

SYSTEM = Actor.system("test")


def _period() -> Period:
    return Period(today() - timedelta(days=30), today())


def _alert(serial: str, reference: str, *, kg: str = "12", substance: str = "HFC-134a", origin: str | None = "KG",
           sender: str = "http://kz.example"):
    body = {"reference": reference, "seizing_country": "KZ", "seized_on": today().isoformat(),
            "place": "Khorgos border post (KHORGOS)", "origin_country": origin,
            "goods": [{"substance": substance, "kg": kg, "cylinders": 1, "serials": [serial]}]}
    return alerts.receive(SYSTEM, sender, "Kazakhstan", alerts.parse(body))


def test_an_alert_is_held_against_the_cylinders_holder_and_ranks_above_an_inspection_finding():
    company = make_company(country_code="KG", activities=["importer", "dealer"])
    cylinder = make_cylinder(company)
    alert, created = _alert(cylinder.serial, "KZ-SZ-1")
    again, created_again = _alert(cylinder.serial, "KZ-SZ-1")
    assert created and not created_again and again.id == alert.id
    logbook = db.session.scalar(sa.select(Logbook.id).where(Logbook.company_id == company.id))
    assert alert.country_code == "KG" and alert.logbook_id == logbook and alert.kg == Decimal("12.000")
    [found] = anomalies.detect("KG", _period(), kinds=[AnomalyKind.SEIZURE_ABROAD])
    assert found.logbook_id == logbook and found.holder.id == company.id
    assert [t.code for t in found.terms] == ["base", "quantity"]
    assert found.score == Decimal(70) + scores.quantity(Decimal(12)).points
    assert "KZ seized 12 kg of HFC-134a at Khorgos border post (KHORGOS)" in texts.describe(found)
    # the same kilograms found by one's own inspection rank lower: a seizure abroad is the graver sign
    assert scores.BASE[AnomalyKind.SEIZURE_ABROAD] > scores.BASE[AnomalyKind.INSPECTION_FINDING]


def test_more_alerts_and_an_annex_a_substance_rank_higher():
    first, second = make_company(country_code="KG"), make_company(country_code="KG")
    one, two, three = make_cylinder(first), make_cylinder(second), make_cylinder(second)
    _alert(one.serial, "KZ-SZ-10", kg="12")
    _alert(two.serial, "KZ-SZ-11", kg="12")
    _alert(three.serial, "KZ-SZ-12", kg="12", substance="CFC-12")
    found = anomalies.detect("KG", _period(), kinds=[AnomalyKind.SEIZURE_ABROAD])
    assert [a.holder.id for a in found] == [second.id, first.id]
    assert [t.code for t in found[0].terms] == ["base", "count", "quantity", "annex_ab"]
    assert found[0].facts["count"] == 2 and found[0].facts["kg"] == "24.000"
    assert found[0].score > found[1].score


def test_an_alert_without_a_known_holder_is_held_against_the_country():
    ensure_keys("KG")
    alert, _created = _alert("KG-C-999999-" + check_digit("KG", "999999"), "KZ-SZ-20")
    assert alert.logbook_id is None and alert.country_code == "KG"
    [found] = anomalies.detect("KG", _period(), kinds=[AnomalyKind.SEIZURE_ABROAD])
    assert found.logbook_id is None and found.subject == 0 and found.holder is None
    assert anomalies.find("KG", _period(), AnomalyKind.SEIZURE_ABROAD, 0).digest == found.digest


@pytest.mark.parametrize(("change", "code"), [
    ({"goods": []}, "bad_alert"),
    ({"seized_on": "yesterday"}, "bad_alert"),
    ({"seizing_country": "Kazakhstan"}, "bad_alert"),
    ({"goods": [{"substance": "HFC-134a", "kg": "-1", "cylinders": 0, "serials": []}]}, "bad_alert"),
    ({"goods": [{"substance": "HFC-134a", "kg": "1", "cylinders": 0, "serials": ["not a serial"]}]}, "bad_alert"),
    ({"origin_country": "CN", "goods": [{"substance": "HFC-134a", "kg": "1", "cylinders": 1, "serials": []}]},
     "not_our_country"),
])
def test_a_bad_or_foreign_alert_is_refused_and_nothing_is_stored(change, code):
    ensure_keys("KG")
    body = {"reference": "KZ-SZ-30", "seizing_country": "KZ", "seized_on": today().isoformat(), "place": "Khorgos",
            "origin_country": "KG", "goods": [{"substance": "HFC-134a", "kg": "1", "cylinders": 1, "serials": []}]}
    body.update(change)
    with pytest.raises(ValidationFailed) as refused:
        alerts.receive(SYSTEM, "http://kz.example", "Kazakhstan", alerts.parse(body))
    assert refused.value.code == code
    assert alerts.received(SYSTEM, None) == []


def test_the_anomaly_page_says_who_seized_what_where(client):
    company = make_company(country_code="KG", activities=["importer", "dealer"], legal_name="Salkyn Gaz LLC")
    cylinder = make_cylinder(company)
    alert, _created = _alert(cylinder.serial, "KZ-SZ-40", kg="7.5")
    login(client, make_user(Role.ADMIN, "KG"))
    period = _period()
    page = client.get(f"/reports/anomalies/seizure_abroad/{alert.logbook_id}?date_from={period.date_from}"
                      f"&date_to={period.date_to}")
    assert page.status_code == 200
    assert "Goods seized abroad" in page.text and "Salkyn Gaz LLC" in page.text
    assert "KZ seized 7.5 kg of HFC-134a at Khorgos border post (KHORGOS)" in page.text and cylinder.serial in page.text


def test_a_seizure_may_name_a_neighbours_cylinder_but_not_an_unknown_one_of_its_own():
    ensure_keys("KG")
    actor = inspector("KG")
    foreign = f"KZ-C-000042-{check_digit('KZ', '000042')}"
    inspection = start(actor)
    seizures.decide(actor, inspection, seizures.DecisionData(
        decision="seizure", storage_place="Post store", goods=[seizures.GoodsData("HFC-134a", "5", 0, [foreign])]))
    goods = seizures.seizure_of(inspection).goods[0]
    assert goods.serials == foreign and goods.cylinders == 1 and goods.entry_id is None
    # no peer serves KZ here: nothing is queued
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingQuestion)) == 0
    own_unknown = f"KG-C-000042-{check_digit('KG', '000042')}"
    with pytest.raises(ValidationFailed) as refused:
        seizures.decide(actor, start(actor), seizures.DecisionData(
            decision="seizure", storage_place="Post store",
            goods=[seizures.GoodsData("HFC-134a", "5", 0, [own_unknown])]))
    assert refused.value.code == "unknown_cylinder"
