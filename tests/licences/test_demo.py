"""The demo's licences: each document signed, one suspended, and their QR links checked on the public page."""

import sqlalchemy as sa

from certreg.demo import data, licence_documents
from certreg.extensions import db
from certreg.licences.models import Licence, LicenceStatus
from tests.factories import ensure_keys


def test_demo_licences_are_signed_and_one_is_suspended(client):
    ensure_keys("KG", "KZ", "UZ")
    data.load_registry()
    data.load_certificates()
    data.load_logbook()
    assert licence_documents.load() == 1
    assert licence_documents.load() == 0  # idempotent
    licences = db.session.scalars(sa.select(Licence)).all()
    assert len(licences) >= 5 and all(licence.token for licence in licences)
    suspended = next(licence for licence in licences if licence.status is LicenceStatus.SUSPENDED)
    assert 'data-verdict="SUSPENDED"' in client.get(f"/l/{suspended.token}").text
    active = next(licence for licence in licences if licence.number == "KZ-IMP-2026-0077")
    assert 'data-verdict="VALID"' in client.get(f"/l/{active.token}").text
