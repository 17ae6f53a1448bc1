from certreg.certificates import services as certs
from certreg.demo import data
from tests.factories import ensure_keys


def test_demo_certificates_load_once_with_every_state():
    ensure_keys("KG", "KZ", "UZ")
    data.load_registry()
    assert data.load_certificates() > 0
    assert data.load_certificates() == 0  # idempotent
    states = {certs.state_on(c, certs.today()).value for c in certs.expiring(30)}
    assert states == {"valid"}
    import sqlalchemy as sa

    from certreg.certificates.models import Certificate
    from certreg.extensions import db

    statuses = set(db.session.scalars(sa.select(Certificate.status)))
    assert {s.value for s in statuses} >= {"active", "suspended", "revoked"}
