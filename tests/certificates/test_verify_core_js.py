"""static/js/verify-core.js, run for real in headless Chromium.

The page is served from 127.0.0.1 (a secure context, so WebCrypto works) with
a strict Content-Security-Policy: no inline script, no eval, nothing from
another origin.  Tokens and status lists are produced by the Python code and
the JS verdicts are compared with the expected ones and, for a few hundred
mutated tokens, with :func:`certreg.certificates.signing.assess_token`.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
import random
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from certreg.certificates import checking, signing
from certreg.certificates.qr import qr_for_url, render_svg
from certreg.certificates.token import CertificateClaims
from certreg.tokens import encoding as tenc
from certreg.tokens import keys as tkeys
from certreg.tokens import status_list as sl

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'"

KG_KEY = ec.derive_private_key(0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721, ec.SECP256R1())
UZ_KEY = ec.derive_private_key(0x5EC00DC0FFEE, ec.SECP256R1())
STRANGER_KEY = ec.derive_private_key(0xBADBADBAD, ec.SECP256R1())
JWKS = tkeys.jwks([tkeys.public_jwk(KG_KEY.public_key(), country="KG"),
                   tkeys.public_jwk(UZ_KEY.public_key(), country="UZ")])
TRUST = tkeys.TrustList.from_jwks(JWKS)
TODAY = "2027-01-15"
ISSUED = dt.datetime(2027, 1, 14, 6, 0, tzinfo=dt.UTC)

HARNESS_JS = """\
import * as core from '/static/js/verify-core.js'
window.verifyCore = core
document.body.dataset.ready = 'yes'
"""

SW_JS = """\
import { verifyToken } from '/static/js/verify-core.js'
self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))
self.addEventListener('message', async (event) => {
  const { token, jwks, statusLists, now } = event.data
  const result = await verifyToken(token, jwks, statusLists, now)
  event.source.postMessage({ verdict: result.verdict, number: result.claims && result.claims.number })
})
"""

INDEX_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>verify-core test</title>
<script type="module" src="/harness.js"></script></head>
<body><img id="qr" src="/qr.svg" width="600" height="600" alt=""></body></html>
"""


def claims(**overrides: Any) -> CertificateClaims:
    fields: dict[str, Any] = dict(
        number="KG-T-2026-000123-5",
        holder_name="Aigerim Zhunusbekovna Abdyldaeva-Sultanova",
        holder_kind="technician",
        country="KG",
        categories=("A1", "B", "I", "KG-ODS"),
        valid_from=dt.date(2026, 3, 1),
        valid_until=dt.date(2031, 2, 28),
        status_index=13,
    )
    fields.update(overrides)
    return CertificateClaims(**fields)


def b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


def unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def sign_raw(payload: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    protected = cbor2.dumps({1: -7, 4: tkeys.kid_for(key.public_key())}, canonical=True)
    tbs = cbor2.dumps(["Signature1", protected, b"", payload])
    r, s_ = decode_dss_signature(key.sign(tbs, ec.ECDSA(hashes.SHA256())))
    return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, r.to_bytes(32, "big") + s_.to_bytes(32, "big")]))


def flip(token: str, index: int) -> str:
    raw = bytearray(unb32(token))
    raw[index] ^= 0x01
    return b32(bytes(raw))


