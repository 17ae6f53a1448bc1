import sqlalchemy as sa

from certreg.demo import data
from certreg.extensions import db
from certreg.logbook import verify
from certreg.logbook.models import Checkpoint, Entry, Equipment, Refusal, Transfer, TransferStatus
from tests.factories import ensure_keys


def test_demo_logbooks_load_once_and_verify():
    ensure_keys("KG", "KZ", "UZ")
    data.load_registry()
    data.load_certificates()
    assert data.load_logbook() > 10
    assert data.load_logbook() == 0  # idempotent
    kinds = set(db.session.scalars(sa.select(Entry.kind)))
    assert {k.value for k in kinds} >= {"import", "sale", "purchase", "export", "charge", "recovery"}
    assert {r.code for r in db.session.scalars(sa.select(Refusal))} == {
        "certificate_suspended", "condition_not_in_stock", "virgin_ods_banned"}
    assert db.session.scalar(sa.select(Transfer.status).where(Transfer.kind == "export")) is TransferStatus.PENDING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Equipment)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Checkpoint)) == 3
    assert all(report.ok for report in verify.verify_all())


def test_demo_has_one_entry_of_each_article7_kind_and_the_report_shows_them():
    from datetime import date, timedelta

    from certreg.demo import article7_uses
    from certreg.reports import figures
    from certreg.reports.figures import Column, Period

    ensure_keys("KG", "KZ", "UZ")
    data.load_registry()
    assert article7_uses.load() == 5
    assert article7_uses.load() == 0  # idempotent
    kinds = {k.value for k in db.session.scalars(sa.select(Entry.kind))}
    assert kinds >= {"production", "feedstock_use", "qps_use", "exempted_use"}
    year = Period(date.today() - timedelta(days=365), date.today())
    hcfc = figures.article7("KZ", year).row("HCFC-22")
    assert (hcfc.kg(Column.PRODUCTION), hcfc.kg(Column.FEEDSTOCK), hcfc.kg(Column.EXEMPTED_USES)) == (800, 250, 1.5)
    assert hcfc.kg(Column.CALCULATED_PRODUCTION) == 550
    mebr = figures.article7("KG", year).row("methyl-bromide")
    assert (mebr.kg(Column.IMPORTS_EXEMPTED), mebr.kg(Column.QPS), mebr.kg(Column.CONSUMPTION)) == (60, 45, 15)
    assert all(report.ok for report in verify.verify_all())
