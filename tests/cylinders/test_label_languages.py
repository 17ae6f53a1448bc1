"""The label prints in the country's language(s) and English (issue 12 acceptance 6, issue 17 acceptance 2):
the text drawn in the PDF is the text read back, in Chinese, Kazakh (with Russian) and Georgian; and the
QR of such a label still decodes when the print is degraded."""

from __future__ import annotations

import csv

import pypdfium2 as pdfium
import pytest
import zxingcpp
from flask import current_app

from certreg.cylinders import labels
from certreg.cylinders.models import ContentCondition
from tests.cylinders.builders import make_cylinder
from tests.cylinders.test_labels import _degraded, independent_verify
from tests.factories import ensure_keys, make_company

#: Only the QR code: a label's or a document's printed text can read as a 1D barcode now and then.
QR = zxingcpp.BarcodeFormat.QRCode


def _text(pdf: bytes) -> str:
    page = pdfium.PdfDocument(pdf)[0]
    return " ".join(page.get_textpage().get_text_range().split())


def test_every_label_language_has_a_catalogue_and_a_source():
    with labels.LANGUAGES_FILE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {"CN", "GE", "KZ", "KG", "UZ"} <= {r["country"] for r in rows}
    known = set(current_app.config["LANGUAGES"]) | set(current_app.config["PUBLIC_LANGUAGES"])
    for row in rows:
        assert row["source"].strip(), row
        assert set(row["languages"].split()) <= known, row
    assert labels.label_languages("KZ") == ("kk", "ru") and labels.label_languages("XX") == ()


@pytest.mark.parametrize(("country", "owner_name", "expected"), [
    ("CN", "新疆制冷设备有限公司", ["含氟温室气体", "Contains fluorinated greenhouse gases", "可重复充装钢瓶",
                                     "净含量", "新疆制冷设备有限公司"]),
    ("KZ", "«Алматы Суық» ЖШС", ["Құрамында фторлы парниктік газдар бар", "Көп реттік баллон",
                                  "Таза салмағы: 12.000 кг",
                                  "Содержит фторсодержащие парниковые газы",
                                  "Contains fluorinated greenhouse gases", "«Алматы Суық» ЖШС"]),
    ("GE", "შპს „თბილისის სიცივე“", ["შეიცავს ფტორირებულ სათბურის აირებს", "Contains fluorinated greenhouse gases",
                                      "ნეტო შემცველობა", "შპს „თბილისის სიცივე“"]),
])
def test_label_prints_the_countrys_languages_and_english(app, country, owner_name, expected):
    ensure_keys(country)
    owner = make_company(country_code=country, legal_name=owner_name, name_latin="Test Owner")
    cylinder = make_cylinder(owner, substance="HFC-134a", kg="12", condition=ContentCondition.RECYCLED)
    text = _text(labels.label_pdf(cylinder))
    for phrase in [*expected, cylinder.serial, "HFC-134a", "100 % Recycled"]:
        assert phrase in text, phrase


def test_label_text_in_the_kazakh_catalogue_differs_from_russian(app):
    """Kazakhstan's label says each statement in Kazakh, Russian and English (three, not two)."""
    ensure_keys("KZ")
    cylinder = make_cylinder(make_company(country_code="KZ"), substance="HCFC-22", kg="10")
    _headline, lines = labels.label_lines(cylinder)
    ods = next(line for line in lines if "Contains ozone-depleting substances" in line)
    assert ods.count(" / ") == 2 and "озон" in ods.split(" / ")[0] and "Содержит" in ods.split(" / ")[1]


@pytest.mark.parametrize("country", ["CN", "KZ", "GE"])
def test_the_qr_of_a_label_in_any_script_decodes_degraded_and_verifies_with_the_jwks(client, country):
    """Rendered at 300 dpi, then scaled to 50 %, blurred and saved as JPEG 50 all at once; the token read
    back verifies with pycose and the published JWKS only."""
    from PIL import Image, ImageFilter

    ensure_keys(country)
    cylinder = make_cylinder(make_company(country_code=country, legal_name="名称 ნინო Жұмабекова"))
    page = pdfium.PdfDocument(labels.label_pdf(cylinder))[0]
    image = page.render(scale=300 / 72).to_pil()
    for what, degraded in _degraded(image):
        expected = [labels.label_prefix() + cylinder.token]
        assert [r.text for r in zxingcpp.read_barcodes(degraded, formats=QR)] == expected, what
    import io

    worst = image.convert("L").resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR)
    worst = worst.filter(ImageFilter.GaussianBlur(radius=1))
    out = io.BytesIO()
    worst.save(out, format="JPEG", quality=50)
    [read] = zxingcpp.read_barcodes(Image.open(io.BytesIO(out.getvalue())), formats=QR)
    token = read.text.rsplit("/c/", 1)[1]
    claims = independent_verify(token, client.get("/.well-known/jwks.json").json)
    assert claims[2] == cylinder.serial and claims[3] == country
