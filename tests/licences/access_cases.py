"""Access cases for the licence register API (a country's officials)."""

from __future__ import annotations

from tests.access import Case, expect

NUMBER = "KG-IMP-ACCESS-1"


def build(world) -> None:
    from datetime import date, timedelta

    from certreg.actors import Actor
    from certreg.extensions import db
    from certreg.licences import services

    services.issue(Actor.system("tests"), "KG", services.LicenceData(
        number=NUMBER, company_registration=world.company_other.registration_number, direction="import",
        scope=["HCFC-22"], cap_kg="100", valid_from=date.today(), valid_until=date.today() + timedelta(days=30),
        issuing_authority="Ministry"))
    db.session.commit()


CASES = [
    Case("GET", lambda w: "/api/v1/countries/KG/licences",
         expect(403, anonymous=401, admin=200, certifying_officer=200, inspector=200, auditor=200), api=True,
         note="api licences of KG"),
    Case("POST", lambda w: "/api/v1/countries/KG/licences",
         expect(403, anonymous=401, admin=422, certifying_officer=422), api=True, note="api issue, nothing sent"),
    Case("PATCH", lambda w: f"/api/v1/countries/KG/licences/{NUMBER}",
         expect(403, anonymous=401, admin=422, certifying_officer=422), api=True,
         note="api licence status, nothing sent"),
]
