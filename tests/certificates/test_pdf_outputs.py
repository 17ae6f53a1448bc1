"""The printed outputs: the wallet card is ID-1 size and its QR scans; the A4 certificate too."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import zxingcpp

from certreg.vocabulary import Role
from tests.conftest import login
from tests.factories import make_certificate, make_technician, make_user

#: Only the QR code: a label's or a document's printed text can read as a 1D barcode now and then.
QR = zxingcpp.BarcodeFormat.QRCode

MM = 72 / 25.4  # PDF points per millimetre


def _pages(data: bytes) -> list:
    return list(pdfium.PdfDocument(data))


@pytest.mark.parametrize(("suffix", "width_mm", "height_mm", "dpi"), [
    ("card.pdf", 85.6, 54.0, 300),  # ID-1, as printed on a card printer
    ("certificate.pdf", 210.0, 297.0, 150),  # A4
])
def test_pdf_page_size_and_the_printed_qr_decodes_to_the_exact_url(client, suffix, width_mm, height_mm, dpi):
    cert = make_certificate(make_technician(full_name="Жумабекова Айгуль Талантовна",
                                            full_name_latin="Zhumabekova Aigul Talantovna"))
    login(client, make_user(Role.CERTIFYING_OFFICER))
    response = client.get(f"/certificates/{cert.number}/{suffix}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = _pages(response.data)
    assert len(pages) == 1
    width, height = pages[0].get_size()
    assert sorted((round(width / MM, 1), round(height / MM, 1))) == sorted((width_mm, height_mm))
    image = pages[0].render(scale=dpi / 72).to_pil()
    decoded = [r.text for r in zxingcpp.read_barcodes(image, formats=QR)]
    assert decoded == [f"https://certreg.example.org/v/{cert.token}"]
    text = pages[0].get_textpage().get_text_range()
    assert cert.number in text and "Zhumabekova Aigul Talantovna" in text


@pytest.mark.parametrize(("language", "full_name", "title"), [
    ("zh_Hans", "王小明", "制冷剂操作证书"),
    ("kk", "Жұмабекова Әйгүл Қанатқызы", "ХЛАДАГЕНТТЕРМЕН ЖҰМЫС ІСТЕУ СЕРТИФИКАТЫ"),
    ("kk", "ნინო ბერიძე", "ХЛАДАГЕНТТЕРМЕН ЖҰМЫС ІСТЕУ СЕРТИФИКАТЫ"),  # Georgian holder, Kazakh card
    ("zh_Hans", "ნინო ბერიძე", "制冷剂操作证书"),  # Georgian holder, Chinese card: both fonts in one line set
])
def test_wallet_card_prints_chinese_kazakh_and_georgian(client, language, full_name, title):
    """The text drawn on the card is the text read back: no missing glyph, no tofu (DejaVu + CJK fallback)."""
    cert = make_certificate(make_technician(full_name=full_name, full_name_latin="Test Holder"))
    login(client, make_user(Role.CERTIFYING_OFFICER))
    client.get(f"/language/{language}")
    for suffix in ("card.pdf", "certificate.pdf"):
        response = client.get(f"/certificates/{cert.number}/{suffix}")
        assert response.status_code == 200
        text = _pages(response.data)[0].get_textpage().get_text_range()
        assert full_name in text.replace("\r\n", " ").replace("\n", " ")
        assert "Test Holder" in text
        if suffix == "card.pdf":
            assert title in text.replace("\r\n", " ").replace("\n", " ")
