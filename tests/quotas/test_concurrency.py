"""Issue 13, acceptance 2: 50 concurrent 1 kg imports through the API against a quota worth 20 kg.

Real threads, real connections, each a request of its own: exactly 20 are accepted, 30 refused
with ``quota_exceeded`` (422, kept as refused attempts), no 5xx, the accepted imports' uses add up
to the quota and the country's log (entries and quota lines) verifies. Runs on the database of
``TEST_DATABASE_URL`` (SQLite: writers queue on ``BEGIN IMMEDIATE``; PostgreSQL: on the log head's
row lock).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.logbook import verify
from certreg.logbook.models import Entry, EntryKind, Refusal
from certreg.quotas import services, usage
from certreg.quotas.models import QuotaLine, QuotaLineKind
from tests import dbutil, factories
from tests.conftest import make_test_app
from tests.logbook.conftest import People

pytestmark = pytest.mark.live

IMPORTS, QUOTA_KG = 50, 20
ODP_22 = Decimal("0.055")


@pytest.fixture
def concurrent_app(tmp_path):
    url = dbutil.fresh_database("quotas")
    app = make_test_app(url, SIGNING_KEYS_DIR=str(tmp_path / "keys"),
                        SQLALCHEMY_ENGINE_OPTIONS=dbutil.CONCURRENT_ENGINE_OPTIONS)
    dbutil.upgrade(app)
    keys._private_cache.clear()
    yield app
    keys._private_cache.clear()
    with app.app_context():
        db.engine.dispose()
    dbutil.drop_database(url)


def test_fifty_concurrent_imports_never_exceed_the_quota(concurrent_app):
    app = concurrent_app
    year = date.today().year
    quota = QUOTA_KG * ODP_22 / 1000
    with app.app_context():
        people = People()
        system = Actor.system("tests")
        services.set_baseline(system, "KZ", "C/I", "1", "Ozone Secretariat")
        services.allocate(system, "KZ", year, "C/I", people.dealer_company.registration_number, quota)
        db.session.commit()
        token = factories.make_token(people.dealer_user)
        company_id = people.dealer_company.id
        db.session.remove()

    barrier = threading.Barrier(IMPORTS)
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()
    body = {"kind": "import", "operation_date": date.today().isoformat(), "substance": "HCFC-22", "quantity": 1,
            "import_licence": "KZ-IMP-1", "customs_declaration": "D-1", "origin_country": "CN",
            "exporter_name": "Example Chemical Co."}

    def import_one() -> None:
        client = app.test_client()
        barrier.wait(timeout=60)
        try:
            response = client.post("/api/v1/logbook/entries", json=body,
                                   headers={"Authorization": f"Bearer {token}"})
            outcome = (response.status_code, (response.get_json() or {}).get("error", {}).get("code", "ok"))
        except Exception as exc:  # a crash is a failure of the test, reported with the others
            outcome = (0, repr(exc))
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=import_one) for _ in range(IMPORTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert Counter(outcomes) == {(201, "ok"): QUOTA_KG, (422, "quota_exceeded"): IMPORTS - QUOTA_KG}, outcomes
    with app.app_context():
        imports = db.session.scalars(sa.select(Entry).where(Entry.kind == EntryKind.IMPORT)).all()
        assert len(imports) == QUOTA_KG
        uses = db.session.scalars(sa.select(QuotaLine).where(QuotaLine.kind == QuotaLineKind.USE)).all()
        assert sorted(u.entry_id for u in uses) == sorted(e.id for e in imports)  # nothing lost
        assert -sum(u.amount for u in uses) == quota
        assert usage.remaining("KZ", company_id, year, "C/I") == 0
        refusals = db.session.scalars(sa.select(Refusal.code)).all()
        assert Counter(refusals) == {"quota_exceeded": IMPORTS - QUOTA_KG}
        report = verify.verify_log("KZ")
        assert report.ok, report.problems
        assert report.entries == QUOTA_KG + 1  # the imports and the allocation
        db.session.remove()
