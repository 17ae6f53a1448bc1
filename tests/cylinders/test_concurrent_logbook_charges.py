"""Acceptance 4 (part) of issue 12: 50 concurrent charge entries from one cylinder, through the logbook.

Each thread records a 1 kg charge entry naming the same cylinder (20 kg of HFC-134a) on its own
connection (``recording.record_entry``, the path every surface takes). Exactly 20 are recorded
and 30 refused with ``contents_below_zero``; the cylinder ends at 0, never below; every charge
event is in the country's log and ``flask logbook verify`` passes.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders import custody
from certreg.cylinders.models import Cylinder, CylinderEvent, EventKind
from certreg.errors import ValidationFailed, roll_back
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.logbook import equipment as eq
from certreg.logbook import holders, recording
from certreg.vocabulary import HolderKind, Role
from tests import dbutil, factories
from tests.conftest import make_test_app
from tests.cylinders.builders import make_cylinder
from tests.logbook.conftest import TODAY, entry_data

pytestmark = pytest.mark.live

CHARGES, CONTENTS = 50, 20


@pytest.fixture
def concurrent_app(tmp_path):
    url = dbutil.fresh_database("cylcharges")
    app = make_test_app(url, SIGNING_KEYS_DIR=str(tmp_path / "keys"),
                        SQLALCHEMY_ENGINE_OPTIONS=dbutil.CONCURRENT_ENGINE_OPTIONS)
    dbutil.upgrade(app)
    keys._private_cache.clear()
    yield app
    keys._private_cache.clear()
    with app.app_context():
        db.engine.dispose()
    dbutil.drop_database(url)


def test_fifty_concurrent_charge_entries_never_take_a_cylinder_below_zero(concurrent_app):
    app = concurrent_app
    with app.app_context():
        dealer = factories.make_company(country_code="KZ", activities=["importer", "dealer"])
        cylinder = make_cylinder(dealer, substance="HFC-134a", capacity="26.8", kg=str(CONTENTS))
        tech = factories.make_technician(country_code="KZ")
        user = factories.make_user(Role.TECHNICIAN, "KZ", technician=tech)
        factories.make_certificate(tech, categories=("A1",), valid_from=TODAY - timedelta(days=10))
        book = holders.holder(HolderKind.TECHNICIAN, tech.id)
        custody.transfer(Actor.system("test"), cylinder, tech)
        recording.record_entry(Actor.of(user), book, entry_data(
            "purchase", substance="HFC-134a", quantity=Decimal("100"), counterparty_name="Dealer"))
        unit = eq.register(Actor.of(user), book, eq.EquipmentData(
            owner_kind="company", owner_name="Mall", site_address="Astana", kind="air_conditioning",
            substance="HFC-134a", nominal_charge=Decimal("500")))
        db.session.commit()
        ids = (cylinder.id, cylinder.serial, user.id, tech.id, unit.code)
        db.session.remove()
    cylinder_id, serial, user_id, tech_id, unit_code = ids

    barrier = threading.Barrier(CHARGES)
    outcomes: list[str] = []
    lock = threading.Lock()

    def charge() -> None:
        with app.app_context():
            db.session.rollback()
            from certreg.auth.models import User

            actor = Actor.of(db.session.get(User, user_id))
            book = holders.holder(HolderKind.TECHNICIAN, tech_id)
            db.session.rollback()  # hold no transaction (on SQLite, no write lock) while the others get ready
            barrier.wait(timeout=60)
            try:
                recording.record_entry(actor, book, entry_data(
                    "charge", substance="HFC-134a", quantity=Decimal("1"), equipment=unit_code, cylinders=[serial]))
                db.session.commit()
                outcome = "ok"
            except ValidationFailed as exc:
                roll_back(exc)
                outcome = exc.code
            except Exception as exc:  # a deadlock, a locked database ...: a failure of the test
                db.session.rollback()
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=charge) for _ in range(CHARGES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert Counter(outcomes) == {"ok": CONTENTS, "contents_below_zero": CHARGES - CONTENTS}, outcomes
    with app.app_context():
        assert db.session.get(Cylinder, cylinder_id).net_kg == 0
        charges = db.session.scalars(sa.select(CylinderEvent).where(CylinderEvent.kind == EventKind.CHARGE)).all()
        assert len(charges) == CONTENTS and min(e.net_kg_after for e in charges) == 0
        assert all(e.entry_id is not None and e.seq is not None for e in charges)
        result = app.test_cli_runner().invoke(args=["logbook", "verify", "--country", "KZ"])
        assert result.exit_code == 0, result.output
        db.session.remove()
