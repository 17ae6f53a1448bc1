"""Demo licence documents: a suspended licence beside the demo's licences, every licence's document signed."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.db import today as utc_today
from certreg.extensions import db
from certreg.keys.services import active_key_row
from certreg.licences import documents
from certreg.licences import services as licence_services
from certreg.licences.models import Licence

ACTOR = Actor.system("demo")

def load() -> int:
    """A suspended licence beside the demo's licences, and every licence's document signed (its QR opens
    the public check ``/l/...``). Idempotent."""
    created = 0
    number = "KZ-IMP-2026-0090"
    if active_key_row("KZ") is not None and db.session.scalar(
            sa.select(Licence.id).where(Licence.number == "KZ-IMP-2026-0077")) is not None and db.session.scalar(
            sa.select(Licence.id).where(Licence.country_code == "KZ", Licence.number == number)) is None:
        today = utc_today()
        licence = licence_services.issue(ACTOR, "KZ", licence_services.LicenceData(
            number=number, company_registration="120540012345", direction="import", scope=["HFC-134a", "R-404A"],
            cap_kg="300", valid_from=today - timedelta(days=60), valid_until=today + timedelta(days=300),
            partner_countries=["RU"], hs_codes=["2903.45", "3827.62"], issuing_authority="Ministry of Ecology"))
        licence_services.change_status(ACTOR, licence, "suspended",
                                       "Inquiry into an undeclared shipment at the Khorgos border post")
        created += 1
    for licence in db.session.scalars(sa.select(Licence).where(Licence.token.is_(None))):
        if active_key_row(licence.country_code) is not None:
            documents.token_for(ACTOR, licence)
    db.session.flush()
    return created
