"""The cylinder anomaly kinds in the ministry's ranked list: the smuggling story (a disposable cylinder
sold, emptied, a refill refused, then its label scanned at a market) comes out on top; a cylinder sold
and idle for longer than the setting is listed; an honest fleet raises none."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders import custody, scanning
from certreg.cylinders.events import FillData
from certreg.cylinders.models import ContentCondition, CylinderKind
from certreg.db import today
from certreg.errors import ValidationFailed, roll_back
from certreg.extensions import db
from certreg.reports import services, texts
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyKind, ReviewState
from certreg.vocabulary import Role
from tests.cylinders.builders import make_cylinder
from tests.factories import ensure_keys, make_company, make_user

SYSTEM = Actor.system("test")
CYLINDER_KINDS = [AnomalyKind.CLOSED_CYLINDER_SCANNED, AnomalyKind.NON_REFILLABLE_REFILL, AnomalyKind.CYLINDER_IDLE,
                  AnomalyKind.CUSTODY_GAP]


def ranked(state: ReviewState = ReviewState.ALL):
    return services.anomalies(SYSTEM, "KZ", Period.year(today().year), state=state)


@pytest.fixture
def holders(app):
    ensure_keys("KZ")
    return (make_company(country_code="KZ", legal_name="Importer", activities=["importer", "dealer"]),
            make_company(country_code="KZ", legal_name="Market stall 14", activities=["dealer"]))


def _smuggling_story(importer, stall):
    cylinder = make_cylinder(importer, kind=CylinderKind.NON_REFILLABLE, kg="13.6")
    custody.transfer(SYSTEM, cylinder, stall)
    custody.charge(SYSTEM, cylinder, Decimal("13.6"))  # the register says: emptied
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        custody.fill(SYSTEM, cylinder, FillData("HFC-134a", Decimal("13.6"), ContentCondition.VIRGIN))
    roll_back(refused.value)  # the refusal is kept
    inspector = Actor.of(make_user(Role.INSPECTOR, "KZ"))
    result = scanning.scan(cylinder.token, client="ip:203.0.113.7", inspector=inspector)  # at a market
    assert result.verdict == "genuine" and result.warnings
    db.session.commit()
    return cylinder


def test_the_smuggling_story_is_caught_twice_and_ranked_first(app, holders):
    cylinder = _smuggling_story(*holders)
    found = [a for a in ranked() if a.kind in CYLINDER_KINDS]
    assert [a.kind for a in found] == [AnomalyKind.CLOSED_CYLINDER_SCANNED, AnomalyKind.NON_REFILLABLE_REFILL]
    scanned, refill = found
    assert scanned.facts["serials"] == [cylinder.serial] and scanned.facts["by_inspectors"] == 1
    assert refill.facts == {"attempts": 1, "cylinders": 1, "serials": [cylinder.serial], "kg": "13.6"}
    assert cylinder.serial in texts.describe(scanned) and "empty or destroyed" in texts.describe(scanned)
    assert "13.6 kg" in texts.describe(refill)
    assert scanned.score > refill.score


def test_a_scan_before_the_cylinder_was_emptied_is_no_anomaly(app, holders):
    importer, stall = holders
    cylinder = make_cylinder(importer, kind=CylinderKind.NON_REFILLABLE, kg="13.6")
    db.session.commit()
    scanning.scan(cylinder.token, client="ip:203.0.113.7", inspector=None)
    custody.charge(SYSTEM, cylinder, Decimal("13.6"))
    db.session.commit()
    assert [a for a in ranked() if a.kind in CYLINDER_KINDS] == []


def test_a_cylinder_sold_and_idle_beyond_the_setting(app, holders):
    importer, stall = holders
    idle = make_cylinder(importer, kg="12")
    custody.transfer(SYSTEM, idle, stall)
    used = make_cylinder(importer, kg="12")
    custody.transfer(SYSTEM, used, stall)
    custody.charge(SYSTEM, used, Decimal("1"))
    db.session.commit()
    assert [a for a in ranked() if a.kind is AnomalyKind.CYLINDER_IDLE] == []  # sold today: 6 months to go
    app.config["REPORTS_CYLINDER_IDLE_MONTHS"] = 0
    [found] = [a for a in ranked() if a.kind is AnomalyKind.CYLINDER_IDLE]
    assert found.facts["serials"] == [idle.serial] and found.facts["kg"] == "12.000"
    assert "never charged from, returned or scanned" in texts.describe(found)
    scanning.scan(idle.token, client="ip:203.0.113.8", inspector=None)  # seen in use: no longer idle
    db.session.commit()
    assert [a for a in ranked() if a.kind is AnomalyKind.CYLINDER_IDLE] == []


def test_the_list_the_anomaly_page_and_a_review(app, client, holders):
    from tests.conftest import login, post_form

    cylinder = _smuggling_story(*holders)
    login(client, make_user(Role.ADMIN, "KZ"))
    html = client.get("/reports/anomalies?state=all").get_data(as_text=True)
    assert "Label of an empty or destroyed cylinder scanned in circulation" in html and cylinder.serial in html
    [scanned] = [a for a in ranked() if a.kind is AnomalyKind.CLOSED_CYLINDER_SCANNED]
    url = f"/reports/anomalies/closed_cylinder_scanned/{scanned.subject}"
    page = client.get(url)
    assert page.status_code == 200 and cylinder.serial in page.get_data(as_text=True)
    year = Period.year(today().year)
    done = post_form(client, url + "/review", {"note": "Seized at the market", "fingerprint": scanned.fingerprint,
                                               "date_from": year.date_from.isoformat(),
                                               "date_to": year.date_to.isoformat()}, page=url)
    assert done.status_code in (302, 303), done.get_data(as_text=True)[:500]
    assert [a for a in ranked(state=ReviewState.OPEN) if a.kind is AnomalyKind.CLOSED_CYLINDER_SCANNED] == []


def _stock_count(company, counted: str, cylinders: list[str], substance: str = "HFC-134a"):
    from certreg.logbook import holders, recording
    from certreg.logbook.drafts import EntryData
    from certreg.vocabulary import HolderKind

    who = holders.holder(HolderKind.COMPANY, company.id)
    entry = recording.record_entry(SYSTEM, who, EntryData(
        kind="stock_count", operation_date=today(), substance=substance, condition="virgin",
        counted_quantity=Decimal(counted), cylinders=cylinders, reason="Annual inventory"))
    db.session.commit()
    return entry


def test_a_stock_count_that_does_not_list_a_cylinder_the_holder_has(app, holders):
    importer, stall = holders
    counted = make_cylinder(importer, kg="12")
    missing = make_cylinder(importer, kg="10")
    make_cylinder(importer, kg="5", substance="HCFC-22")  # another substance: another count
    sold = make_cylinder(importer, kg="9")
    custody.transfer(SYSTEM, sold, stall)  # no longer the importer's
    db.session.commit()
    _stock_count(importer, "12", [counted.serial])
    [gap] = [a for a in ranked() if a.kind is AnomalyKind.CUSTODY_GAP]
    assert (gap.facts["serials"], gap.facts["kg"], gap.facts["named"]) == ([missing.serial], "10.000", True)
    assert gap.facts["substance"] == "HFC-134a"
    assert texts.describe(gap) == (f"The stock count of HFC-134a does not list 1 cylinder(s) holding 10 kg that the "
                                   f"register says the holder has: {missing.serial}.")
    assert [t.code for t in gap.terms] == ["base", "quantity"] and gap.score > 25
    _stock_count(importer, "22", [counted.serial, missing.serial])  # the next count lists both: no gap
    assert [a for a in ranked() if a.kind is AnomalyKind.CUSTODY_GAP] == []


def test_a_stock_count_naming_no_cylinder_is_compared_by_kilograms(app, holders):
    importer, _stall = holders
    first = make_cylinder(importer, kg="12")
    second = make_cylinder(importer, kg="10")
    db.session.commit()
    _stock_count(importer, "22", [])  # the kilograms of both: no gap
    assert [a for a in ranked() if a.kind is AnomalyKind.CUSTODY_GAP] == []
    _stock_count(importer, "15", [])
    [gap] = [a for a in ranked() if a.kind is AnomalyKind.CUSTODY_GAP]
    assert gap.facts["serials"] == sorted([first.serial, second.serial]) and gap.facts["named"] is False
    assert (gap.facts["counted_kg"], gap.facts["kg"]) == ("15.000", "22.000")
    assert texts.describe(gap).startswith("The stock count of HFC-134a found 15 kg, but the holder's 2 registered")


def test_cylinders_registered_after_the_count_or_empty_are_no_gap(app, holders):
    importer, _stall = holders
    counted = make_cylinder(importer, kg="12")
    emptied = make_cylinder(importer, kg="3")
    custody.charge(SYSTEM, emptied, Decimal("3"))
    db.session.commit()
    entry = _stock_count(importer, "12", [counted.serial])
    from certreg.cylinders.models import Cylinder

    later = make_cylinder(importer, kg="8")
    db.session.execute(sa.update(Cylinder).where(Cylinder.id == later.id)
                       .values(created_at=entry.recorded_at + timedelta(minutes=5)))
    db.session.commit()
    assert [a for a in ranked() if a.kind is AnomalyKind.CUSTODY_GAP] == []


def test_a_custody_gap_on_the_anomaly_pages(app, client, holders):
    from tests.conftest import login

    importer, _stall = holders
    missing = make_cylinder(importer, kg="10")
    db.session.commit()
    _stock_count(importer, "1", [])
    [gap] = [a for a in ranked() if a.kind is AnomalyKind.CUSTODY_GAP]
    login(client, make_user(Role.ADMIN, "KZ"))
    html = client.get("/reports/anomalies?state=all").get_data(as_text=True)
    assert "Custody gap (a stock count misses cylinders the holder has)" in html
    page = client.get(f"/reports/anomalies/custody_gap/{gap.subject}")
    assert page.status_code == 200 and missing.serial in page.get_data(as_text=True)
