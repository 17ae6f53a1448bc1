"""certreg.database.LoneRead: the public page's one read, on a connection kept per thread."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from certreg import database
from certreg.certificates import services
from certreg.certificates.models import Certificate, CertificateStatus
from certreg.extensions import db
from tests import dbutil
from tests.conftest import make_test_app
from tests.factories import make_certificate

pytestmark = [pytest.mark.live]  # committed data, seen from other connections


@pytest.fixture
def site(tmp_path):
    url = dbutil.fresh_database("loneread")
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


def _kept(read: database.LoneRead, engine):
    return read._local.connections[engine][1]


def test_reads_what_the_orm_reads_and_sees_every_commit_at_once(site):
    app, number = site
    read = database.LoneRead(services._STATUS_QUERY)
    with app.app_context():
        row = read.first(db.engine, number=number)
        orm = db.session.execute(services._STATUS_QUERY, {"number": number}).first()
        db.session.remove()
        assert tuple(row) == tuple(orm)  # same values, same types (enum, dates) on both databases
        assert row.status is CertificateStatus.ACTIVE and row.number == number
        assert read.first(db.engine, number="KG-T-2026-999999-9") is None

        db.session.execute(sa.update(Certificate).where(Certificate.number == number)
                           .values(status=CertificateStatus.REVOKED, revoked_at=services.utcnow()))
        db.session.commit()
        db.session.remove()
        # No snapshot is kept between reads: the revocation shows on the very next one.
        row = read.first(db.engine, number=number)
        assert row.status is CertificateStatus.REVOKED and row.revoked_at is not None


def test_one_connection_per_thread_a_lost_one_is_replaced_and_dispose_closes_them(site):
    app, number = site
    read = database.LoneRead(services._STATUS_QUERY)
    with app.app_context():
        engine = db.engine
        assert read.first(engine, number=number).number == number
        first = _kept(read, engine)
        assert read.first(engine, number=number) is not None and _kept(read, engine) is first  # kept, not pooled

        other: list = []

        def in_another_thread():
            read.first(engine, number=number)
            other.append(_kept(read, engine))

        thread = threading.Thread(target=in_another_thread)
        thread.start()
        thread.join()
        assert other and other[0] is not first

        first.close()  # the server went away under it
        assert read.first(engine, number=number).number == number  # retried on a new connection
        replaced = _kept(read, engine)
        assert replaced is not first

        engine.dispose()
        for connection in (replaced, other[0]):  # every thread's connection is closed
            with pytest.raises(engine.dialect.loaded_dbapi.Error):
                connection.cursor().execute("SELECT 1")
        assert read.first(engine, number=number).number == number  # and new ones are opened


def test_a_bad_statement_is_an_sqlalchemy_error_and_the_connection_is_dropped(site):
    app, _ = site
    read = database.LoneRead(sa.select(sa.column("nothing")).select_from(sa.table("no_such_table")))
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError):
            read.first(db.engine)
        assert db.engine not in read._local.connections
