"""static/js/licence-core.js run for real in headless Chromium (a secure context, a strict CSP), its verdicts
compared with the Python check (:func:`certreg.licences.checking.assess`) for valid, suspended, revoked,
expired, forged, foreign and mutated licence tokens."""

from __future__ import annotations

import datetime as dt
import functools
import random
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from certreg.certificates import signing
from certreg.certificates.token import CertificateClaims
from certreg.licences import checking
from certreg.licences.token import LICENCE_STATUS_LIST_TYP, LICENCE_TOKEN, LicenceClaims
from certreg.tokens import encoding as tenc
from certreg.tokens import format as tokens
from certreg.tokens import keys as tkeys
from certreg.tokens import status_list as sl
from certreg.tokens.cose import HDR_TYP, sign1

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'"
KZ_KEY = ec.derive_private_key(0x4B5A4B5A4B5A, ec.SECP256R1())
KG_KEY = ec.derive_private_key(0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721, ec.SECP256R1())
STRANGER = ec.derive_private_key(0xBADBADBAD, ec.SECP256R1())
JWKS = tkeys.jwks([tkeys.public_jwk(KZ_KEY.public_key(), country="KZ"),
                   tkeys.public_jwk(KG_KEY.public_key(), country="KG")])
TRUST = tkeys.TrustList.from_jwks(JWKS)
TODAY = "2027-01-15"
HARNESS_JS = """\
import * as core from '/static/js/licence-core.js'
window.licenceCore = core
document.body.dataset.ready = 'yes'
"""


def claims(**overrides: Any) -> LicenceClaims:
    fields: dict[str, Any] = dict(
        number="KZ-IMP-2026-0077", country="KZ", holder_registration="120540012345", direction="import",
        scope=("HCFC-22", "R-404A"), cap_grams=12_500_500, partner_countries=("CN", "IN"),
        valid_from=dt.date(2026, 6, 1), valid_until=dt.date(2027, 5, 31), status_index=5,
        holder_name="Almaty Kholod Import Trading LLP", hs_codes=("290371", "38276"))
    if overrides.get("version") == 1:  # the tokens signed before names and HS codes were
        fields.update(holder_name=None, hs_codes=None)
    fields.update(overrides)
    return LicenceClaims(**fields)


def sign(key=KZ_KEY, **overrides: Any) -> str:
    return tokens.encode(LICENCE_TOKEN, claims(**overrides), key)


LISTS = {"KZ": sl.encode_status_list_token(
    "KZ", sl.build_status_list({6: 1, 7: 2, 8: 3}, 64), KZ_KEY, issued_at=dt.datetime(2027, 1, 14, tzinfo=dt.UTC),
    ttl=86400, typ=LICENCE_STATUS_LIST_TYP)}
