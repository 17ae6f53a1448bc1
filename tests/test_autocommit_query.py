"""AutocommitQuery: the public page's one status read, on connections kept for it."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from certreg.autocommit_query import AutocommitQuery
from certreg.certificates import verification
from certreg.certificates.models import Certificate, CertificateStatus
from certreg.db import utcnow
from certreg.extensions import db
from tests import dbutil
from tests.conftest import make_test_app
from tests.factories import make_certificate

pytestmark = [pytest.mark.live]  # committed data, seen from other connections


@pytest.fixture
def site(tmp_path):
    url = dbutil.fresh_database("autocommitquery")
    app = make_test_app(url, SIGNING_KEYS_DIR=str(tmp_path / "keys"))
    dbutil.upgrade(app)
    with app.app_context():
        number = make_certificate().number
        db.session.commit()
        db.session.remove()
    try:
        yield app, number
    finally:
        with app.app_context():
            db.engine.dispose()
        dbutil.drop_database(url)


def _idle(read: AutocommitQuery, engine) -> list:
    return [connection for _pid, connection in read._idle[engine]]


def test_reads_what_the_orm_reads_and_sees_every_commit_at_once(site):
    app, number = site
    read = AutocommitQuery(verification.STATUS_QUERY)
    with app.app_context():
        row = read.first(db.engine, number=number)
        orm = db.session.execute(verification.STATUS_QUERY, {"number": number}).first()
        db.session.remove()
        assert tuple(row) == tuple(orm)  # same values, same types (enum, dates) on both databases
        assert row.status is CertificateStatus.ACTIVE and row.number == number
        assert read.first(db.engine, number="KG-T-2026-999999-9") is None

        db.session.execute(sa.update(Certificate).where(Certificate.number == number)
                           .values(status=CertificateStatus.REVOKED, revoked_at=utcnow()))
        db.session.commit()
        db.session.remove()
        # No snapshot is kept between reads: the revocation shows on the very next one.
        row = read.first(db.engine, number=number)
        assert row.status is CertificateStatus.REVOKED and row.revoked_at is not None


def test_connections_are_reused_across_threads_replaced_when_lost_and_closed_on_dispose(site):
    app, number = site
    read = AutocommitQuery(verification.STATUS_QUERY)
    with app.app_context():
        engine = db.engine
        assert read.first(engine, number=number).number == number
        (first,) = _idle(read, engine)
        assert read.first(engine, number=number) is not None and _idle(read, engine) == [first]  # kept, reused

        def in_other_threads():  # a threaded server runs each request in a thread of its own
            assert read.first(engine, number=number).number == number

        for _ in range(3):
            thread = threading.Thread(target=in_other_threads)
            thread.start()
            thread.join()
        assert _idle(read, engine) == [first] and read.idle_connections(engine) == 1  # none left behind

        first.close()  # the server went away under it
        assert read.first(engine, number=number).number == number  # retried on a new connection
        (replaced,) = _idle(read, engine)
        assert replaced is not first

        engine.dispose()
        with pytest.raises(engine.dialect.loaded_dbapi.Error):  # closed with the engine
            replaced.cursor().execute("SELECT 1")
        assert read.idle_connections(engine) == 0
        assert read.first(engine, number=number).number == number  # and a new one is opened


def test_a_bad_statement_is_an_sqlalchemy_error_and_the_connection_is_dropped(site):
    app, _ = site
    read = AutocommitQuery(sa.select(sa.column("nothing")).select_from(sa.table("no_such_table")))
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError):
            read.first(db.engine)
        assert read.idle_connections(db.engine) == 0
