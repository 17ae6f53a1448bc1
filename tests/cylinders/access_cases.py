"""Access cases for the cylinder register, labels, the public scan and the API."""

from certreg.actors import Actor
from certreg.cylinders import custody
from certreg.cylinders.models import CylinderKind
from tests.access import Case, expect
from tests.cylinders.builders import make_cylinder
from tests.factories import ensure_keys

OFFICIALS = dict(admin=200, certifying_officer=200, inspector=200, auditor=200)
LIST = expect(403, anonymous=302, kz_admin=200, kz_inspector=200, **OFFICIALS)
REGISTER_GET = expect(403, anonymous=302, admin=200, certifying_officer=200, company_user=200, kz_admin=200)
REGISTER_POST = expect(403, anonymous=302, admin=422, certifying_officer=422, company_user=422, kz_admin=422)
VIEW = expect(404, anonymous=302, company_user=200, **OFFICIALS)
ACT = expect(404, anonymous=302, admin=422, certifying_officer=422, company_user=422, inspector=403, auditor=403)
API_LIST = expect(403, anonymous=401, kz_admin=200, kz_inspector=200, **OFFICIALS)
API_VIEW = expect(404, anonymous=401, company_user=200, **OFFICIALS)
API_REGISTER = expect(403, anonymous=401, admin=422, certifying_officer=422, company_user=422, kz_admin=422)
API_ACT = expect(404, anonymous=401, admin=422, certifying_officer=422, company_user=422, inspector=403, auditor=403)
PUBLIC = expect(200)
RULES_GET = expect(403, anonymous=302, admin=200, kz_admin=200)  # each administrator: their own country's
RULES_POST = expect(403, anonymous=302, admin=302, kz_admin=302)  # nothing sent: no ban (there is none)
API_RULES = expect(403, anonymous=401, admin=200)  # KG's, for KG's administrators only


def build(world) -> None:
    ensure_keys("KG", "KZ")
    world.extra["cylinder_own"] = make_cylinder(world.company_own)
    # the recovery form is on a recovery cylinder's page only
    world.extra["cylinder_recovery"] = make_cylinder(world.company_own, kind=CylinderKind.RECOVERY, substance=None)
    # the "report found" form is on a lost cylinder's page only
    lost = make_cylinder(world.company_own)
    custody.report_lost(Actor.system("test"), lost, note="Police KG-1")
    world.extra["cylinder_lost"] = lost


def cyl(w):
    return f"/cylinders/{w.cylinder_own.serial}"


def api_cyl(w):
    return f"/api/v1/cylinders/{w.cylinder_own.serial}"


CASES = [
    Case("GET", lambda w: "/cylinders", LIST, note="cylinder register"),
    Case("GET", lambda w: "/cylinders/new", REGISTER_GET, note="register form"),
    Case("GET", lambda w: f"/cylinders/lookup?q={w.cylinder_own.serial}", LIST, note="lookup in every country"),
    Case("POST", lambda w: "/cylinders/new", REGISTER_POST, note="register, empty"),
    Case("GET", cyl, VIEW, note="cylinder page"),
    Case("POST", lambda w: cyl(w) + "/fill", ACT, note="fill, empty"),
    Case("POST", lambda w: cyl(w) + "/charge", ACT, note="charge, empty"),
    Case("POST", lambda w: f"/cylinders/{w.cylinder_recovery.serial}/recover", ACT, note="recover, empty"),
    *[Case("POST", lambda w, a=a: cyl(w) + f"/{a}", ACT, note=f"{a}, empty")
      for a in ("transfer", "destroy", "lost")],
    Case("GET", lambda w: f"/cylinders/{w.cylinder_lost.serial}", VIEW, note="a lost cylinder's page"),
    Case("POST", lambda w: f"/cylinders/{w.cylinder_lost.serial}/found", ACT, note="found, empty"),
    Case("GET", lambda w: cyl(w) + "/label.pdf", VIEW, note="label PDF"),
    Case("GET", lambda w: f"/cylinders/labels.pdf?serial={w.cylinder_own.serial}", VIEW, note="label sheet"),
    Case("GET", lambda w: f"/c/{w.cylinder_own.token}", PUBLIC, note="label scan"),
    Case("GET", lambda w: "/c/FORGED", PUBLIC, note="label scan, garbage"),
    Case("GET", lambda w: "/verify/cylinder-offline", PUBLIC, note="offline label check shell"),
    # API
    Case("GET", lambda w: "/api/v1/cylinders", API_LIST, api=True, note="API list"),
    Case("GET", lambda w: f"/api/v1/cylinders/lookup?q={w.cylinder_own.serial}", API_LIST, api=True,
         note="API lookup in every country"),
    Case("POST", lambda w: "/api/v1/cylinders", API_REGISTER, api=True, note="API register, empty"),
    Case("GET", api_cyl, API_VIEW, api=True, note="API cylinder"),
    Case("POST", lambda w: api_cyl(w) + "/fill", API_ACT, api=True, note="API fill, empty"),
    Case("POST", lambda w: api_cyl(w) + "/charge", API_ACT, api=True, note="API charge, empty"),
    *[Case("POST", lambda w, a=a: api_cyl(w) + f"/{a}", API_ACT, api=True, note=f"API {a}, empty")
      for a in ("recover", "transfer", "destroy", "lost", "found")],
    Case("GET", lambda w: api_cyl(w) + "/label.pdf", API_VIEW, api=True, note="API label"),
    Case("GET", lambda w: "/api/v1/cylinders/status-list", PUBLIC, api=True, note="label status lists"),
    Case("GET", lambda w: f"/api/v1/cylinders/check/{w.cylinder_own.token}", PUBLIC, api=True, note="API check"),
    Case("GET", lambda w: "/cylinders/rules", RULES_GET, note="cylinder rules of the user's country"),
    Case("POST", lambda w: "/cylinders/rules", RULES_POST, note="cylinder rules, nothing sent"),
    Case("GET", lambda w: "/api/v1/countries/KG/cylinder-rules", API_RULES, api=True, note="API cylinder rules"),
    Case("PUT", lambda w: "/api/v1/countries/KG/cylinder-rules", API_RULES, api=True,
         data=lambda w: {"non_refillable_banned_from": None}, note="API cylinder rules, no ban"),
]
