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


def test_demo_licences_cap_tonnes_beside_kilograms():
    """The demo shows caps in ODP and CO2-eq tonnes: Tashkent's HCFC-22 licence and Almaty's R-404A licence,
    with what the logbook's imports under them come to."""
    from decimal import Decimal

    from certreg.licences import caps
    from certreg.logbook.queries import licence_used

    ensure_keys("KG", "KZ", "UZ")
    data.load_registry()
    data.load_certificates()
    data.load_logbook()
    by_number = {licence.number: licence for licence in db.session.scalars(sa.select(Licence))}
    tashkent, almaty = by_number["UZ-ODS-IMP-2026/014"], by_number["KZ-IMP-2026-0077"]
    assert (tashkent.cap_odp_t, tashkent.cap_co2e_t) == (Decimal("0.11"), None)
    assert (almaty.cap_odp_t, almaty.cap_co2e_t) == (None, Decimal("2400"))
    used = caps.usage(licence_used(tashkent))
    assert used.odp_t == Decimal("1200") * Decimal("0.055") / 1000 <= tashkent.cap_odp_t  # 0.066 t
    used = caps.usage(licence_used(almaty))
    # R-404A by mass: 44 % R-125 (GWP 3,500), 52 % R-143a (4,470), 4 % R-134a (1,430), AR4 values
    gwp = Decimal("0.44") * 3500 + Decimal("0.52") * 4470 + Decimal("0.04") * 1430  # 3,921.6
    assert used.co2e_t == Decimal("544") * gwp / 1000 <= almaty.cap_co2e_t  # 2,133.3504 t
    figures = caps.used_figures(almaty, used)
    assert figures.odp_t is None and figures.co2e_t is not None