VALID = signing.encode_token(claims(), KG_KEY)
STATUS_LIST = sl.encode_status_list_token(
    "KG",
    sl.build_status_list({10: sl.STATUS_INVALID, 11: sl.STATUS_SUSPENDED, 12: sl.STATUS_SUPERSEDED}, 1000),
    KG_KEY,
    issued_at=ISSUED,
    ttl=86400,
)
STATUS_DOC = sl.status_list_document({"KG": STATUS_LIST})


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(ROOT / "static", root / "static")
    (root / "harness.js").write_text(HARNESS_JS)
    (root / "sw.js").write_text(SW_JS)
    (root / "index.html").write_text(INDEX_HTML)
    (root / "favicon.ico").write_bytes(b"")  # Chromium asks for it; a 404 would be logged as an error
    (root / "qr.svg").write_text(render_svg(qr_for_url("https://certreg.example.org/v/", VALID)))
    handler = functools.partial(_Handler, directory=str(root))
    _Handler.extensions_map = {**_Handler.extensions_map, ".js": "text/javascript", ".svg": "image/svg+xml"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(site: str) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed at /usr/bin/chromium")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            pg = browser.new_page(viewport={"width": 700, "height": 700})
            problems: list[str] = []
            pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            pg.on("pageerror", lambda e: problems.append(str(e)))
            pg.goto(site + "/index.html")
            pg.wait_for_function("document.body.dataset.ready === 'yes'", timeout=15000)
            pg.problems = problems
            yield pg
        finally:
            browser.close()


def js_verify(page: Any, token: str, jwks: Any = JWKS, status: Any = None, now: str = TODAY) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        "([t, j, st, n]) => window.verifyCore.verifyToken(t, j, st, n)", [token, jwks, status, now]
    )
    return result


def test_valid_token_and_claims(page: Any) -> None:
    result = js_verify(page, VALID)
    assert result["verdict"] == "VALID" and result["reason"] is None
    assert result["statusAsOf"] is None
    assert result["claims"] == {
        "version": 1,
        "number": "KG-T-2026-000123-5",
        "holderName": "Aigerim Zhunusbekovna Abdyldaeva-Sultanova",
        "holderKind": "technician",
        "country": "KG",
        "categories": ["A1", "B", "I", "KG-ODS"],
        "validFrom": "2026-03-01",
        "validUntil": "2031-02-28",
        "statusIndex": 13,
    }
    assert result["kid"] == tenc.b64url_encode(tkeys.kid_for(KG_KEY.public_key()))
    assert js_verify(page, VALID.lower())["verdict"] == "VALID"
    with_status = js_verify(page, VALID, status=STATUS_DOC)
    assert with_status["verdict"] == "VALID"
    assert with_status["statusAsOf"] == "2027-01-14T06:00:00Z" and with_status["statusStale"] is False
    assert js_verify(page, VALID, status=STATUS_DOC, now="2027-01-16")["statusStale"] is True


def test_decode_token_matches_python(page: Any) -> None:
    decoded = page.evaluate(
        """(t) => {
             const d = window.verifyCore.decodeToken(t)
             return { kid: d.kidB64, n: d.claims.number, cose: d.cose.length }
           }""",
        VALID,
    )
    py = checking.decode_token(VALID)
    assert decoded == {"kid": tenc.b64url_encode(py.kid), "n": py.claims.number, "cose": len(py.cose)}
    error = page.evaluate("() => { try { window.verifyCore.decodeToken('AB') } catch (e) { return [e.name, e.code] } }")
    assert error == ["TokenError", "malformed"]


@pytest.mark.parametrize(
    "token, verdict, reason",
    [
        (flip(VALID, len(unb32(VALID)) - 5), "INVALID_SIGNATURE", "bad-signature"),  # in the signature
        (flip(VALID, 50), "INVALID_SIGNATURE", "bad-signature"),  # inside the holder name
        (flip(VALID, 8), "UNKNOWN", "unknown-key"),  # inside the kid
        (signing.encode_token(claims(), STRANGER_KEY), "UNKNOWN", "unknown-key"),
        (signing.encode_token(claims(), UZ_KEY), "INVALID_SIGNATURE", "issuer-mismatch"),
        (signing.encode_token(claims(valid_until=dt.date(2027, 1, 14)), KG_KEY), "EXPIRED", None),
        (signing.encode_token(claims(valid_until=dt.date(2027, 1, 15)), KG_KEY), "VALID", None),
        (signing.encode_token(claims(valid_from=dt.date(2027, 1, 16)), KG_KEY), "NOT_YET_VALID", None),
        (VALID[:-8], "INVALID_SIGNATURE", "malformed"),
        (VALID + "A", "INVALID_SIGNATURE", "malformed"),
        ("THIS-IS-NOT-A-TOKEN", "INVALID_SIGNATURE", "malformed"),
        ("", "INVALID_SIGNATURE", "malformed"),
    ],
)
def test_verdicts_without_status(page: Any, token: str, verdict: str, reason: str | None) -> None:
    result = js_verify(page, token)
    assert (result["verdict"], result["reason"]) == (verdict, reason)
    if verdict in ("INVALID_SIGNATURE", "UNKNOWN"):
        assert result["claims"] is None
    assert checking.assess_token(token, TRUST, None, dt.date.fromisoformat(TODAY)).verdict.value == verdict


