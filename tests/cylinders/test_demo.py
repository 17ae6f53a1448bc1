"""The demo fleet loads once, and its smuggling story shows on a market scan."""

import sqlalchemy as sa

from certreg.cylinders.models import Cylinder
from certreg.demo import data
from certreg.extensions import db
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
