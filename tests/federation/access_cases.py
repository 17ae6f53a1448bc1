"""Access cases for the federation: the administrators' peers pages and API, officials' questions,
and the public well-known endpoints other installations call."""

from __future__ import annotations

from datetime import date

from certreg.actors import Actor
from certreg.cylinders import numbers
from certreg.extensions import db
from certreg.federation import identity, peers
from certreg.inspections import alerts
from tests.access import Case, expect
from tests.factories import ensure_keys

ADMINS = {"admin": 302, "kz_admin": 302}
ASKERS = {"admin": 200, "certifying_officer": 200, "inspector": 200, "kz_admin": 200, "kz_inspector": 200}


def build(world) -> None:
    identity.ensure_key(Actor.system())
    # A peer nobody answers for (port 9, "discard"): syncs and questions get "no answer" at once.
    world.extra["peer"] = peers.add_peer(Actor.system(), name="Nowhere", base_url="http://127.0.0.1:9",
                                         fingerprint="ab" * 32)
    # A seizure alert KZ sent about a KG cylinder not registered here: the alerts page is not empty.
    ensure_keys("KG")
    serial = f"KG-C-990001-{numbers.check_digit('KG', '990001')}"
    alerts.receive(Actor.system(), "https://certreg.kz.example", "Kazakhstan", alerts.AlertData(
        reference="KZ-SEIZ-1", seizing_country="KZ", seized_on=date(2026, 11, 30), place="Khorgos border post",
        origin_country="CN", goods=[{"substance": "HFC-134a", "kg": "12.500", "cylinders": 1, "serials": [serial]}],
        serials=[serial]))
    db.session.commit()


CASES = [
    Case("GET", lambda w: "/.well-known/certreg/trust-list", expect(200), note="published trust list"),
    Case("GET", lambda w: "/.well-known/certreg/status/certificates", expect(200), note="published status lists"),
    Case("GET", lambda w: "/.well-known/certreg/federation-key", expect(200), note="federation key"),
    Case("POST", lambda w: "/.well-known/certreg/ask", expect(400), api=True, note="a question that is not signed"),
    Case("GET", lambda w: "/federation/peers", expect(403, anonymous=302, admin=200, kz_admin=200), note="peers"),
    Case("POST", lambda w: "/federation/peers", expect(403, anonymous=302, admin=422, kz_admin=422),
         note="add a peer, nothing sent"),
    Case("POST", lambda w: f"/federation/peers/{w.peer.id}/suspend", expect(403, anonymous=302, **ADMINS),
         note="suspend a peer (then: already suspended)"),
    Case("POST", lambda w: f"/federation/peers/{w.peer.id}/resume", expect(403, anonymous=302, **ADMINS),
         note="resume a peer that is active: refused on the page"),
    Case("POST", lambda w: f"/federation/peers/{w.peer.id}/remove",
         expect(403, anonymous=302, admin=302, kz_admin=404), note="remove a peer (then: gone)"),
    Case("POST", lambda w: f"/federation/peers/{w.peer.id}/sync", expect(403, anonymous=302, **ADMINS),
         note="sync a peer that does not answer"),
    Case("GET", lambda w: "/federation/ask", expect(403, anonymous=302, **ASKERS), note="ask a peer"),
    Case("POST", lambda w: "/federation/ask", expect(403, anonymous=302, **{r: 422 for r in ASKERS}),
         note="ask a peer, nothing sent"),
    Case("GET", lambda w: "/.well-known/certreg/focal-points", expect(200), note="published focal points"),
    Case("GET", lambda w: "/.well-known/certreg/licensees", expect(200), note="published licensee lists"),
    Case("GET", lambda w: "/federation/licensees", expect(403, anonymous=302, **ASKERS), note="peers' licensees"),
    Case("GET", lambda w: "/api/v1/federation/licensees", expect(403, anonymous=401, **ASKERS), api=True,
         note="api peers' licensees"),
    Case("GET", lambda w: "/api/v1/federation/focal-points", expect(200, anonymous=401, company_user=403,
                                                                     technician=403), api=True,
         note="api peers' focal points"),
    Case("GET", lambda w: "/api/v1/federation/peers", expect(403, anonymous=401, admin=200, kz_admin=200), api=True,
         note="api peers"),
    Case("POST", lambda w: "/api/v1/federation/peers", expect(403, anonymous=401, admin=422, kz_admin=422), api=True,
         note="api add a peer, nothing sent"),
    Case("POST", lambda w: f"/api/v1/federation/peers/{w.peer.id}/suspend",
         expect(403, anonymous=401, admin=200, kz_admin=409), api=True, note="api suspend a peer"),
    Case("POST", lambda w: f"/api/v1/federation/peers/{w.peer.id}/resume",
         expect(403, anonymous=401, admin=409, kz_admin=409), api=True, note="api resume an active peer"),
    Case("DELETE", lambda w: f"/api/v1/federation/peers/{w.peer.id}",
         expect(403, anonymous=401, admin=200, kz_admin=404), api=True, note="api remove a peer"),
    Case("POST", lambda w: f"/api/v1/federation/peers/{w.peer.id}/sync",
         expect(403, anonymous=401, admin=200, kz_admin=200), api=True, note="api sync a peer"),
    Case("GET", lambda w: "/api/v1/federation/alerts",
         expect(403, anonymous=401, admin=200, inspector=200, auditor=200, kz_admin=200, kz_inspector=200), api=True,
         note="seizure alerts received about the caller's country"),
    Case("GET", lambda w: "/federation/alerts",
         expect(403, anonymous=302, admin=200, inspector=200, auditor=200, kz_admin=200, kz_inspector=200),
         note="page: seizure alerts received about the official's country"),
    Case("POST", lambda w: f"/api/v1/federation/peers/{w.peer.id}/ask", expect(403, anonymous=401, **ASKERS),
         api=True, data=lambda w: {"kind": "ping"}, note="api ask a peer that does not answer"),
]
