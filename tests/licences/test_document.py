"""The licence document: its QR decodes from the rendered PDF, its token verifies with the JWKS alone (an
independent COSE library), its status list says suspended / revoked / expired, and the public check page."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import date, timedelta

import cbor2
import pypdfium2 as pdfium
import pytest
import zxingcpp
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import Sign1Message

from certreg.actors import Actor
from certreg.certificates import trust
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.licences import checking, documents, services
from certreg.licences.token import LICENCE_STATUS_LIST_TYP, LICENCE_TOKEN, LICENCE_TYP
from certreg.tokens import encoding as token_text
from certreg.tokens import format as tokens
from certreg.tokens import status_list as statuslist
from certreg.vocabulary import Role
from tests.conftest import login
from tests.factories import ensure_keys, make_company, make_token, make_user

#: Only the QR code: a label's or a document's printed text can read as a 1D barcode now and then.
QR = zxingcpp.BarcodeFormat.QRCode

SYSTEM = Actor.system("tests")
TODAY = date.today()
MM = 72 / 25.4


def independent_verify(token: str, jwks: dict) -> dict:
    """Verify a licence token with pycose and the JWKS only (not certreg's code); returns the claims."""
    tagged = cbor2.loads(base64.b32decode(token + "=" * (-len(token) % 8)))
    assert tagged.tag == 18
    protected, unprotected, payload, signature = tagged.value
    message = Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)
    header = {getattr(k, "identifier", k): v for k, v in message.phdr.items()}
    assert header[16] == "certreg-licence"
    kid = base64.urlsafe_b64encode(header[4]).rstrip(b"=").decode()
    jwk = next((k for k in jwks["keys"] if k["kid"] == kid), None)
    if jwk is None:
        raise LookupError("unknown key")
    message.key = EC2Key(crv=P256, x=base64.urlsafe_b64decode(jwk["x"] + "=="),
                         y=base64.urlsafe_b64decode(jwk["y"] + "=="))
    if not message.verify_signature():
        raise ValueError("bad signature")
    claims = cbor2.loads(message.payload)
    if claims[3] != jwk["country"]:
        raise ValueError("key of another country")
    return claims


def issue(**changes):
    ensure_keys("KZ")
    company = make_company(country_code="KZ", activities=["importer"],
                           legal_name="ТОО «Алматы Холод Импорт Трейдинг»",
                           name_latin="Almaty Kholod Import Trading LLP")
    values = dict(number="KZ-IMP-2026-0077", company_registration=company.registration_number,
                  direction="import", scope=["HCFC-22", "R-404A"], hs_codes=["2903.71", "3827.61"],
                  cap_kg="12500.5", cap_odp_t="0.6875", valid_from=TODAY - timedelta(days=10),
                  valid_until=TODAY + timedelta(days=355), issuing_authority="Ministry of Ecology of Kazakhstan",
                  partner_countries=["CN", "IN"])
    values.update(changes)
    licence = services.issue(SYSTEM, "KZ", services.LicenceData(**values))
    db.session.flush()
    return licence


