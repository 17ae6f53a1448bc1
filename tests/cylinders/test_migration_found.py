"""Migration 0015fo: a database with a lost cylinder takes the ``found`` kind in place.

The checks of ``cylinder_events`` and ``cylinder_refusals`` are widened without copying the
tables (on SQLite the append-only triggers of ``cylinder_events`` must survive); the lost cylinder
is then found, the log verifies, and the downgrade refuses while a ``found`` event exists.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from certreg.actors import Actor
from certreg.cylinders import custody
from certreg.cylinders.models import Cylinder, CylinderStatus
from certreg.extensions import db
from certreg.logbook import verify
from tests import dbutil
from tests.conftest import make_test_app
from tests.cylinders.builders import make_cylinder

pytestmark = pytest.mark.live


def _kinds(cylinder_id: int) -> list[str]:
    return db.session.scalars(sa.text("SELECT kind FROM cylinder_events WHERE cylinder_id = :c ORDER BY seq"),
                              {"c": cylinder_id}).all()


def test_a_lost_cylinder_is_found_after_the_upgrade_and_the_events_stay_append_only(caplog):
    previous = ScriptDirectory("migrations").get_revision("0015fo").down_revision
    url = dbutil.fresh_database("m0015fo")
    app = make_test_app(url)
    try:
        with app.app_context():
            upgrade(revision=previous)
            cylinder = make_cylinder()
            custody.report_lost(Actor.system("test"), cylinder, note="Police 1")
            cylinder_id = cylinder.id
            db.session.commit()
            db.session.remove()

            upgrade()
            cylinder = db.session.get(Cylinder, cylinder_id)
            custody.report_found(Actor.system("test"), cylinder, note="Police 1: found")
            db.session.commit()
            assert cylinder.status is CylinderStatus.IN_STOCK
            assert _kinds(cylinder_id)[-2:] == ["lost", "found"]
            assert verify.verify_log("KG").ok
            with pytest.raises(sa.exc.DBAPIError), db.session.begin_nested():  # still append-only
                db.session.execute(sa.text("UPDATE cylinder_events SET note = 'edited' WHERE kind = 'found'"))
            db.session.rollback()
            with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():  # the check still checks
                db.session.execute(sa.text(
                    "INSERT INTO cylinder_refusals (at, country_code, actor_label, kind, code, message) "
                    "VALUES (CURRENT_TIMESTAMP, 'KG', 'test', 'mislaid', 'x', 'x')"))
            db.session.rollback()
            db.session.remove()

            with pytest.raises(SystemExit):  # Flask-Migrate logs the migration's RuntimeError and exits 1
                downgrade(revision=previous)
            assert "cylinder_events has rows with kind in ['found']" in caplog.text
            db.session.remove()
            assert _kinds(cylinder_id)[-1] == "found"
            db.session.execute(sa.text(  # nothing was narrowed: a refused "found" attempt is still accepted
                "INSERT INTO cylinder_refusals (at, country_code, actor_label, kind, code, message) "
                "VALUES (CURRENT_TIMESTAMP, 'KG', 'test', 'found', 'cylinder_not_lost', 'x')"))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
    finally:
        with app.app_context():
            db.engine.dispose()
        dbutil.drop_database(url)
