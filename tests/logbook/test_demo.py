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
