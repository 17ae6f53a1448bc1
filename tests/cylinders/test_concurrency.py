"""50 concurrent 1 kg charges from one cylinder holding 20 kg, on real connections.

Exactly 20 succeed and 30 are refused with ``contents_below_zero`` (and kept as refused
attempts); the cylinder ends at 0, never below (one conditional UPDATE per charge).
"""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders import custody
from certreg.cylinders.models import Cylinder, CylinderEvent, CylinderRefusal, EventKind
from certreg.errors import ValidationFailed, roll_back
from certreg.extensions import db
from certreg.keys import services as keys
from tests import dbutil
from tests.conftest import make_test_app
from tests.cylinders.builders import make_cylinder
from tests.factories import make_company

pytestmark = pytest.mark.live

CHARGES, CONTENTS = 50, 20


@pytest.fixture
def concurrent_app(tmp_path):
    url = dbutil.fresh_database("cylinders")
    app = make_test_app(url, SIGNING_KEYS_DIR=str(tmp_path / "keys"),
                        SQLALCHEMY_ENGINE_OPTIONS=dbutil.CONCURRENT_ENGINE_OPTIONS)
    dbutil.upgrade(app)
    keys._private_cache.clear()
    yield app
    keys._private_cache.clear()
    with app.app_context():
        db.engine.dispose()
    dbutil.drop_database(url)


def test_fifty_concurrent_charges_never_take_a_cylinder_below_zero(concurrent_app):
    app = concurrent_app
    with app.app_context():
        cylinder = make_cylinder(make_company(country_code="KG"), substance="R-404A", capacity="26.8",
                                 kg=str(CONTENTS))
        db.session.commit()
        cylinder_id = cylinder.id
        db.session.remove()

    barrier = threading.Barrier(CHARGES)
    outcomes: list[str] = []
    lock = threading.Lock()

    def draw() -> None:
        with app.app_context():
            db.session.rollback()
            barrier.wait(timeout=60)
            try:
                custody.charge(Actor.system("test"), db.session.get(Cylinder, cylinder_id), Decimal("1"))
                db.session.commit()
                outcome = "ok"
            except ValidationFailed as exc:
                roll_back(exc)
                outcome = exc.code
            except Exception as exc:  # locked database, deadlock ...: a failure of the test
                db.session.rollback()
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=draw) for _ in range(CHARGES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(outcomes) == {"ok": CONTENTS, "contents_below_zero": CHARGES - CONTENTS}, outcomes
    with app.app_context():
        assert db.session.get(Cylinder, cylinder_id).net_kg == 0
        charges = db.session.scalars(sa.select(CylinderEvent).where(CylinderEvent.kind == EventKind.CHARGE)).all()
        assert len(charges) == CONTENTS and min(e.net_kg_after for e in charges) == 0
        codes = db.session.scalars(sa.select(CylinderRefusal.code)).all()
        assert Counter(codes) == {"contents_below_zero": CHARGES - CONTENTS}
        db.session.remove()
