"""Access cases for shipments (pages and API), the border decision, the importer's receipt and iPIC."""

from __future__ import annotations

from tests.access import Case, expect

KG_OFFICIALS = dict(admin=200, certifying_officer=200, inspector=200, auditor=200)
LIST = expect(403, anonymous=302, company_user=200, kz_admin=200, kz_inspector=200, **KG_OFFICIALS)
RECORD_GET = expect(403, anonymous=302, admin=200, certifying_officer=200, inspector=200, company_user=200,
                    kz_admin=200, kz_inspector=200)
RECORD_POST = expect(403, anonymous=302, admin=422, certifying_officer=422, inspector=422, company_user=422,
                     kz_admin=422, kz_inspector=422)
VIEW = expect(404, anonymous=302, company_user=200, **KG_OFFICIALS)
DECIDE = expect(404, anonymous=302, admin=422, inspector=422, certifying_officer=403, auditor=403, company_user=403)
RECEIPT = expect(404, anonymous=302, company_user=422, admin=403, inspector=403, certifying_officer=403, auditor=403)
IPIC_LIST = expect(403, anonymous=302, admin=200, inspector=200, auditor=200, kz_admin=200, kz_inspector=200)
IPIC_ASK = expect(403, anonymous=302, admin=422, kz_admin=422)
IPIC_VIEW = expect(404, anonymous=302, admin=200, inspector=200, auditor=200, kz_admin=200, kz_inspector=200)


def _api(expected: dict[str, int]) -> dict[str, int]:
    return {**expected, "anonymous": 401}


def build(world) -> None:
    from certreg.actors import Actor
    from certreg.extensions import db
    from certreg.licences import services as licences
    from certreg.shipments import border, expected, ipic
    from tests.factories import ensure_keys
    from tests.shipments.builders import TODAY

    ensure_keys("KG", "KZ")
    system = Actor.system("tests")
    licences.issue(system, "KG", licences.LicenceData(
        number="KG-IMP-SHIP-1", company_registration=world.company_own.registration_number, direction="import",
        scope=["HCFC-22"], cap_kg="100", valid_from=TODAY, valid_until=TODAY, issuing_authority="Ministry"))
    def shipment(number: str, kg: str):
        return expected.record(system, "KG", expected.ShipmentData(
            declaration_number=number, importer_registration=world.company_own.registration_number,
            goods="substance", hs_code="2903.71", substance="HCFC-22", kg=kg, import_licence="KG-IMP-SHIP-1",
            exporter_name="Exporter", exporting_country="KZ", origin_country="CN", transport_mode="road",
            border_post="Ak-Zhol", expected_on=TODAY))

    world.extra["question"] = ipic.ask(system, "KZ", "KG", world.company_own.registration_number, "HCFC-22", "50")
    world.extra["shipment"] = shipment("DT-ACCESS-1", "60")  # more than KZ confirmed: held, awaiting a decision
    world.extra["released"] = border.decide(system, shipment("DT-ACCESS-2", "10"), "released")  # receipt pending
    db.session.commit()


def ship(w) -> str:
    return f"/shipments/{w.shipment.id}"


CASES = [
    Case("GET", lambda w: "/shipments", LIST, note="shipments"),
    Case("GET", lambda w: "/shipments/new", RECORD_GET, note="announce form"),
    Case("POST", lambda w: "/shipments/new", RECORD_POST, note="announce, empty"),
    Case("GET", ship, VIEW, note="shipment and border check"),
    Case("POST", lambda w: ship(w) + "/decision", DECIDE, note="decision, empty"),
    Case("GET", lambda w: f"/shipments/{w.released.id}", VIEW, note="released shipment"),
    Case("POST", lambda w: f"/shipments/{w.released.id}/receipt", RECEIPT, note="receipt, empty"),
    Case("GET", lambda w: "/ipic", IPIC_LIST, note="iPIC questions"),
    Case("POST", lambda w: "/ipic", IPIC_ASK, note="iPIC ask, empty"),
    Case("GET", lambda w: f"/ipic/{w.question.id}", IPIC_VIEW, note="iPIC question"),
    # API
    Case("GET", lambda w: "/api/v1/shipments", _api(LIST), api=True, note="API shipments"),
    Case("POST", lambda w: "/api/v1/shipments", _api(RECORD_POST), api=True, note="API announce, empty"),
    Case("GET", lambda w: "/api/v1" + ship(w), _api(VIEW), api=True, note="API shipment"),
    Case("GET", lambda w: "/api/v1" + ship(w) + "/check", _api(VIEW), api=True, note="API border check"),
    Case("POST", lambda w: "/api/v1" + ship(w) + "/decision", _api(DECIDE), api=True, note="API decision, empty"),
    Case("POST", lambda w: f"/api/v1/shipments/{w.released.id}/receipt", _api(RECEIPT), api=True,
         note="API receipt, empty"),
    Case("GET", lambda w: "/api/v1/ipic/questions", _api(IPIC_LIST), api=True, note="API iPIC questions"),
    Case("POST", lambda w: "/api/v1/ipic/questions", _api(IPIC_ASK), api=True, note="API iPIC ask, empty"),
    Case("GET", lambda w: f"/api/v1/ipic/questions/{w.question.id}", _api(IPIC_VIEW), api=True,
         note="API iPIC question"),
    Case("GET", lambda w: "/api/v1/countries/KG/licensees", expect(200), api=True, note="signed licensees"),
]
