"""Certificate pages, the public verification page and API, downloads, rate limits and scans."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from certreg.actors import Actor
from certreg.certificates import checking, lifecycle, signing, trust
from certreg.certificates.models import Certificate, CertificateEvent, CertificateScan
from certreg.extensions import db
from certreg.tokens import encoding as token_text
from certreg.tokens import keys as signing_keys
from certreg.tokens import status_list as statuslists
from certreg.vocabulary import Role
from tests.conftest import count_rows, login, make_test_app, post_form
from tests.factories import SYSTEM, ensure_keys, make_certificate, make_company, make_technician, make_token, make_user

TODAY = date.today()


def forge(token: str) -> str:
    """Change one byte inside the signature part of the token (still valid base32)."""
    raw = bytearray(token_text.b32_decode(token))
    raw[-10] ^= 0x01
    return token_text.b32_encode(bytes(raw))


def test_officer_issues_from_the_holders_page_and_downloads_everything(client):
    ensure_keys()
    officer = make_user(Role.CERTIFYING_OFFICER)
    technician = make_technician(full_name="Асанов Нурлан Бакытович", full_name_latin="Asanov Nurlan Bakytovich")
    login(client, officer)
    page = client.get(f"/registry/technicians/{technician.id}").get_data(as_text=True)
    assert "Issue a certificate" in page
    path = f"/certificates/new?kind=technician&holder={technician.id}"
    response = post_form(client, path, {"holder_kind": "technician", "holder_id": technician.id,
                                        "categories": ["A1", "B"], "valid_from": TODAY.isoformat(),
                                        "valid_until": (TODAY + timedelta(days=1000)).isoformat()})
    assert response.status_code == 302, response.get_data(as_text=True)
    cert = db.session.scalar(sa.select(Certificate).where(Certificate.technician_id == technician.id))
    detail = client.get(f"/certificates/{cert.number}").get_data(as_text=True)
    assert cert.number in detail and "Wallet card" in detail
    assert cert.number in client.get(f"/registry/technicians/{technician.id}").get_data(as_text=True)
    for suffix, magic in (("card.pdf", b"%PDF"), ("certificate.pdf", b"%PDF"), ("qr.png", b"\x89PNG"),
                          ("qr.svg", b"<")):
        body = client.get(f"/certificates/{cert.number}/{suffix}").data
        assert body.startswith(magic) or magic in body[:100], suffix
    png = client.get(f"/certificates/{cert.number}/qr.png").data
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert decoded == [f"https://certreg.example.org/v/{cert.token}"]
    pdf = client.get(f"/certificates/{cert.number}/card.pdf").data
    assert b"DejaVu" in pdf  # the Unicode font is embedded, so the Cyrillic name prints


def test_wrong_form_input_is_422_and_writes_nothing(client):
    ensure_keys()
    officer = make_user(Role.CERTIFYING_OFFICER)
    technician = make_technician()
    login(client, officer)
    before = count_rows(Certificate, CertificateEvent)
    response = post_form(client, f"/certificates/new?kind=technician&holder={technician.id}",
                         {"categories": ["ZZZ"], "valid_from": "2026-01-01", "valid_until": "2020-01-01"})
    assert response.status_code == 422
    assert count_rows(Certificate, CertificateEvent) == before


@pytest.mark.parametrize("via", ["page", "api"])
def test_verdicts_online_and_in_the_json_api(client, api, via):
    officer = Actor.of(make_user(Role.CERTIFYING_OFFICER))
    valid = make_certificate()
    revoked, suspended = make_certificate(), make_certificate()
    expired = make_certificate(valid_from=TODAY - timedelta(days=800), valid_until=TODAY - timedelta(days=1))
    lifecycle.revoke(officer, revoked, "Forged training record")
    lifecycle.suspend(officer, suspended, "Investigation")
    db.session.commit()
    stranger = signing.encode_token(checking.decode_token(valid.token).claims, signing_keys.generate_key())
    expected = {
        valid.token: "VALID", forge(valid.token): "INVALID_SIGNATURE", stranger: "INVALID_SIGNATURE",
        revoked.token: "REVOKED", suspended.token: "SUSPENDED", expired.token: "EXPIRED",
        "NOTATOKEN": "INVALID_SIGNATURE",
    }
    for token, verdict in expected.items():
        if via == "page":
            response = client.get(f"/v/{token}")
            assert response.status_code == 200
            assert f'data-verdict="{verdict}"' in response.get_data(as_text=True), token
        else:
            response = api.post("/verify", json={"token": f"https://certreg.example.org/v/{token}"})
            assert response.status_code == 200 and response.json["verdict"] == verdict, token
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CertificateScan)) == len(expected)
    if via == "api":  # this server holds the trust list: a key it does not know signed nothing genuine
        assert api.post("/verify", json={"token": stranger}).json["reason"] == "unknown-key"


def test_public_page_shows_public_facts_only_and_inspectors_see_more(client):
    company = make_company(legal_name="ОсОО «Холод»", name_latin="Kholod LLC")
    technician = make_technician(employer=company, national_id="SECRET-ID-42")
    cert = make_certificate(technician)
    page = client.get(f"/v/{cert.token}").get_data(as_text=True)
    assert technician.full_name_latin in page and cert.number in page and "ID document" in page
    assert "SECRET-ID-42" not in page and "ОсОО «Холод»" not in page and "History" not in page
    assert 'type="application/json" id="verify-text"' in page and "<script>" not in page
    inspector = make_user(Role.INSPECTOR, "KZ")
    login(client, inspector)
    page = client.get(f"/v/{cert.token}").get_data(as_text=True)
    assert "ОсОО «Холод»" in page and "History" in page
    scans = client.get("/verify/scans").get_data(as_text=True)
    assert cert.number in scans
    scan = db.session.scalar(sa.select(CertificateScan).order_by(CertificateScan.id.desc()))
    assert scan.inspector_user_id == inspector.id and scan.certificate_id == cert.id


def test_rate_limit_answers_429_with_retry_after_and_a_code(app, client, api):
    cert = make_certificate()
    app.config["VERIFY_RATE_LIMIT"] = 3
    try:
        for _ in range(3):
            assert client.get(f"/v/{cert.token}").status_code == 200
        response = client.get(f"/v/{cert.token}")
        assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
        response = api.post("/verify", json={"token": cert.token})
        assert response.status_code == 429 and response.json["error"]["code"] == "verify_rate_limited"
        assert api.get(f"/certificates/{cert.number}/status").status_code == 429
    finally:
        app.config["VERIFY_RATE_LIMIT"] = 120
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CertificateScan)) == 3


def test_the_limit_counts_forwarded_clients_only_behind_a_trusted_proxy(app, database_url):
    cert = make_certificate()
    path = f"/v/{cert.token}"

    def statuses(client, forwarded_for: str, times: int) -> list[int]:
        return [client.get(path, headers={"X-Forwarded-For": forwarded_for}).status_code for _ in range(times)]

    proxied = make_test_app(database_url, TRUSTED_PROXIES=1, VERIFY_RATE_LIMIT=2).test_client()
    assert statuses(proxied, "203.0.113.7", 3) == [200, 200, 429]
    assert statuses(proxied, "198.51.100.9", 1) == [200]  # another phone behind the same proxy
    app.config["VERIFY_RATE_LIMIT"] = 2
    try:  # without a trusted proxy the header is the client's own claim: ignored
        direct = app.test_client()
        assert statuses(direct, "192.0.2.1", 3) == [200, 200, 429]
        assert statuses(direct, "192.0.2.2", 1) == [429]
    finally:
        app.config["VERIFY_RATE_LIMIT"] = 120


def test_status_by_number_and_status_list(api):
    cert = make_certificate()
    typed = cert.number.lower().replace("-", " ")
    response = api.get(f"/certificates/{typed}/status")
    assert response.status_code == 200 and response.json["state"] == "valid" and response.json["number"] == cert.number
    assert "token" not in response.json
    wrong = cert.number[:-1] + str((int(cert.number[-1]) + 1) % 10)
    assert api.get(f"/certificates/{wrong}/status").json["error"]["code"] == "unknown_certificate"
    document = api.get("/status-list").json
    lst = statuslists.verify_status_list_token(document["status_lists"]["KG"], trust.trust_list())
    assert lst.status(cert.status_index) == statuslists.STATUS_VALID


def test_jwks_holds_every_countrys_keys(client):
    ensure_keys("KG", "KZ", "UZ")
    document = client.get("/.well-known/jwks.json").json
    assert {k["country"] for k in document["keys"]} >= {"KG", "KZ", "UZ"}
    assert all("d" not in k for k in document["keys"])


def test_api_lifecycle_with_audit_and_bad_input(api):
    ensure_keys()
    officer = make_user(Role.CERTIFYING_OFFICER)
    api.token = make_token(officer)
    technician = make_technician()
    before = count_rows(Certificate, CertificateEvent)
    for body, code in (
        ({"holder_kind": "technician", "holder_id": technician.id, "categories": ["A1"], "valid_from": "2026-01-01"},
         "required"),
        ({"holder_kind": "technician", "holder_id": [1], "categories": ["A1"], "valid_from": "2026-01-01",
          "valid_until": "2027-01-01"}, "wrong_type"),
        ({"holder_kind": "technician", "holder_id": technician.id, "categories": ["NOPE"],
          "valid_from": "2026-01-01", "valid_until": "2027-01-01"}, "unknown_category"),
        ({"holder_kind": "technician", "holder_id": technician.id, "categories": ["A1"], "valid_from": "2026-01-01",
          "valid_until": "2027-01-01", "extra": 1}, "unknown_field"),
    ):
        response = api.post("/certificates", json=body)
        assert response.status_code == 422, response.json
        codes = {e["code"] for errors in response.json["error"]["fields"].values() for e in errors}
        assert code in codes
    assert api.post("/certificates", data="x", headers={"Content-Type": "text/plain"}).status_code == 415
    assert count_rows(Certificate, CertificateEvent) == before
    response = api.post("/certificates", json={"holder_kind": "technician", "holder_id": technician.id,
                                               "categories": ["A1"], "valid_from": TODAY.isoformat(),
                                               "valid_until": (TODAY + timedelta(days=365)).isoformat()})
    assert response.status_code == 201
    number = response.json["number"]
    assert api.post(f"/certificates/{number}/suspend", json={"reason": "Investigation"}).json["state"] == "suspended"
    assert api.post(f"/certificates/{number}/suspend", json={"reason": "Again"}).status_code == 409
    assert api.post(f"/certificates/{number}/reinstate", json={}).json["state"] == "valid"
    renewed = api.post(f"/certificates/{number}/renew", json={"categories": ["A2"], "valid_from": TODAY.isoformat(),
                                                               "valid_until": (TODAY + timedelta(days=30)).isoformat()})
    assert renewed.status_code == 201 and renewed.json["categories"] == ["A2"]
    assert api.get(f"/certificates/{number}").json["state"] == "superseded"
    new = renewed.json["number"]
    assert api.post(f"/certificates/{new}/revoke", json={"reason": "Fraud"}).json["state"] == "revoked"
    assert api.post(f"/certificates/{new}/revoke", json={"reason": "Fraud"}).json["error"]["code"] == "cannot_revoke"
    assert [e["action"] for e in api.get(f"/certificates/{new}").json["events"]] == ["renewed", "revoked"]
    assert api.get(f"/certificates/{new}/card.pdf").data.startswith(b"%PDF")
    check = api.get(f"/purchase-check?certificate={new}&substance=R-404A").json
    assert check["code"] == "certificate_revoked" and check["allowed"] is False


def test_categories_api_and_page(api, client):
    admin = make_user(Role.ADMIN)
    items = api.get("/certificate-categories").json["items"]
    assert {"A1", "A2", "B", "C", "D", "E", "I", "II", "III", "IV", "CO-DEALER"} <= {c["code"] for c in items}
    api.token = make_token(admin)
    response = api.post("/certificate-categories", json={
        "code": "KG-MAC", "name_en": "Mobile air-conditioning", "name_ru": "Автомобильные кондиционеры",
        "holder_kind": "technician", "activities": ["maintain", "recover", "purchase"], "substances": ["fluorinated"]})
    assert response.status_code == 201 and response.json["country_code"] == "KG"
    login(client, admin)
    assert "KG-MAC" in client.get("/certificates/categories").get_data(as_text=True)
    response = post_form(client, "/certificates/categories", {"code": "KG-HALON", "name_en": "Halon fire protection",
                                                              "name_ru": "Галоновое пожаротушение",
                                                              "holder_kind": "technician",
                                                              "activities": ["maintain", "recover"],
                                                              "substances": ["halon"]})
    assert response.status_code == 302


def test_home_panels_and_certificate_list(client):
    officer = make_user(Role.CERTIFYING_OFFICER)
    soon = make_certificate(valid_until=TODAY + timedelta(days=20))
    login(client, officer)
    home = client.get("/").get_data(as_text=True)
    assert "expiring soon" in home and soon.number in home
    listing = client.get("/certificates?filter=expiring").get_data(as_text=True)
    assert soon.number in listing
    technician_user = make_user(Role.TECHNICIAN, technician=soon.technician)
    other = client.application.test_client()
    login(other, technician_user)
    assert soon.number in other.get("/").get_data(as_text=True)
    assert other.get(f"/certificates/{soon.number}").status_code == 200


def test_public_search_shows_certification_status_and_finds_by_number(client):
    cert = make_certificate()
    found = client.get(f"/search?q={cert.number.lower()}").get_data(as_text=True)
    assert cert.technician.full_name in found and "Certified" in found
    revoked = make_certificate()
    lifecycle.revoke(SYSTEM, revoked, "Fraud")
    db.session.commit()
    assert "Certificate revoked" in client.get(f"/search?q={revoked.number}").get_data(as_text=True)
