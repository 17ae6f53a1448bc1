"""Issue #15: focal points and licensee lists across two real installations (KG and KZ).

KG publishes its focal point directory and its licensed importers and exporters as signed federation
documents (``/.well-known/certreg/focal-points``, ``/.well-known/certreg/licensees``); KZ pulls them
with the other documents, keeps the last good copy and shows them: KG's focal points on KZ's focal
points page, KG's licensees on KZ's ``/federation/licensees`` page and in the API, each marked with its
origin and "as of". A change at KG shows after KZ's next sync; with nothing changed, a sync costs one
conditional request (``304``) per document; a rolled-back or out-of-bounds document is refused.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from openapi_core import OpenAPI

from certreg.actors import Actor
from certreg.api.docs import openapi_spec
from certreg.certificates.states import today
from certreg.extensions import db
from certreg.federation import identity, publishing, syncing, transport, wire
from certreg.federation.models import PeerDocument
from certreg.focalpoints import services as focalpoints
from certreg.focalpoints.models import FocalPoint
from certreg.licences import services as licences
from certreg.licences.models import Licence
from certreg.vocabulary import Role
from tests.conftest import ApiClient
from tests.factories import PASSWORD, make_company, make_token, make_user, totp_code
from tests.federation.installations import Installation

pytestmark = [pytest.mark.live, pytest.mark.xdist_group("federation")]
SYSTEM = Actor.system("test")
DIRECTORIES = (publishing.FOCAL_POINTS, publishing.LICENSEES)


def _sync(kz: Installation) -> dict[str, str]:
    with kz.ctx():
        result = syncing.sync_all(SYSTEM)[0]
        db.session.commit()
        return result.results


def _kg_publishes(kg: Installation) -> None:
    with kg.ctx():
        focalpoints.save(SYSTEM, "KG", focalpoints.FocalPointData(
            kind="border_post", code="AKJOL", name="Ak-Jol border post", phone="+996 312 000 111",
            neighbour_country="KZ", languages="ky, ru"))
        focalpoints.save(SYSTEM, "KG", focalpoints.FocalPointData(
            kind="ozone_unit", code="NOU", name="Ozone Centre of Kyrgyzstan", email="ozone@example.kg"))
        company = make_company(country_code="KG", activities=["importer", "exporter", "dealer"],
                               legal_name="Sary-Ozon LLC")
        for number, direction in (("KG-IMP-31", "import"), ("KG-EXP-32", "export")):
            licences.issue(SYSTEM, "KG", licences.LicenceData(
                number=number, company_registration=company.registration_number, direction=direction,
                scope=["HCFC-22", "C/I"], cap_kg="250", valid_from=today() - timedelta(days=10),
                valid_until=today() + timedelta(days=200), issuing_authority="Ministry of Natural Resources",
                partner_countries=["KZ"]))
        db.session.commit()


def _signed_in(kz: Installation, email: str):
    """A test client of ``kz`` signed in as ``email`` (the installations run without CSRF tokens)."""
    client = kz.app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.headers["Location"].endswith("/login/code"):
        assert client.post("/login/code", data={"code": totp_code(email)}).status_code == 302
    return client


def _page(kz: Installation, email: str, path: str) -> str:
    with kz.ctx():
        response = _signed_in(kz, email).get(path)
        assert response.status_code == 200, path
        return response.get_data(as_text=True)


def _api(kz: Installation, token: str, path: str) -> dict:
    with kz.ctx():
        client = ApiClient(kz.app.test_client(), OpenAPI.from_dict(
            {**openapi_spec(), "servers": [{"url": "http://localhost/api/v1"}]}), token)
        response = client.open("GET", path)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()


@pytest.fixture(scope="module")
def officials(world):
    with world["kz"].ctx():
        inspector = make_user(Role.INSPECTOR, "KZ")
        company_user = make_user(Role.COMPANY_USER, "KZ", company=make_company(country_code="KZ"))
        found = {"inspector": inspector.email, "token": make_token(inspector), "company_user": company_user.email}
        db.session.commit()
        return found


def test_the_peers_focal_points_and_licensees_are_published_synced_and_shown(world, officials):
    kg, kz = world["kg"], world["kz"]
    _kg_publishes(kg)
    results = _sync(kz)
    assert all(results[kind] == "new" for kind in DIRECTORIES), results

    page = _page(kz, officials["inspector"], "/focal-points")
    assert "Ak-Jol border post" in page and "Ozone Centre of Kyrgyzstan" in page
    assert "From the partner installation Kyrgyzstan, as of" in page and 'data-country="KG"' in page
    page = _page(kz, officials["inspector"], "/federation/licensees")
    assert "Sary-Ozon LLC" in page and "KG-IMP-31" in page and "KG-EXP-32" in page and "C/I, HCFC-22" in page
    assert "From the partner installation Kyrgyzstan, as of" in page

    listed = _api(kz, officials["token"], "/federation/licensees")["peers"]
    assert [(p["origin"], p["origin_url"]) for p in listed] == [("Kyrgyzstan", kg.public_url)]
    entries = listed[0]["countries"]["KG"]
    assert [(e["licence_number"], e["direction"], e["company"], e["scope"]) for e in entries] == [
        ("KG-EXP-32", "export", "Sary-Ozon LLC", ["C/I", "HCFC-22"]),
        ("KG-IMP-31", "import", "Sary-Ozon LLC", ["C/I", "HCFC-22"])]
    assert entries[0]["valid_until"] == (today() + timedelta(days=200)).isoformat()
    directories = _api(kz, officials["token"], "/federation/focal-points")["directories"]
    assert [(d["origin"], d["country"], sorted(e["code"] for e in d["entries"])) for d in directories] == [
        ("Kyrgyzstan", "KG", ["AKJOL", "NOU"])]

    with kz.ctx():  # a company user sees neither list
        assert _signed_in(kz, officials["company_user"]).get("/federation/licensees").status_code == 403


def test_a_change_shows_after_the_next_sync_and_nothing_changed_costs_one_conditional_request_each(
        world, officials, monkeypatch):
    kg, kz = world["kg"], world["kz"]
    _sync(kz)
    with kg.ctx():
        licence = db.session.scalar(sa.select(Licence).where(Licence.number == "KG-IMP-31"))
        licences.change_status(SYSTEM, licence, "revoked", "Licence obtained with a forged contract")
        post = db.session.scalar(sa.select(FocalPoint).where(FocalPoint.code == "AKJOL"))
        focalpoints.save(SYSTEM, "KG", focalpoints.FocalPointData(
            kind="border_post", code="AKJOL", name="Ak-Jol border post", phone="+996 312 999 888"), post)
        db.session.commit()
    assert "+996 312 000 111" in _page(kz, officials["inspector"], "/focal-points")  # not synced yet
    with kz.ctx():
        before = {d.kind: d.sequence for d in db.session.scalars(sa.select(PeerDocument))}
    results = _sync(kz)
    assert results[publishing.FOCAL_POINTS] == "new" and results[publishing.LICENSEES] == "new", results
    with kz.ctx():
        after = {d.kind: d.sequence for d in db.session.scalars(sa.select(PeerDocument))}
    assert all(after[kind] == before[kind] + 1 for kind in DIRECTORIES), (before, after)
    page = _page(kz, officials["inspector"], "/focal-points")
    assert "+996 312 999 888" in page and "+996 312 000 111" not in page
    page = _page(kz, officials["inspector"], "/federation/licensees")
    assert "KG-IMP-31" not in page and "KG-EXP-32" in page

    asked: list[tuple[str, str | None, int]] = []
    real = transport.get_document

    def counted(base_url: str, kind: str, etag: str | None) -> transport.Reply:
        reply = real(base_url, kind, etag)
        asked.append((kind, etag, reply.status))
        return reply

    monkeypatch.setattr(transport, "get_document", counted)
    results = _sync(kz)
    assert set(results.values()) == {"unchanged"}, results
    kinds = [kind.name for kind in publishing.kinds()]
    assert sorted(kind for kind, _, _ in asked) == sorted(kinds)  # one request per document
    assert all(etag is not None and status == 304 for _, etag, status in asked), asked


def test_a_rolled_back_or_overreaching_licensee_list_is_refused_and_the_last_good_copy_kept(world):
    kg, kz, proxy = world["kg"], world["kz"], world["proxy"]
    _sync(kz)
    with kz.ctx():
        kept = db.session.scalar(sa.select(PeerDocument).where(PeerDocument.kind == publishing.LICENSEES))
        kept_sequence, kept_body = kept.sequence, kept.body
    path = "/.well-known/certreg/" + publishing.LICENSEES
    with kg.ctx():  # signed by KG's pinned key, but an older sequence
        key = identity.private_key()
        old = wire.sign_document(key, kind=publishing.LICENSEES, sequence=kept_sequence - 1, issued_at=1_000_000,
                                 issuer=kg.public_url, body=kept_body)
        # ... and a new sequence listing a country KG does not sign for
        foreign = wire.sign_document(key, kind=publishing.LICENSEES, sequence=kept_sequence + 5,
                                     issued_at=1_000_000, issuer=kg.public_url, body={"countries": {"KZ": []}})
    try:
        proxy.documents[path] = old
        assert _sync(kz)[publishing.LICENSEES] == "refused: rolled-back"
        proxy.documents[path] = foreign
        assert _sync(kz)[publishing.LICENSEES] == "refused: malformed"
    finally:
        proxy.documents.pop(path, None)
    with kz.ctx():
        kept = db.session.scalar(sa.select(PeerDocument).where(PeerDocument.kind == publishing.LICENSEES))
        assert (kept.sequence, kept.body) == (kept_sequence, kept_body)
