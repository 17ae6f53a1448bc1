"""Access cases for certificate pages, public verification, downloads, categories and the API."""

from tests.access import Case, expect
from tests.factories import ensure_keys, make_certificate

KG_OFFICIALS = dict(admin=200, certifying_officer=200, inspector=200, auditor=200)
LIST = expect(403, anonymous=302, kz_admin=200, kz_inspector=200, **KG_OFFICIALS)
VIEW = expect(404, anonymous=302, company_user=200, technician=200, **KG_OFFICIALS)
ACTION_GET = expect(403, anonymous=302, certifying_officer=200, kz_admin=404, kz_inspector=404)
ACTION_POST = expect(403, anonymous=302, certifying_officer=422, kz_admin=404, kz_inspector=404)
OFFICER_ONLY_GET = expect(403, anonymous=302, certifying_officer=200)
OFFICER_ONLY_POST = expect(403, anonymous=302, certifying_officer=422)
API_VIEW = expect(404, anonymous=401, company_user=200, technician=200, **KG_OFFICIALS)
API_ACTION = expect(403, anonymous=401, certifying_officer=422, kz_admin=404, kz_inspector=404)
API_LIST = expect(403, anonymous=401, kz_admin=200, kz_inspector=200, **KG_OFFICIALS)
PUBLIC = expect(200)


def build(world) -> None:
    ensure_keys()
    world.extra["cert_own"] = make_certificate(world.technician_own)
    world.extra["cert_company"] = make_certificate(world.company_own, categories=("CO-DEALER",))
    world.extra["cert_kz"] = make_certificate(world.technician_kz)


def cert(w):
    return f"/certificates/{w.cert_own.number}"


def api_cert(w):
    return f"/api/v1/certificates/{w.cert_own.number}"


CASES = [
    Case("GET", lambda w: "/certificates", LIST, note="certificate list"),
    Case("GET", lambda w: "/certificates?filter=expiring", LIST, note="certificate list, expiring"),
    Case("GET", lambda w: f"/certificates/new?kind=technician&holder={w.technician_other.id}", OFFICER_ONLY_GET,
         note="issue form"),
    Case("POST", lambda w: f"/certificates/new?kind=technician&holder={w.technician_other.id}", OFFICER_ONLY_POST,
         note="issue, empty"),
    Case("GET", lambda w: f"/certificates/new?kind=technician&holder={w.technician_kz.id}",
         expect(403, anonymous=302), note="issue form for a KZ technician"),
    Case("GET", cert, VIEW, note="certificate page"),
    Case("GET", lambda w: f"/certificates/{w.cert_company.number}",
         expect(404, anonymous=302, company_user=200, **KG_OFFICIALS), note="company certificate page"),
    Case("GET", lambda w: f"/certificates/{w.cert_kz.number}",
         expect(404, anonymous=302, kz_admin=200, kz_inspector=200), note="KZ certificate page"),
    *[Case("GET", lambda w, a=a: cert(w) + f"/{a}", ACTION_GET, note=f"{a} form") for a in
      ("renew", "suspend", "reinstate", "revoke")],
    *[Case("POST", lambda w, a=a: cert(w) + f"/{a}", ACTION_POST, note=f"{a}, empty") for a in
      ("renew", "suspend", "reinstate", "revoke")],
    *[Case("GET", lambda w, f=f: cert(w) + f"/{f}", VIEW, note=f"download {f}") for f in
      ("qr.png", "qr.svg", "card.pdf", "certificate.pdf")],
    Case("GET", lambda w: "/certificates/categories", LIST, note="categories"),
    Case("POST", lambda w: "/certificates/categories",
         expect(403, anonymous=302, admin=422, kz_admin=422), note="add national scope, empty"),
    # public verification
    Case("GET", lambda w: f"/v/{w.cert_own.token}", PUBLIC, note="verify page"),
    Case("GET", lambda w: "/v/FORGED", PUBLIC, note="verify page, garbage token"),
    Case("GET", lambda w: "/verify/offline", PUBLIC, note="offline shell"),
    Case("GET", lambda w: "/sw.js", PUBLIC, note="service worker"),
    Case("GET", lambda w: "/manifest.webmanifest", PUBLIC, note="web app manifest"),
    Case("GET", lambda w: "/.well-known/jwks.json", PUBLIC, note="trust list"),
    Case("GET", lambda w: "/verify/scans", expect(403, anonymous=302, inspector=200, kz_inspector=200),
         note="my checks"),
    # API
    Case("GET", lambda w: "/api/v1/status-list", PUBLIC, api=True, note="api status list"),
    Case("POST", lambda w: "/api/v1/verify", PUBLIC, api=True, data=lambda w: {"token": w.cert_own.token},
         note="api verify"),
    Case("POST", lambda w: "/api/v1/verify", expect(422), api=True, note="api verify, empty"),
    Case("GET", lambda w: f"/api/v1/certificates/{w.cert_own.number}/status", PUBLIC, api=True,
         note="api certificate status"),
    Case("GET", lambda w: "/api/v1/certificates", API_LIST, api=True, note="api certificate list"),
    Case("POST", lambda w: "/api/v1/certificates", expect(403, anonymous=401, certifying_officer=422), api=True,
         note="api issue, empty"),
    Case("GET", api_cert, API_VIEW, api=True, note="api certificate"),
    *[Case("POST", lambda w, a=a: api_cert(w) + f"/{a}", API_ACTION, api=True, note=f"api {a}, empty") for a in
      ("renew", "suspend", "revoke")],
    Case("POST", lambda w: api_cert(w) + "/reinstate",
         expect(403, anonymous=401, certifying_officer=409, kz_admin=404, kz_inspector=404), api=True,
         note="api reinstate a certificate that is not suspended"),
    *[Case("GET", lambda w, f=f: api_cert(w) + f"/{f}", API_VIEW, api=True, note=f"api download {f}") for f in
      ("qr.png", "qr.svg", "card.pdf", "certificate.pdf")],
    Case("GET", lambda w: "/api/v1/certificate-categories", PUBLIC, api=True, note="api categories"),
    Case("POST", lambda w: "/api/v1/certificate-categories", expect(403, anonymous=401, admin=422, kz_admin=422),
         api=True, note="api add national scope, empty"),
    Case("GET", lambda w: f"/api/v1/purchase-check?certificate={w.cert_own.number}&substance=R-404A",
         expect(200, anonymous=401), api=True, note="api purchase check"),
]