def test_unsupported_version(page: Any) -> None:
    payload = cbor2.loads(checking.decode_token(VALID).payload)
    payload[1] = 2
    token = b32(sign_raw(cbor2.dumps(payload, canonical=True), KG_KEY))
    result = js_verify(page, token)
    assert (result["verdict"], result["reason"]) == ("UNKNOWN", "unsupported-version")


@pytest.mark.parametrize(
    "index, verdict",
    [(10, "REVOKED"), (11, "SUSPENDED"), (12, "SUPERSEDED"), (13, "VALID"), (999, "VALID"), (1000, "UNKNOWN")],
)
def test_status_list_verdicts(page: Any, index: int, verdict: str) -> None:
    token = signing.encode_token(claims(status_index=index), KG_KEY)
    for form in (STATUS_DOC, STATUS_DOC["status_lists"], [STATUS_LIST]):
        result = js_verify(page, token, status=form)
        assert result["verdict"] == verdict, form
        assert result["statusAsOf"] == "2027-01-14T06:00:00Z"
    # Status takes precedence over dates.
    expired = signing.encode_token(claims(status_index=index, valid_until=dt.date(2026, 12, 31)), KG_KEY)
    expected = verdict if verdict not in ("VALID",) else "EXPIRED"
    assert js_verify(page, expired, status=STATUS_DOC)["verdict"] == expected


def test_untrustworthy_status_lists_are_ignored(page: Any) -> None:
    revoked = signing.encode_token(claims(status_index=10), KG_KEY)
    raw = bytearray(tenc.b64url_decode(STATUS_LIST))
    raw[-3] ^= 0x40
    tampered = {"status_lists": {"KG": tenc.b64url_encode(bytes(raw))}}
    result = js_verify(page, revoked, status=tampered)
    assert (result["verdict"], result["statusError"], result["statusAsOf"]) == ("VALID", "bad-signature", None)
    lst = sl.build_status_list({10: 1}, 100)
    forged = sl.encode_status_list_token("KG", lst, UZ_KEY, issued_at=ISSUED)  # UZ key, KG list
    result = js_verify(page, revoked, status={"KG": forged})
    assert (result["verdict"], result["statusError"]) == ("VALID", "issuer-mismatch")
    other_country = sl.encode_status_list_token("UZ", lst, UZ_KEY, issued_at=ISSUED)
    result = js_verify(page, revoked, status={"KG": other_country})  # filed under the wrong key
    assert (result["verdict"], result["statusAsOf"]) == ("VALID", None)
    result = js_verify(page, revoked, status={"KG": "!!not base64!!"})
    assert (result["verdict"], result["statusError"]) == ("VALID", "malformed")
    stranger = sl.encode_status_list_token("KG", lst, STRANGER_KEY, issued_at=ISSUED)
    assert js_verify(page, revoked, status={"KG": stranger})["statusError"] == "unknown-key"


def test_bad_jwks_entries_are_ignored(page: Any) -> None:
    jwk = tkeys.public_jwk(KG_KEY.public_key(), country="KG")
    wrong_kid = {**jwk, "kid": tenc.b64url_encode(b"\x01" * 8)}
    off_curve = {**jwk, "y": jwk["x"]}
    other_alg = {**jwk, "alg": "ES384"}
    for keys in ([wrong_kid], [off_curve], [other_alg], [], [{"kty": "OKP"}]):
        assert js_verify(page, VALID, jwks={"keys": keys})["verdict"] == "UNKNOWN"
    assert js_verify(page, VALID, jwks=None)["verdict"] == "UNKNOWN"
    assert js_verify(page, VALID, jwks={"keys": [off_curve, jwk]})["verdict"] == "VALID"


