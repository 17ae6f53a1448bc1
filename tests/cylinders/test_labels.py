"""The printed label: size, text in two languages, a QR that decodes when degraded, a token any
COSE library verifies with nothing but the published JWKS."""

from __future__ import annotations

import base64
import io

import cbor2
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image, ImageFilter
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import Sign1Message

from certreg.cylinders import labels
from certreg.cylinders.models import ContentCondition
from tests.cylinders.builders import make_cylinder
from tests.factories import ensure_keys, make_company

#: Only the QR code: a label's or a document's printed text can read as a 1D barcode now and then.
QR = zxingcpp.BarcodeFormat.QRCode

MM = 72 / 25.4


def independent_verify(token: str, jwks: dict) -> dict:
    """Verify a label token with pycose and the JWKS only (not certreg's code); returns the claims."""
    tagged = cbor2.loads(base64.b32decode(token + "=" * (-len(token) % 8)))
    assert tagged.tag == 18
    protected, unprotected, payload, signature = tagged.value
    message = Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)
    header = {getattr(k, "identifier", k): v for k, v in message.phdr.items()}
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


def _degraded(image: Image.Image):
    image = image.convert("L")
    yield "original", image
    half = image.resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR)
    yield "50 %", half
    yield "blur 1", image.filter(ImageFilter.GaussianBlur(radius=1))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=50)
    yield "jpeg 50", Image.open(io.BytesIO(out.getvalue()))


def test_single_label_is_100_by_70_and_its_qr_decodes_degraded(app):
    owner = make_company(legal_name="ТОО «Холод-Сервис»", name_latin="Kholod-Servis LLP")
    cylinder = make_cylinder(owner, substance="R-404A", kg="9.5")
    assert labels.qr_code(cylinder).version <= 13
    page = pdfium.PdfDocument(labels.label_pdf(cylinder))[0]
    width, height = page.get_size()
    assert (round(width / MM, 1), round(height / MM, 1)) == (100.0, 70.0)
    url = f"https://certreg.example.org/c/{cylinder.token}"
    image = page.render(scale=300 / 72).to_pil()
    for what, degraded in _degraded(image):
        assert [r.text for r in zxingcpp.read_barcodes(degraded, formats=QR)] == [url], what
    text = " ".join(page.get_textpage().get_text_range().split())
    for expected in ("R-404A", "9.500", "Contains fluorinated greenhouse gases",
                     "Содержит фторсодержащие парниковые газы", "ТОО «Холод-Сервис»", cylinder.serial):
        assert expected in text, expected


def test_label_statements_for_an_ods_and_reclaimed_gas(app):
    cylinder = make_cylinder(substance="HCFC-22", kg="10", condition=ContentCondition.RECLAIMED)
    _headline, lines = labels.label_lines(cylinder)
    text = "\n".join(lines)
    assert "Contains ozone-depleting substances" in text and "100 % Reclaimed" in text
    assert "Contains fluorinated greenhouse gases" not in text
    assert "18.100 t CO2-eq" in text and "ODP 0.00055 t" in text  # 10 kg × GWP 1810, × ODP 0.055


def test_a4_sheet_holds_eight_labels_per_page(app):
    owner = make_company()
    cylinders = [make_cylinder(owner) for _ in range(9)]
    document = pdfium.PdfDocument(labels.sheet_pdf(cylinders))
    assert len(document) == 2
    image = document[0].render(scale=200 / 72).to_pil()
    found = {r.text.rsplit("/", 1)[1] for r in zxingcpp.read_barcodes(image, formats=QR)}
    assert found == {c.token for c in cylinders[:8]}


def test_label_token_verifies_with_only_the_jwks(client):
    ensure_keys("KG", "KZ")
    kz = make_cylinder(make_company(country_code="KZ"))
    jwks = client.get("/.well-known/jwks.json").json
    claims = independent_verify(kz.token, jwks)
    assert claims[2] == kz.serial and claims[5] == "HFC-134a" and claims[6] == 12000
    with pytest.raises(LookupError):
        independent_verify(kz.token, {"keys": [k for k in jwks["keys"] if k["country"] != "KZ"]})
