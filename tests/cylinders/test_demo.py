"""The demo fleet loads once, and its smuggling story shows on a market scan."""

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders.models import Cylinder, CylinderScan
from certreg.db import today
from certreg.demo import data
from certreg.extensions import db
from certreg.reports import services
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyKind, ReviewState
from tests.factories import ensure_keys


def test_demo_fleet_loads_once_and_the_smuggled_cylinder_warns(client):
    ensure_keys("KG", "KZ", "UZ")
    data.load_registry()
    assert data.load_cylinders() >= 7
    assert data.load_cylinders() == 0  # idempotent
    smuggled = db.session.scalar(sa.select(Cylinder).where(Cylinder.stamp_number == data.SMUGGLED_STAMP))
    assert smuggled.status.value == "empty"
    page = client.get(f"/c/{smuggled.token}").text
    assert 'data-verdict="genuine"' in page and "refilled illegally" in page


def test_the_smuggling_story_is_caught_by_the_anomaly_list_and_the_market_scan(app):
    ensure_keys("KG", "KZ", "UZ")
    data.load_registry()
    data.load_cylinders()
    smuggled = db.session.scalar(sa.select(Cylinder).where(Cylinder.stamp_number == data.SMUGGLED_STAMP))
    scan = db.session.scalar(sa.select(CylinderScan).where(CylinderScan.cylinder_id == smuggled.id))
    assert scan.verdict == "genuine" and scan.inspector_user_id is not None  # the inspector at the market
    found = services.anomalies(Actor.system("test"), "KZ", Period.year(today().year), state=ReviewState.ALL)
    caught = {a.kind for a in found if smuggled.serial in a.facts.get("serials", [])}
    assert caught == {AnomalyKind.CLOSED_CYLINDER_SCANNED, AnomalyKind.NON_REFILLABLE_REFILL}
    assert found[0].kind is AnomalyKind.CLOSED_CYLINDER_SCANNED  # ranked first
