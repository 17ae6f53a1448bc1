"""Access cases for the quota pages and API: officials of the country see, its administrators and certifying
officers allocate; a company user sees its own quotas."""

from __future__ import annotations

from tests.access import Case, expect

SEE = dict(anonymous=302, admin=200, certifying_officer=200, inspector=200, auditor=200, company_user=200,
           kz_admin=200, kz_inspector=200)
MANAGE_PAGE = dict(anonymous=302, admin=200, certifying_officer=200, kz_admin=200)
MANAGE_POST = dict(anonymous=302, admin=422, certifying_officer=422, kz_admin=422)
API_MANAGE = dict(anonymous=401, admin=422, certifying_officer=422)


def build(world) -> None:
    from certreg.actors import Actor
    from certreg.db import today
    from certreg.extensions import db
    from certreg.quotas import services

    system = Actor.system("tests")
    services.set_baseline(system, "KG", "C/I", "10", "Ozone Secretariat")
    services.allocate(system, "KG", today().year, "C/I", world.company_other.registration_number, "1")
    # the shared world's own importer imports HCFC-22 in other features' cases (shipments): it needs a quota too
    services.allocate(system, "KG", today().year, "C/I", world.company_own.registration_number, "1")
    db.session.commit()


CASES = [
    Case("GET", lambda w: "/quotas", expect(403, **SEE), note="quota dashboard"),
    Case("GET", lambda w: "/quotas/2026/C/I", expect(403, **SEE), note="quota ledger of a group"),
    Case("GET", lambda w: "/quotas/baseline", expect(403, **MANAGE_PAGE), note="baseline form"),
    Case("POST", lambda w: "/quotas/baseline", expect(403, **MANAGE_POST), note="baseline, nothing sent"),
    Case("GET", lambda w: "/quotas/allocate", expect(403, **MANAGE_PAGE), note="allocation form"),
    Case("POST", lambda w: "/quotas/allocate", expect(403, **MANAGE_POST), note="allocation, nothing sent"),
    Case("GET", lambda w: "/quotas/transfer", expect(403, **MANAGE_PAGE), note="transfer form"),
    Case("POST", lambda w: "/quotas/transfer", expect(403, **MANAGE_POST), note="transfer, nothing sent"),
    Case("GET", lambda w: "/api/v1/countries/KG/quotas",
         expect(403, anonymous=401, admin=200, certifying_officer=200, inspector=200, auditor=200, company_user=200),
         api=True, note="api quotas of KG"),
    Case("PUT", lambda w: "/api/v1/countries/KG/quotas/baselines", expect(403, **API_MANAGE), api=True,
         note="api baseline, nothing sent"),
    Case("POST", lambda w: "/api/v1/countries/KG/quotas/allocations", expect(403, **API_MANAGE), api=True,
         note="api allocation, nothing sent"),
    Case("POST", lambda w: "/api/v1/countries/KG/quotas/transfers", expect(403, **API_MANAGE), api=True,
         note="api transfer, nothing sent"),
]