def test_the_pdf_qr_decodes_and_the_token_verifies_with_the_jwks_alone(client):
    licence = issue()
    login(client, make_user(Role.CERTIFYING_OFFICER, "KZ"))
    response = client.get(f"/licences/{licence.id}/document.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    db.session.refresh(licence)
    assert licence.token and licence.kid
    # a realistic licence: 2 substances, 2 HS codes, 2 partners, a holder name of 32 characters (token v2)
    assert documents.qr_code(licence.token).version <= 15
    page = pdfium.PdfDocument(response.data)[0]
    width, height = page.get_size()
    assert (round(width / MM), round(height / MM)) == (210, 297)
    decoded = [r.text for r in zxingcpp.read_barcodes(page.render(scale=150 / 72).to_pil(), formats=QR)]
    assert decoded == [f"https://certreg.example.org/l/{licence.token}"]
    text = " ".join(page.get_textpage().get_text_range().split())
    for expected in ("KZ-IMP-2026-0077", "Almaty Kholod Import Trading LLP", "ТОО «Алматы Холод Импорт Трейдинг»",
                     "HCFC-22", "2903.71", "12500.5 kg",
                     "0.6875 ODP tonnes", "Import licence"):
        assert expected in text, expected
    claims = independent_verify(decoded[0].rsplit("/", 1)[1], client.get("/.well-known/jwks.json").get_json())
    assert claims[2] == "KZ-IMP-2026-0077" and claims[3] == "KZ" and claims[5] == 1
    assert claims[6] == ["HCFC-22", "R-404A"] and claims[7] == 12500500 and claims[8] == ["CN", "IN"]
    assert claims[4] == licence.company.registration_number and claims[11] == licence.id
    assert claims[1] == 2 and claims[12] == "Almaty Kholod Import Trading LLP"  # who holds it, signed
    assert claims[13] == [bytes.fromhex("290371"), bytes.fromhex("382761")]  # its HS codes, packed decimal
    # the same QR on every print
    again = client.get(f"/licences/{licence.id}/document.pdf")
    assert [r.text for r in zxingcpp.read_barcodes(pdfium.PdfDocument(again.data)[0].render(scale=150 / 72)
                                                   .to_pil(), formats=QR)] == decoded


def test_a_forged_or_foreign_token_fails_the_independent_verifier(client):
    licence = issue()
    token = documents.token_for(SYSTEM, licence)
    jwks = client.get("/.well-known/jwks.json").get_json()
    raw = bytearray(token_text.b32_decode(token))
    raw[-5] ^= 0x40
    with pytest.raises(ValueError, match="bad signature"):
        independent_verify(token_text.b32_encode(bytes(raw)), jwks)
    with pytest.raises(LookupError):
        independent_verify(token, {"keys": [k for k in jwks["keys"] if k["country"] != "KZ"]})


def test_a_licence_token_is_not_a_certificate_and_the_typ_is_checked(app):
    licence = issue()
    token = documents.token_for(SYSTEM, licence)
    from certreg.certificates.checking import assess_token

    assert assess_token(token, trust.trust_list(), None, TODAY).verdict.value == "INVALID_SIGNATURE"
    assert tokens.decode(LICENCE_TOKEN, token).claims.number == licence.number
    assert LICENCE_TOKEN.typ == LICENCE_TYP


@pytest.mark.parametrize(("status", "value", "verdict"), [("suspended", 2, "SUSPENDED"), ("revoked", 1, "REVOKED"),
                                                          ("expired", 3, "EXPIRED")])
def test_the_signed_status_list_and_the_check_follow_the_register(app, status, value, verdict):
    licence = issue()
    token = documents.token_for(SYSTEM, licence)
    assert checking.check_online(token).verdict == "VALID"
    services.change_status(SYSTEM, licence, status, "Inspection found false declarations")
    trust._cache.clear()
    lists = documents.status_list_document()["status_lists"]
    verified = statuslist.verify_status_list_token(lists["KZ"], trust.trust_list(), typ=LICENCE_STATUS_LIST_TYP)
    assert verified.status(licence.id) == value
    with pytest.raises(token_text.MalformedToken):  # a licence list is not a certificate list
        statuslist.verify_status_list_token(lists["KZ"], trust.trust_list())
    assert checking.assess(token, trust.trust_list(), {"KZ": verified}, TODAY).verdict == verdict
    assert checking.check_online(token).verdict == verdict


def test_dates_and_changed_terms(app):
    licence = issue(valid_from=TODAY + timedelta(days=5), valid_until=TODAY + timedelta(days=10))
    token = documents.token_for(SYSTEM, licence)
    assert checking.check_online(token).verdict == "NOT_YET_VALID"
    assert checking.check_online(token, TODAY + timedelta(days=11)).verdict == "EXPIRED"
    data = services.LicenceData(
        number=licence.number, company_registration=licence.company.registration_number, direction="import",
        scope=["HCFC-22"], cap_kg="100", valid_from=TODAY, valid_until=TODAY + timedelta(days=10),
        issuing_authority="Ministry")
    services.update(SYSTEM, licence, data, "Cap lowered")
    assert licence.token is None
    assert checking.check_online(token).verdict == "SUPERSEDED"  # the old document
    new = documents.token_for(SYSTEM, licence)
    assert checking.check_online(new).verdict == "VALID"
    assert checking.check_online("NOT-A-TOKEN").verdict == "INVALID_SIGNATURE"


def test_the_public_check_page_verdict_first_then_the_terms(client):
    licence = issue()
    token = documents.token_for(SYSTEM, licence)
    db.session.flush()
    html = client.get(f"/l/{token}").get_data(as_text=True)
    assert 'data-verdict="VALID"' in html and "verdict-ok" in html
    assert html.index("VALID") < html.index("Almaty Kholod Import Trading LLP") < html.index("2903.71")
    for expected in ("HCFC-22", "12500.5 kg", "China (CN)", "Import", "Status checked online just now."):
        assert expected in html, expected
    forged = client.get("/l/" + token[:-8] + "AAAAAAAA").get_data(as_text=True)
    assert 'data-verdict="INVALID_SIGNATURE"' in forged and "Almaty" not in forged
    services.change_status(SYSTEM, licence, "revoked", "Smuggling")
    assert 'data-verdict="REVOKED"' in client.get(f"/l/{token}").get_data(as_text=True)
    russian = client.get(f"/l/{token}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "ОТОЗВАН" in russian or "АННУЛИРОВАН" in russian
    georgian = client.get(f"/l/{token}", headers={"Accept-Language": "ka"}).get_data(as_text=True)
    assert "ლიცენზია" in georgian and 'lang="ka"' in georgian  # the verifier set


def test_a_document_printed_before_version_2_still_checks(client):
    """A version 1 token (no holder name, no HS codes signed) verifies online and offline; the page shows the
    register's holder and HS codes beside it. A version 2 token shows what it signs."""
    licence = issue()
    old = tokens.encode(LICENCE_TOKEN, replace(documents.claims_for(licence), version=1, holder_name=None,
                                               hs_codes=None), keys.active_key("KZ").private_key)
    licence.token = old  # as printed before the format changed
    db.session.flush()
    assert tokens.decode(LICENCE_TOKEN, old).claims.version == 1
    assert checking.check_online(old).verdict == "VALID"
    assert checking.assess(old, trust.trust_list(), None, TODAY).verdict == "VALID"
    claims = independent_verify(old, client.get("/.well-known/jwks.json").get_json())
    assert claims[1] == 1 and sorted(claims) == list(range(1, 12))
    html = client.get(f"/l/{old}").get_data(as_text=True)
    assert 'data-verdict="VALID"' in html and "Almaty Kholod Import Trading LLP" in html and "3827.61" in html
    licence.token = None
    new = documents.token_for(SYSTEM, licence)
    assert tokens.decode(LICENCE_TOKEN, new).claims.hs_codes_text == ("2903.71", "3827.61")
    assert checking.check_online(old).verdict == "SUPERSEDED" and checking.check_online(new).verdict == "VALID"


def test_the_token_signs_the_holder_name_shortened_and_the_hs_codes_packed(app):
    long_name = "Almaty Kholod Import Trading and Refrigeration Services Limited Liability Partnership"
    licence = issue(hs_codes=["8418.50.110", "2903.71"])
    licence.company.name_latin = long_name + "\u200b"  # a format character is not signed
    claims = documents.claims_for(licence)
    assert claims.holder_name == long_name[:47].rstrip() + "…" and len(claims.holder_name) <= 48
    assert claims.hs_codes == ("290371", "841850110")  # digits; an odd count ...
    assert claims.hs_codes_text == ("2903.71", "8418.50.11.0")
    raw = tokens.encode(LICENCE_TOKEN, claims, keys.active_key("KZ").private_key)
    assert tokens.decode(LICENCE_TOKEN, raw).claims == claims
    assert claims.to_cbor_map()[13] == [bytes.fromhex("290371"), bytes.fromhex("841850110f")]  # ... ends in F


def test_the_pdf_prints_in_chinese_with_the_cjk_font(client):
    licence = issue()
    login(client, make_user(Role.CERTIFYING_OFFICER, "KZ"))
    client.get("/language/zh_Hans")
    response = client.get(f"/licences/{licence.id}/document.pdf")
    text = " ".join(pdfium.PdfDocument(response.data)[0].get_textpage().get_text_range().split())
    assert "进口许可证" in text and "ТОО «Алматы Холод Импорт Трейдинг»" in text


def test_no_signing_key_is_a_conflict_not_a_500(client, api):
    company = make_company(country_code="TJ", activities=["importer"])
    licence = services.issue(SYSTEM, "TJ", services.LicenceData(
        number="TJ-1", company_registration=company.registration_number, direction="import", scope=["HCFC-22"],
        cap_kg="5", valid_from=TODAY, valid_until=TODAY, issuing_authority="Committee"))
    api.token = make_token(make_user(Role.ADMIN, "TJ"))
    response = api.get(f"/countries/TJ/licences/{licence.number}/token")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "no_signing_key"