def test_differential_against_python(page: Any) -> None:
    """Mutated tokens: the browser and the Python core must agree exactly."""
    rng = random.Random(4242)
    base = [VALID, signing.encode_token(claims(status_index=10), KG_KEY)]
    tokens: list[str] = []
    for i in range(400):
        raw = bytearray(unb32(base[i % 2]))
        for _ in range(rng.choice((1, 1, 2))):
            op = rng.randrange(4)
            pos = rng.randrange(len(raw))
            if op == 0:
                raw[pos] ^= 1 << rng.randrange(8)
            elif op == 1:
                raw[pos] = rng.randrange(256)
            elif op == 2:
                del raw[pos]
            else:
                raw.insert(pos, rng.randrange(256))
        tokens.append(b32(bytes(raw)))
    tokens += base
    status_lists = {"KG": sl.verify_status_list_token(STATUS_LIST, TRUST)}
    today = dt.date.fromisoformat(TODAY)
    now = dt.datetime.combine(today, dt.time(), dt.UTC)
    js = page.evaluate(
        """async ([tokens, jwks, st, now]) => {
             const out = []
             for (const t of tokens) {
               const r = await window.verifyCore.verifyToken(t, jwks, st, now)
               out.push([r.verdict, r.reason])
             }
             return out
           }""",
        [tokens, JWKS, STATUS_DOC, TODAY],
    )
    mismatches = []
    for token, (verdict, reason) in zip(tokens, js, strict=True):
        py = checking.assess_token(token, TRUST, status_lists, today, now=now)
        if (py.verdict.value, py.reason) != (verdict, reason):
            mismatches.append((token, (verdict, reason), (py.verdict.value, py.reason)))
    assert not mismatches, mismatches[:5]
    assert {v for v, _ in js} >= {"INVALID_SIGNATURE", "VALID", "REVOKED"}


def test_works_inside_a_module_service_worker(page: Any) -> None:
    result = page.evaluate(
        """async ([token, jwks, st, now]) => {
             const reg = await navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' })
             await navigator.serviceWorker.ready
             const worker = reg.active || reg.waiting || reg.installing
             return await new Promise((resolve, reject) => {
               const timer = setTimeout(() => reject(new Error('no answer from service worker')), 10000)
               navigator.serviceWorker.addEventListener('message', (e) => {
                 clearTimeout(timer)
                 resolve(e.data)
               }, { once: true })
               worker.postMessage({ token, jwks, statusLists: st, now })
             })
           }""",
        [signing.encode_token(claims(status_index=11), KG_KEY), JWKS, STATUS_DOC, TODAY],
    )
    assert result == {"verdict": "SUSPENDED", "number": "KG-T-2026-000123-5"}


def test_rendered_svg_qr_scans(page: Any) -> None:
    import zxingcpp
    from PIL import Image

    page.wait_for_function("document.getElementById('qr').complete && document.getElementById('qr').naturalWidth > 0")
    # Decoding the image may run before the browser painted it (seen on a loaded machine):
    # wait for the decode and a painted frame, and look up to three times.
    page.evaluate("() => document.getElementById('qr').decode()")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    texts: list[str] = []
    for _ in range(3):
        shot = page.locator("#qr").screenshot()
        texts = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))]
        if texts:
            break
        page.wait_for_timeout(200)
    assert texts == ["https://certreg.example.org/v/" + VALID]


def test_no_console_errors_or_csp_violations(page: Any) -> None:
    js_verify(page, VALID, status=STATUS_DOC)
    assert page.problems == []
    # The module and its vendored dependency came from this origin only.
    urls = page.evaluate("() => performance.getEntriesByType('resource').map((e) => e.name)")
    assert any(u.endswith("/static/js/verify-core.js") for u in urls)
    assert any("/static/vendor/cborg/" in u for u in urls)
    assert all(u.startswith("http://127.0.0.1:") for u in urls)
