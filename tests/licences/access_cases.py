"""Access cases for the licence register: pages, the document, the public check, and the API."""

from __future__ import annotations

from tests.access import Case, expect

NUMBER = "KG-IMP-ACCESS-1"
OFFICIALS = dict(admin=200, certifying_officer=200, inspector=200, auditor=200)
LIST = expect(403, anonymous=302, company_user=200, kz_admin=200, kz_inspector=200, **OFFICIALS)
ISSUE_GET = expect(403, anonymous=302, admin=200, certifying_officer=200, kz_admin=200)
ISSUE_POST = expect(403, anonymous=302, admin=422, certifying_officer=422, kz_admin=422)
VIEW = expect(404, anonymous=302, company_user=200, **OFFICIALS)
MANAGE_GET = expect(404, anonymous=302, admin=200, certifying_officer=200, inspector=403, auditor=403,
                    company_user=403)
MANAGE_POST = expect(404, anonymous=302, admin=422, certifying_officer=422, inspector=403, auditor=403,
                     company_user=403)
API_VIEW = expect(404, anonymous=401, company_user=200, **OFFICIALS)
PUBLIC = expect(200)


def build(world) -> None:
    from datetime import date, timedelta

    from certreg.actors import Actor
    from certreg.extensions import db
    from certreg.licences import documents, services
    from tests.factories import ensure_keys

    ensure_keys("KG", "KZ")
    system = Actor.system("tests")
    services.issue(system, "KG", services.LicenceData(
        number=NUMBER, company_registration=world.company_other.registration_number, direction="import",
        scope=["HCFC-22"], cap_kg="100", valid_from=date.today(), valid_until=date.today() + timedelta(days=30),
        issuing_authority="Ministry"))
    own = services.issue(system, "KG", services.LicenceData(
        number="KG-IMP-ACCESS-2", company_registration=world.company_own.registration_number, direction="import",
        scope=["HCFC-22", "R-404A"], cap_kg="250", valid_from=date.today(),
        valid_until=date.today() + timedelta(days=300), issuing_authority="Ministry", partner_countries=["CN"]))
    world.extra["licence_own"] = own
    world.extra["licence_token"] = documents.token_for(system, own)
    db.session.commit()


def page(w) -> str:
    return f"/licences/{w.licence_own.id}"


def api(w) -> str:
    return f"/api/v1/countries/KG/licences/{w.licence_own.number}"


CASES = [
    Case("GET", lambda w: "/licences", LIST, note="licence register"),
    Case("GET", lambda w: "/licences/new", ISSUE_GET, note="issue form"),
    Case("POST", lambda w: "/licences/new", ISSUE_POST, note="issue, empty"),
    Case("GET", page, VIEW, note="licence page"),
    Case("GET", lambda w: page(w) + "/edit", MANAGE_GET, note="licence terms form"),
    Case("POST", lambda w: page(w) + "/edit", MANAGE_POST, note="licence terms, empty"),
    Case("POST", lambda w: page(w) + "/status", MANAGE_POST, note="licence status, empty"),
    Case("GET", lambda w: page(w) + "/document.pdf", VIEW, note="licence document PDF"),
    Case("GET", lambda w: f"/l/{w.licence_token}", PUBLIC, note="public licence check"),
    Case("GET", lambda w: "/licence-check/offline", PUBLIC, note="licence check offline shell"),
    Case("GET", lambda w: "/api/v1/countries/KG/licences",
         expect(403, anonymous=401, admin=200, certifying_officer=200, inspector=200, auditor=200), api=True,
         note="api licences of KG"),
    Case("POST", lambda w: "/api/v1/countries/KG/licences",
         expect(403, anonymous=401, admin=422, certifying_officer=422), api=True, note="api issue, nothing sent"),
    Case("PATCH", lambda w: f"/api/v1/countries/KG/licences/{NUMBER}",
         expect(403, anonymous=401, admin=422, certifying_officer=422), api=True,
         note="api licence status, nothing sent"),
    Case("PUT", lambda w: f"/api/v1/countries/KG/licences/{NUMBER}",
         expect(403, anonymous=401, admin=422, certifying_officer=422), api=True,
         note="api licence terms, nothing sent"),
    Case("GET", lambda w: api(w) + "/token", API_VIEW, api=True, note="api licence token"),
    Case("GET", lambda w: api(w) + "/document.pdf", API_VIEW, api=True, note="api licence document"),
    Case("GET", lambda w: "/api/v1/licences/status-list", PUBLIC, api=True, note="api licence status lists"),
    Case("GET", lambda w: f"/api/v1/licences/check/{w.licence_token}", PUBLIC, api=True,
         note="api licence check"),
]
