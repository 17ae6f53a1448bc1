"""Acceptance 1 and 2 of issue #3 on real issued certificates.

1. The QR PNG of a certificate decodes with zxing-cpp (an independent decoder) to the exact
   URL, also after downscaling to 50 %, a blur of radius 1 and JPEG quality 50; the longest
   demo certificate fits QR version 13 at level Q.
2. The token verifies with nothing but the JWKS and a generic COSE implementation (pycose),
   without certreg's verification code; a changed byte or an unknown key fails there too.
"""

from __future__ import annotations

import base64
import io

import cbor2
import pytest
import zxingcpp
from PIL import Image, ImageFilter
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import Sign1Message

from certreg.certificates import outputs
from certreg.demo import data as demo
from tests.factories import ensure_keys, make_certificate, make_company, make_technician


def _decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


def _degraded(png: bytes):
    image = Image.open(io.BytesIO(png)).convert("L")
    yield "original", image
    half = image.resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR)
    yield "50 %", half
    yield "blur 1", image.filter(ImageFilter.GaussianBlur(radius=1))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=50)
    yield "jpeg 50", Image.open(io.BytesIO(out.getvalue()))
    out = io.BytesIO()
    half.filter(ImageFilter.GaussianBlur(radius=1)).save(out, format="JPEG", quality=50)
    yield "all three", Image.open(io.BytesIO(out.getvalue()))


def longest_demo_holder():
    """The longest Latin name among the demo technicians and companies."""
    names = [t[2] for t in demo.TECHNICIANS] + [c[2] for c in demo.COMPANIES]
    return max(names, key=len)


def test_issued_qr_png_decodes_exactly_even_when_degraded():
    name = longest_demo_holder()
    holder = make_company(name_latin=name) if name in [c[2] for c in demo.COMPANIES] else \
        make_technician(full_name_latin=name)
    cert = make_certificate(holder, categories=("CO-SERVICE", "CO-DEALER", "CO-IMPORT", "CO-RECLAIM")
                            if hasattr(holder, "legal_name") else ("A1", "A2", "B", "D"))
    url = f"https://certreg.example.org/v/{cert.token}"
    qr = outputs.qr_code(cert)
    assert qr.version <= 13, f"QR version {qr.version} for {name!r}"
    png = outputs.qr_png(cert)
    for label, image in _degraded(png):
        assert _decode(image) == [url], label


def _cose_key(jwk: dict) -> EC2Key:
    return EC2Key(crv=P256, x=base64.urlsafe_b64decode(jwk["x"] + "=="), y=base64.urlsafe_b64decode(jwk["y"] + "=="))


def generic_verify(token: str, jwks: dict) -> dict:
    """Verify with pycose and the JWKS only; returns the claims map or raises."""
    raw = base64.b32decode(token + "=" * (-len(token) % 8))
    tagged = cbor2.loads(raw)
    assert tagged.tag == 18  # COSE_Sign1
    # pycose 1.1 expects a list and a dict; cbor2 6 decodes tag content immutably (tuple, frozendict).
    protected, unprotected, payload, signature = tagged.value
    message = Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)
    kid = next(v for k, v in message.phdr.items() if getattr(k, "identifier", k) == 4)
    kid_text = base64.urlsafe_b64encode(kid).rstrip(b"=").decode()
    jwk = next((k for k in jwks["keys"] if k["kid"] == kid_text), None)
    if jwk is None:
        raise LookupError("unknown key")
    message.key = _cose_key(jwk)
    if not message.verify_signature():
        raise ValueError("bad signature")
    claims = cbor2.loads(message.payload)
    if claims[5] != jwk["country"]:
        raise ValueError("key of another country")
    return claims


def test_token_verifies_with_only_the_jwks_and_pycose(client):
    ensure_keys("KG", "KZ")
    kg = make_certificate()
    kz = make_certificate(make_technician(country_code="KZ"))
    jwks = client.get("/.well-known/jwks.json").json
    for cert in (kg, kz):
        claims = generic_verify(cert.token, jwks)
        assert claims[2] == cert.number and claims[1] == 1
    raw = bytearray(base64.b32decode(kg.token + "=" * (-len(kg.token) % 8)))
    raw[-3] ^= 0x01
    changed = base64.b32encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(ValueError):
        generic_verify(changed, jwks)
    with pytest.raises(LookupError):
        generic_verify(kg.token, {"keys": [k for k in jwks["keys"] if k["country"] != "KG"]})
