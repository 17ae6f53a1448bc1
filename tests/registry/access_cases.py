"""Access cases for the registry pages and API."""

from tests.access import Case, expect

# Lists are for the officials of the user's own country (the KZ officials see KZ's list).
LIST = expect(403, anonymous=302, admin=200, certifying_officer=200, inspector=200, auditor=200,
              kz_admin=200, kz_inspector=200)
MANAGERS_GET = expect(403, anonymous=302, admin=200, certifying_officer=200, kz_admin=200)
MANAGERS_POST = expect(403, anonymous=302, admin=422, certifying_officer=422, kz_admin=422)
ANY_USER = expect(200, anonymous=302)

API_LIST = expect(403, anonymous=401, admin=200, certifying_officer=200, inspector=200, auditor=200,
                  kz_admin=200, kz_inspector=200)
API_CREATE = expect(403, anonymous=401, admin=422, certifying_officer=422, kz_admin=422)
API_ANY_USER = expect(200, anonymous=401)


def tech(w):
    return f"/registry/technicians/{w.technician_own.id}"


def comp(w):
    return f"/registry/companies/{w.company_own.id}"


CASES = [
    Case("GET", lambda w: "/search?q=Test", expect(200), note="public search"),
    Case("GET", lambda w: "/registry/technicians", LIST, note="technicians"),
    Case("GET", lambda w: "/registry/technicians/new", MANAGERS_GET, note="new technician"),
    Case("POST", lambda w: "/registry/technicians/new", MANAGERS_POST, note="new technician, empty"),
    Case("GET", tech, ANY_USER, note="technician page"),
    Case("GET", lambda w: tech(w) + "/edit",
         expect(403, anonymous=302, admin=200, certifying_officer=200, technician=200), note="edit technician"),
    Case("POST", lambda w: tech(w) + "/edit",
         expect(403, anonymous=302, admin=422, certifying_officer=422, technician=302),
         note="edit technician, empty (contact form of the technician accepts empty)"),
    Case("POST", lambda w: f"/registry/technicians/{w.technician_other.id}/edit",
         expect(403, anonymous=302, admin=422, certifying_officer=422), note="edit another technician"),
    Case("POST", lambda w: tech(w) + "/trainings",
         expect(403, anonymous=302, admin=422, certifying_officer=422), note="add training, empty"),
    Case("GET", lambda w: "/registry/companies", LIST, note="companies"),
    Case("GET", lambda w: "/registry/companies/new", MANAGERS_GET, note="new company"),
    Case("POST", lambda w: "/registry/companies/new", MANAGERS_POST, note="new company, empty"),
    Case("GET", comp, ANY_USER, note="company page"),
    Case("GET", lambda w: comp(w) + "/edit",
         expect(403, anonymous=302, admin=200, certifying_officer=200, company_user=200), note="edit company"),
    Case("POST", lambda w: comp(w) + "/edit",
         expect(403, anonymous=302, admin=422, certifying_officer=422, company_user=422), note="edit company, empty"),
    Case("POST", lambda w: f"/registry/companies/{w.company_other.id}/edit",
         expect(403, anonymous=302, admin=422, certifying_officer=422), note="edit another company"),
    Case("POST", lambda w: comp(w) + "/employees",
         expect(403, anonymous=302, admin=422, certifying_officer=422, company_user=422), note="add employee, empty"),
    Case("POST", lambda w: f"/registry/companies/{w.company_other.id}/employees",
         expect(403, anonymous=302, admin=422, certifying_officer=422), note="add employee to another company"),
    Case("POST", lambda w: comp(w) + f"/employees/{w.employment_own.id}/end",
         expect(403, anonymous=302, admin=302, certifying_officer=302, company_user=302), note="end employment"),
    Case("GET", lambda w: "/registry/authorities", ANY_USER, note="issuing authorities"),
    Case("POST", lambda w: "/registry/authorities", expect(403, anonymous=302, admin=422, kz_admin=422),
         note="appoint an authority, empty"),
    Case("POST", lambda w: "/api/v1/authorities", expect(403, anonymous=401, admin=422, kz_admin=422), api=True,
         note="api appoint an authority, empty"),
    # API
    Case("GET", lambda w: "/api/v1/countries", expect(200), api=True, note="api countries"),
    Case("GET", lambda w: "/api/v1/search?q=Test", expect(200), api=True, note="api search"),
    Case("GET", lambda w: "/api/v1/technicians", API_LIST, api=True, note="api technicians"),
    Case("POST", lambda w: "/api/v1/technicians", API_CREATE, api=True, note="api create technician, empty"),
    Case("GET", lambda w: f"/api/v1/technicians/{w.technician_own.id}", API_ANY_USER, api=True, note="api technician"),
    Case("PATCH", lambda w: f"/api/v1/technicians/{w.technician_own.id}",
         expect(403, anonymous=401, admin=200, certifying_officer=200, technician=200), api=True,
         note="api patch technician, no change"),
    Case("PATCH", lambda w: f"/api/v1/technicians/{w.technician_other.id}",
         expect(403, anonymous=401, admin=200, certifying_officer=200), api=True, note="api patch other technician"),
    Case("POST", lambda w: f"/api/v1/technicians/{w.technician_own.id}/trainings",
         expect(403, anonymous=401, admin=422, certifying_officer=422), api=True, note="api add training, empty"),
    Case("GET", lambda w: "/api/v1/companies", API_LIST, api=True, note="api companies"),
    Case("POST", lambda w: "/api/v1/companies", API_CREATE, api=True, note="api create company, empty"),
    Case("GET", lambda w: f"/api/v1/companies/{w.company_own.id}", API_ANY_USER, api=True, note="api company"),
    Case("PATCH", lambda w: f"/api/v1/companies/{w.company_own.id}",
         expect(403, anonymous=401, admin=200, certifying_officer=200, company_user=200), api=True,
         note="api patch company, no change"),
    Case("PATCH", lambda w: f"/api/v1/companies/{w.company_other.id}",
         expect(403, anonymous=401, admin=200, certifying_officer=200), api=True, note="api patch other company"),
    Case("POST", lambda w: f"/api/v1/companies/{w.company_own.id}/employees",
         expect(403, anonymous=401, admin=422, certifying_officer=422, company_user=422), api=True,
         note="api add employee, empty"),
    Case("POST", lambda w: f"/api/v1/companies/{w.company_own.id}/employees/{w.employment_own.id}/end",
         expect(403, anonymous=401, admin=422, certifying_officer=422, company_user=422), api=True,
         note="api end employment, empty"),
]
