"""Migration 0011a: the logbook's free-text cylinder serials become cylinders of the register.

A database at the revision before 0011a holds entries naming a registered cylinder (by its
national serial typed loosely, and by its stamp number) and serials no cylinder has; after
the upgrade each unknown serial is one unregistered cylinder flagged for registration, in the
custody of the holder of the last entry naming it, and the known ones are not duplicated.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from certreg.cylinders import numbers
from certreg.extensions import db
from tests import dbutil, factories
from tests.conftest import make_test_app

pytestmark = pytest.mark.live


def _previous_revision() -> str:
    path = next(Path("migrations/versions").glob("*_0011a_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0011a", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.down_revision


def _logbook(company_id=None, technician_id=None) -> int:
    kind = "company" if company_id else "technician"
    return db.session.execute(sa.text(
        "INSERT INTO logbooks (country_code, holder_kind, company_id, technician_id, created_at) "
        "VALUES ('KZ', :kind, :c, :t, :now) RETURNING id"),
        {"kind": kind, "c": company_id, "t": technician_id, "now": datetime.now(UTC)}).scalar_one()


def _entry(entry_id: int, seq: int, logbook_id: int, serials: list[str]) -> None:
    db.session.execute(sa.text(
        "INSERT INTO logbook_entries (id, country_code, logbook_id, seq, kind, operation_date, substance_code, "
        "quantity, condition, counterparty_name, channel, recorded_at, recorded_by_label, leaf_hash, mac) VALUES "
        "(:id, 'KZ', :logbook, :seq, 'purchase', :day, 'HFC-134a', 10, 'virgin', 'Seller', 'web', :now, 'test', "
        ":hash, :hash)"),
        {"id": entry_id, "logbook": logbook_id, "seq": seq, "day": date(2026, 1, 5), "now": datetime.now(UTC),
         "hash": bytes(32)})
    for position, serial in enumerate(serials):
        db.session.execute(sa.text("INSERT INTO logbook_entry_cylinders (entry_id, position, serial) "
                                   "VALUES (:e, :p, :s)"), {"e": entry_id, "p": position, "s": serial})


def test_unknown_serials_become_unregistered_cylinders_flagged_for_registration():
    url = dbutil.fresh_database("migration0011a")
    app = make_test_app(url)
    try:
        with app.app_context():
            upgrade(revision=_previous_revision())
            dealer = factories.make_company(country_code="KZ")
            tech = factories.make_technician(country_code="KZ")
            national = numbers.format_serial("KZ", 1)
            db.session.execute(sa.text(
                "INSERT INTO cylinders (country_code, serial, stamp_number, kind, water_capacity_l, tare_kg, "
                "owner_company_id, custodian_company_id, status, net_kg, mixed, fills, status_index, kid, token, "
                "created_at, updated_at) VALUES ('KZ', :serial, 'STAMP-9', 'refillable', 13.6, 6.5, :owner, :owner, "
                "'empty', 0, false, 0, 1, 'k', 't', :now, :now)"),
                {"serial": national, "owner": dealer.id, "now": datetime.now(UTC)})
            dealer_book, tech_book = _logbook(company_id=dealer.id), _logbook(technician_id=tech.id)
            loose = national.lower().replace("-", " ")
            _entry(1, 0, dealer_book, ["FREE-1", "SHARED-2", loose, "STAMP-9"])
            _entry(2, 1, tech_book, ["SHARED-2", "FREE-3"])
            db.session.commit()

            upgrade()
            rows = db.session.execute(sa.text(
                "SELECT stamp_number, serial, custodian_company_id, custodian_technician_id, status, kind, "
                "needs_registration FROM cylinders WHERE country_code = 'KZ' ORDER BY stamp_number")).all()
            assert [tuple(r) for r in rows] == [
                ("FREE-1", None, dealer.id, None, "in_stock", None, True),
                ("FREE-3", None, None, tech.id, "with_technician", None, True),
                ("SHARED-2", None, None, tech.id, "with_technician", None, True),  # the last entry's holder
                ("STAMP-9", national, dealer.id, None, "empty", "refillable", False),
            ]
            # contents never below zero, in the database too
            with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
                db.session.execute(sa.text("UPDATE cylinders SET net_kg = -1 WHERE stamp_number = 'STAMP-9'"))
            db.session.rollback()
            # a registered cylinder has its national serial
            with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
                db.session.execute(sa.text("UPDATE cylinders SET serial = NULL WHERE stamp_number = 'STAMP-9'"))
            db.session.rollback()

            downgrade(revision=_previous_revision())
            assert db.session.scalar(sa.text("SELECT count(*) FROM cylinders")) == 1
            db.session.remove()
            upgrade()
            assert db.session.scalar(sa.text("SELECT count(*) FROM cylinders WHERE needs_registration")) == 3
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
        dbutil.drop_database(url)