CERTIFICATE_LISTS = {"KZ": sl.encode_status_list_token(
    "KZ", sl.build_status_list({5: 1}, 64), KZ_KEY, issued_at=dt.datetime(2027, 1, 14, tzinfo=dt.UTC), ttl=86400)}


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(ROOT / "static", root / "static")
    (root / "harness.js").write_text(HARNESS_JS)
    (root / "index.html").write_text('<!doctype html><html><head><meta charset="utf-8"><title>t</title>'
                                     '<script type="module" src="/harness.js"></script></head><body></body></html>')
    (root / "favicon.ico").write_bytes(b"")
    _Handler.extensions_map = {**_Handler.extensions_map, ".js": "text/javascript"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with playwright_sync.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                pg = browser.new_page()
                pg.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
                pg.wait_for_function("document.body.dataset.ready === 'yes'", timeout=15000)
                yield pg
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def js(page, token: str, lists: Any = None, now: str = TODAY) -> dict[str, Any]:
    return page.evaluate("([t, j, s, n]) => window.licenceCore.verifyLicence(t, j, s, n)", [token, JWKS, lists, now])


def python(token: str, lists: dict[str, str] | None = None, now: str = TODAY) -> str:
    verified = {c: sl.verify_status_list_token(t, TRUST, typ=LICENCE_STATUS_LIST_TYP) for c, t in (lists or {}).items()}
    return checking.assess(token, TRUST, verified, dt.date.fromisoformat(now)).verdict


def test_a_valid_licence_and_its_claims(page):
    result = js(page, sign(), {"status_lists": LISTS})
    assert result["verdict"] == "VALID" and result["statusAsOf"] == "2027-01-14T00:00:00Z"
    assert result["claims"] == {
        "version": 2, "number": "KZ-IMP-2026-0077", "country": "KZ", "holderRegistration": "120540012345",
        "direction": "import", "scope": ["HCFC-22", "R-404A"], "capGrams": 12500500,
        "partnerCountries": ["CN", "IN"], "validFrom": "2026-06-01", "validUntil": "2027-05-31", "statusIndex": 5,
        "holderName": "Almaty Kholod Import Trading LLP", "hsCodes": ["2903.71", "3827.6"]}


def test_a_version_1_token_still_verifies_without_name_and_hs_codes(page):
    old = sign(version=1)
    result = js(page, old, {"status_lists": LISTS})
    assert result["verdict"] == python(old, LISTS) == "VALID"
    assert result["claims"]["version"] == 1 and result["claims"]["holderName"] is None
    assert result["claims"]["hsCodes"] is None


def _resigned(key_changes: dict) -> str:
    """A token whose v2 claims map is changed as given (None: the key removed), signed by KZ."""
    claims_map = claims().to_cbor_map()
    for key, value in key_changes.items():
        if value is None:
            claims_map.pop(key)
        else:
            claims_map[key] = value
    return tenc.b32_encode(sign1(KZ_KEY, {HDR_TYP: LICENCE_TOKEN.typ}, tenc.cbor(claims_map)))


@pytest.mark.parametrize("changes", [
    {13: None},  # a version 2 token without its HS codes
    {12: None, 13: None, 1: 3},  # an unknown version
    {13: [bytes.fromhex("29a371")]},  # not packed decimal
    {13: [bytes.fromhex("2903ff")]},  # two fill nibbles
    {13: [bytes.fromhex("290371"), bytes.fromhex("290371")]},  # the same code twice
    {12: " Almaty"},  # a leading space
    {12: "Almaty\u200bKholod"},  # a format character
    {12: "A" * 49},  # too long
    {1: 1},  # version 1 with the keys of version 2
])
def test_bad_version_2_claims_agree_with_python(page, changes):
    token = _resigned(changes)
    expected = "UNKNOWN" if changes.get(1) == 3 else "INVALID_SIGNATURE"
    assert js(page, token)["verdict"] == python(token) == expected


@pytest.mark.parametrize(("token", "lists", "now", "verdict"), [
    (sign(status_index=6), LISTS, TODAY, "REVOKED"),
    (sign(status_index=7), LISTS, TODAY, "SUSPENDED"),
    (sign(status_index=8), LISTS, TODAY, "EXPIRED"),
    (sign(status_index=6, valid_until=dt.date(2026, 12, 31)), LISTS, TODAY, "REVOKED"),  # status before dates
    (sign(status_index=9999), LISTS, TODAY, "UNKNOWN"),  # beyond the list
    (sign(), None, "2027-06-01", "EXPIRED"),
    (sign(), None, "2026-05-31", "NOT_YET_VALID"),
    (sign(key=STRANGER), None, TODAY, "UNKNOWN"),  # unknown key
    (sign(key=KG_KEY), None, TODAY, "INVALID_SIGNATURE"),  # Kyrgyzstan's key signing a Kazakh licence
    (sign(status_index=6), CERTIFICATE_LISTS, TODAY, "VALID"),  # a certificate list is not read as a licence list
])
def test_verdicts_agree_with_python(page, token, lists, now, verdict):
    assert js(page, token, lists and {"status_lists": lists}, now)["verdict"] == verdict
    assert python(token, lists if lists is not CERTIFICATE_LISTS else None, now) == verdict


def test_a_certificate_token_is_not_a_licence(page):
    certificate = signing.encode_token(CertificateClaims(
        number="KZ-C-2026-000001-7", holder_name="Almaty Kholod", holder_kind="company", country="KZ",
        categories=("CO-DEALER",), valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2030, 1, 1),
        status_index=1), KZ_KEY)
    assert js(page, certificate)["verdict"] == python(certificate) == "INVALID_SIGNATURE"


def test_mutated_tokens_agree_with_python(page):
    rng = random.Random(13)
    valid = tenc.b32_decode(sign())
    for _ in range(150):
        raw = bytearray(valid)
        for _ in range(rng.randint(1, 3)):
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        token = tenc.b32_encode(bytes(raw))
        expected = python(token, LISTS)
        assert js(page, token, {"status_lists": LISTS})["verdict"] == expected, token
        assert expected != "VALID"
