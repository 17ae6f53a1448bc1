"""Acceptance 2: 50 concurrent 1 kg sales against 20 kg of stock, on real connections.

Exactly 20 succeed, 30 are refused with ``insufficient_stock`` (and kept as refused
attempts), the stock ends at 0 and the Merkle log verifies. On SQLite the writers queue
on ``BEGIN IMMEDIATE``: no "database is locked".
"""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.errors import ValidationFailed, roll_back
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.logbook import queries, recording, verify
from certreg.logbook.models import Condition, Entry, EntryKind, Refusal
from tests import dbutil
from tests.conftest import make_test_app
from tests.logbook.conftest import People, certify, entry_data

pytestmark = pytest.mark.live

SALES, STOCK = 50, 20


@pytest.fixture
def concurrent_app(tmp_path):
    url = dbutil.fresh_database("concurrency")
    app = make_test_app(url, SIGNING_KEYS_DIR=str(tmp_path / "keys"),
                        SQLALCHEMY_ENGINE_OPTIONS=dbutil.CONCURRENT_ENGINE_OPTIONS)
    dbutil.upgrade(app)
    keys._private_cache.clear()
    yield app
    keys._private_cache.clear()
    with app.app_context():
        db.engine.dispose()
    dbutil.drop_database(url)


def test_fifty_concurrent_sales_against_twenty_kilograms(concurrent_app):
    app = concurrent_app
    with app.app_context():
        people = People()
        cert = certify(people.kz_tech_record, ("A1",))
        recording.record_entry(people.dealer_actor, people.dealer, entry_data(
            "import", substance="R-404A", quantity=Decimal(STOCK)))
        db.session.commit()
        dealer, dealer_user_id, number = people.dealer, people.dealer_user.id, cert.number
        db.session.remove()

    barrier = threading.Barrier(SALES)
    outcomes: list[str] = []
    lock = threading.Lock()

    def sell() -> None:
        with app.app_context():
            from certreg.auth.models import User

            actor = Actor.of(db.session.get(User, dealer_user_id))
            db.session.rollback()  # start the race from a fresh transaction
            barrier.wait(timeout=60)
            try:
                recording.record_entry(actor, dealer, entry_data(
                    "sale", substance="R-404A", quantity=Decimal("1"), buyer_certificate=number))
                db.session.commit()
                outcome = "ok"
            except ValidationFailed as exc:
                roll_back(exc)
                outcome = exc.code
            except Exception as exc:  # "database is locked", deadlocks ...: a failure of the test
                db.session.rollback()
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=sell) for _ in range(SALES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(outcomes) == {"ok": STOCK, "insufficient_stock": SALES - STOCK}, outcomes
    with app.app_context():
        assert queries.stock_of(dealer, "R-404A", Condition.VIRGIN) == 0
        sales = db.session.scalars(sa.select(Entry).where(Entry.kind == EntryKind.SALE)).all()
        assert len(sales) == STOCK
        assert sorted(e.seq for e in db.session.scalars(sa.select(Entry))) == list(range(STOCK + 1))
        refusals = db.session.scalars(sa.select(Refusal)).all()
        assert len(refusals) == SALES - STOCK and {r.code for r in refusals} == {"insufficient_stock"}
        report = verify.verify_log("KZ")
        assert report.ok, report.problems
        assert report.entries == STOCK + 1
        db.session.remove()
