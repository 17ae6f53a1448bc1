"""The write-behind flush (one executemany on SQLite, one COPY on PostgreSQL) stores what the ORM would."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from certreg.certificates.models import CertificateScan
from certreg.certificates.scanlog import ScanLog
from certreg.certificates.verification import Verdict
from certreg.cylinders.models import CylinderScan
from certreg.db import utcnow
from certreg.extensions import db
from tests import dbutil
from tests.conftest import make_test_app
from tests.factories import make_certificate

pytestmark = [pytest.mark.live]  # committed data, written on a connection of its own


@pytest.fixture
def site(tmp_path):
    url = dbutil.fresh_database("scanflush")
    # Written behind, with the writer thread asleep: the test calls flush() itself.
    app = make_test_app(url, SIGNING_KEYS_DIR=str(tmp_path / "keys"), VERIFY_LOG_FLUSH_SECONDS=3600)
    dbutil.upgrade(app)
    with app.app_context():
        certificate_id = make_certificate().id
        db.session.commit()
        db.session.remove()
    try:
        yield app, certificate_id
    finally:
        with app.app_context():
            db.engine.dispose()
        dbutil.drop_database(url)


def _stored(model) -> list[tuple]:
    columns = [column for column in model.__table__.c if column.name != "id"]
    rows = db.session.execute(sa.select(*columns).order_by(model.id)).all()
    db.session.remove()
    return [tuple(row) for row in rows]


def test_flushed_scans_are_the_rows_the_orm_stores(site):
    app, certificate_id = site
    at = utcnow() - timedelta(minutes=5)
    certificate_rows = [
        {"at": at, "certificate_id": certificate_id, "number": "KG-T-2026-000001-1", "verdict": Verdict.VALID,
         "channel": "page", "inspector_user_id": None},
        {"at": at + timedelta(seconds=1), "certificate_id": None, "number": None, "verdict": Verdict.INVALID_SIGNATURE,
         "channel": "api", "inspector_user_id": None},
        {"at": at + timedelta(seconds=2), "certificate_id": None, "number": "it's \\ a \t\"number\"\n",
         "verdict": Verdict.UNKNOWN, "channel": "status", "inspector_user_id": None},
    ]
    cylinder_rows = [{"at": at, "cylinder_id": None, "serial": "KG-C-000001-2", "verdict": "genuine",
                      "inspector_user_id": None}]
    with app.app_context():
        for model, rows in ((CertificateScan, certificate_rows), (CylinderScan, cylinder_rows)):
            for row in rows:  # the unbuffered path: the ORM in a transaction
                db.session.add(model(**row))
            db.session.commit()
            by_orm = _stored(model)
            db.session.execute(sa.delete(model))
            db.session.commit()

            log = ScanLog(app, model.__table__)
            for row in rows:
                log.record(row)
            assert log.flush() == len(rows) and log.flush() == 0
            assert _stored(model) == by_orm and len(by_orm) == len(rows)


def _good_scan(certificate_id: int) -> dict:
    return {"at": utcnow(), "certificate_id": certificate_id, "number": "KG-T-2026-000001-1",
            "verdict": Verdict.VALID, "channel": "page", "inspector_user_id": None}


def test_a_flush_that_fails_writes_nothing_and_keeps_the_scans_for_the_next(site):
    app, certificate_id = site
    good = _good_scan(certificate_id)
    with app.app_context():
        log = ScanLog(app)
        log.record(good)
        log.record({**good, "certificate_id": 987654})  # no such certificate: the foreign key refuses the batch
        with pytest.raises(sa.exc.IntegrityError):
            log.flush()
        assert _stored(CertificateScan) == [] and len(log.scans) == 2
        log.scans.pop()
        assert log.flush() == 1 and len(_stored(CertificateScan)) == 1


def test_a_scan_row_naming_other_columns_is_refused_when_recorded_not_in_the_flush(site):
    """Each scan is made ready for the database in its own request (certreg.db.BulkRows): a row that does not
    name exactly the first one's columns is refused there, and never spoils the batch the others are in."""
    app, certificate_id = site
    good = _good_scan(certificate_id)
    with app.app_context():
        log = ScanLog(app)
        log.record(good)
        with pytest.raises(ValueError, match="must name exactly"):
            log.record({key: value for key, value in good.items() if key != "channel"})
        with pytest.raises(ValueError, match="must name exactly"):
            log.record({**good, "extra": 1})
        assert len(log.scans) == 1
        assert log.flush() == 1 and len(_stored(CertificateScan)) == 1


def test_a_copy_row_reuses_the_text_of_a_value_only_when_it_is_the_same_object():
    """``BulkRows.row`` formats a value again unless it is the very object of the row before (an import's time,
    its holder, an enum member): each row's COPY text is what a fresh ``BulkRows`` gives for it alone."""
    from datetime import UTC, datetime, timezone
    from decimal import Decimal

    from sqlalchemy.dialects import postgresql

    from certreg.cylinders.models import Cylinder
    from certreg.db import BulkRows

    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    base = {"country_code": "KZ", "stamp_number": "CYL-1", "needs_registration": True, "custodian_company_id": 5,
            "custodian_technician_id": None, "status": "in_stock", "net_kg": Decimal(0), "fills": 0,
            "mixed": False, "created_at": now, "updated_at": now}
    rows = [base, dict(base, stamp_number="CYL-2"),
            dict(base, created_at=now.astimezone(timezone(timedelta(hours=5)))),  # the same instant, another object
            dict(base, net_kg=Decimal("0.000"), custodian_company_id=6), base]
    dialect = postgresql.psycopg.dialect()
    shared = BulkRows(dialect, Cylinder.__table__, list(base))
    texts = [shared.row(row) for row in rows]
    assert texts == [BulkRows(dialect, Cylinder.__table__, list(base)).row(row) for row in rows]
    assert texts[2] == texts[0]  # the same instant, written in UTC
    assert "\t0.000\t" in texts[3] and "\t6\t" in texts[3]  # 0.000 equals the 0 before it: another object
