"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

import certreg.models  # noqa: F401
from certreg.extensions import db
from tests import dbutil
from tests.conftest import make_test_app


def schema_differences(app) -> list:
    from importlib import util
    from pathlib import Path

    spec = util.spec_from_file_location("certreg_migrations_env_hooks", Path("migrations/env_hooks.py"))
    hooks = util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": hooks.include_object,
                "render_as_batch": True,
            },
        )
        return compare_metadata(context, db.metadata)


def append_only_triggers(app) -> set[str]:
    """The triggers guarding ``logbook_entries`` (0004; SQLite batch copies, e.g. 0012la, must put them back)."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'logbook_entries'"
        else:
            query = ("SELECT tgname FROM pg_trigger WHERE tgrelid = 'logbook_entries'::regclass "
                     "AND NOT tgisinternal")
        return set(connection.scalars(sa.text(query)))


@pytest.mark.live
def test_upgrade_from_empty_matches_the_models_then_downgrade_and_upgrade_again():
    url = dbutil.fresh_database("migrations")
    app = make_test_app(url)
    try:
        dbutil.upgrade(app)
        assert schema_differences(app) == []
        assert append_only_triggers(app) in ({"logbook_entries_no_update", "logbook_entries_no_delete"},
                                             {"logbook_entries_append_only", "logbook_entries_no_truncate"})
        with app.app_context():
            countries = db.session.scalar(sa.text("SELECT count(*) FROM countries"))
            db.session.remove()
            assert countries == 17
            downgrade(revision="base")
            inspector = sa.inspect(db.engine)
            assert set(inspector.get_table_names()) <= {"alembic_version"}
            db.engine.dispose()
            upgrade()
        assert schema_differences(app) == []
    finally:
        with app.app_context():
            db.engine.dispose()
        dbutil.drop_database(url)


@pytest.mark.live
def test_0012la_changes_the_checks_of_a_database_with_entries_in_place():
    """Entries, their cylinders and the triggers survive; the new kinds and the producer activity are accepted."""
    from datetime import date
    from decimal import Decimal

    from alembic.script import ScriptDirectory

    from certreg.actors import Actor
    from certreg.logbook import drafts, holders, recording, verify
    from certreg.vocabulary import HolderKind
    from tests import factories

    def record(company_id, **values):
        who = holders.holder(HolderKind.COMPANY, company_id)
        recording.record_entry(Actor.system("tests"), who, drafts.EntryData(
            operation_date=date.today(), substance="HCFC-22", quantity=Decimal("10"), condition="virgin", **values))
        db.session.commit()

    url = dbutil.fresh_database("m0012la")
    app = make_test_app(url)
    try:
        with app.app_context():
            upgrade(revision=ScriptDirectory("migrations").get_revision("0012la").down_revision)
            importer = factories.make_company(country_code="KG", activities=["importer"]).id
            record(importer, kind="import", cylinders=["S-1", "S-2"], import_licence="L-1", customs_declaration="D-1",
                   origin_country="CN", exporter_name="E", exempted_use="feedstock", exemption_reference="Dec. X/14")
            db.session.remove()
            upgrade()
            record(factories.make_company(country_code="KG", activities=["producer"]).id, kind="production")
            record(importer, kind="feedstock_use")
            kinds = db.session.scalars(sa.text("SELECT kind FROM logbook_entries ORDER BY seq")).all()
            assert kinds == ["import", "production", "feedstock_use"]
            assert db.session.scalar(sa.text("SELECT count(*) FROM logbook_entry_cylinders")) == 2
            assert verify.verify_log("KG").ok
            db.session.remove()
        assert append_only_triggers(app) in ({"logbook_entries_no_update", "logbook_entries_no_delete"},
                                             {"logbook_entries_append_only", "logbook_entries_no_truncate"})
    finally:
        with app.app_context():
            db.engine.dispose()
        dbutil.drop_database(url)


@pytest.mark.live
def test_a_batch_copy_of_a_table_other_rows_point_at_upgrades_a_database_with_data():
    """0013q copies ``equipment_interventions`` on SQLite (batch mode). With rows pointing at it, SQLite refuses
    to drop the old table while foreign keys are on: migrations run with them off (migrations/env.py), every
    reference is checked after, and they are on again for the app's connections."""
    from datetime import date

    from alembic.script import ScriptDirectory

    from certreg.logbook import holders
    from certreg.logbook.equipment_models import Equipment, Intervention
    from certreg.vocabulary import HolderKind
    from tests import factories

    url = dbutil.fresh_database("m0013q")
    app = make_test_app(url)
    try:
        with app.app_context():
            upgrade(revision=ScriptDirectory("migrations").get_revision("0013q").down_revision)
            company = factories.make_company(country_code="KG", activities=["service"])
            logbook = holders.logbook_for(holders.holder(HolderKind.COMPANY, company.id), create=True)
            db.session.flush()
            equipment_id = db.session.execute(sa.insert(Equipment.__table__).values(
                code="KG-E-000001-0", country_code="KG", logbook_id=logbook.id, owner_kind="company",
                owner_name="Owner", site_address="Bishkek", kind="domestic", substance_code="HFC-134a",
                nominal_charge=1)).inserted_primary_key[0]
            intervention_id = db.session.execute(sa.insert(Intervention.__table__).values(  # the columns of 0012fa
                equipment_id=equipment_id, logbook_id=logbook.id, kind="charge", performed_on=date(2026, 1, 5),
                recorded_by_label="test")).inserted_primary_key[0]
            db.session.execute(sa.text("CREATE TABLE probe_points_at_intervention (id INTEGER PRIMARY KEY, "
                                       "intervention_id INTEGER NOT NULL REFERENCES equipment_interventions (id))"))
            db.session.execute(sa.text("INSERT INTO probe_points_at_intervention VALUES (1, :i)"),
                               {"i": intervention_id})
            db.session.commit()
            db.session.remove()
            upgrade()
            assert db.session.scalar(sa.text(
                "SELECT count(*) FROM probe_points_at_intervention p JOIN equipment_interventions i "
                "ON i.id = p.intervention_id")) == 1
            if db.engine.dialect.name == "sqlite":
                assert db.session.scalar(sa.text("PRAGMA foreign_keys")) == 1
            db.session.execute(sa.text("DROP TABLE probe_points_at_intervention"))
            db.session.commit()
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
        dbutil.drop_database(url)
