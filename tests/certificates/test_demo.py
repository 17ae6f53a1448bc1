from certreg.certificates import queries, states
from certreg.demo import data
from tests.factories import ensure_keys


def test_demo_certificates_load_once_with_every_state():
    ensure_keys("KG", "KZ", "UZ")
    data.load_registry()
    assert data.load_certificates() > 0
    assert data.load_certificates() == 0  # idempotent
    seen = {states.state_on(c, states.today()).value for c in queries.expiring(30)}
    assert seen == {"valid"}
    import sqlalchemy as sa

    from certreg.certificates.models import Certificate
    from certreg.extensions import db

    statuses = set(db.session.scalars(sa.select(Certificate.status)))
    assert {s.value for s in statuses} >= {"active", "suspended", "revoked"}
