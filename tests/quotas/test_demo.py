import sqlalchemy as sa

from certreg.actors import Actor
from certreg.db import today
from certreg.demo import data
from certreg.extensions import db
from certreg.logbook import verify
from certreg.logbook.models import Refusal
from certreg.quotas import services
from tests.factories import ensure_keys


def test_demo_quotas_are_near_their_limit_and_the_logs_verify():
    ensure_keys("KG", "KZ", "UZ")
    data.load_registry()
    data.load_certificates()
    data.load_logbook()
    assert data.load_quotas() > 0
    assert data.load_quotas() == 0  # idempotent
    system = Actor.system("tests")
    [kz_hcfc, kz_hfc] = services.overview(system, "KZ", today().year)
    almaty = next(a for a in kz_hfc.importers if a.registration == "120540012345")
    assert almaty.used > 0 and 0 < almaty.remaining < almaty.allocated / 10  # near its limit
    assert kz_hfc.unallocated < kz_hfc.limit / 10
    [uz_hcfc] = services.overview(system, "UZ", today().year)
    assert 0 < uz_hcfc.remaining < uz_hcfc.allocated / 10
    assert "quota_exceeded" in set(db.session.scalars(sa.select(Refusal.code)))
    assert all(report.ok for report in verify.verify_all())
