"""Tests for certreg.certificates.qr: the QR must scan, also when printed badly."""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image, ImageFilter
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM

from certreg.certificates import checking, signing
from certreg.certificates.qr import qr_for_url, render_png, render_svg
from certreg.certificates.token import CertificateClaims

PREFIX = "https://certreg.example.org/v/"
KEY = ec.derive_private_key(0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721, ec.SECP256R1())

# A long but realistic certificate: 42-character Latin name, 4 categories and
# a 6-digit status index (larger than most countries will ever need).
LONG_CLAIMS = CertificateClaims(
    number="KG-T-2026-000123-5",
    holder_name="Aigerim Zhunusbekovna Abdyldaeva-Sultanova",
    holder_kind="technician",
    country="KG",
    categories=("A1", "B", "I", "KG-ODS"),
    valid_from=dt.date(2026, 3, 1),
    valid_until=dt.date(2031, 2, 28),
    status_index=123_456,
)
LONG_TOKEN = signing.encode_token(LONG_CLAIMS, KEY)
URL = PREFIX + LONG_TOKEN

# Measured for LONG_CLAIMS: 189 COSE bytes -> 303 base32 characters -> version 13-Q.
MAX_VERSION = 13


def _decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_token_size_and_version() -> None:
    assert len(LONG_TOKEN) == 303  # fixed: ECDSA r||s has constant length
    qr = qr_for_url(PREFIX, LONG_TOKEN)
    assert qr.version <= MAX_VERSION, f"QR version {qr.version} > {MAX_VERSION}"
    assert qr.version == 13  # record the measurement; update deliberately if claims change
    assert [seg.mode for seg in qr.data_list] == [MODE_8BIT_BYTE, MODE_ALPHA_NUM]
    assert b"".join(seg.data for seg in qr.data_list).decode() == URL
    assert qr.border == 4
    assert qr.error_correction == 3  # qrcode.constants.ERROR_CORRECT_Q


def test_png_decodes_to_the_exact_url() -> None:
    png = render_png(qr_for_url(PREFIX, LONG_TOKEN), box_size=8)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode in ("1", "L")
    modules = 13 * 4 + 17
    assert image.size == ((modules + 8) * 8,) * 2
    assert _decode(image) == [URL]
    results = zxingcpp.read_barcodes(image)
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    assert results[0].ec_level == "Q"


def test_png_survives_downscale_blur_and_jpeg() -> None:
    image = Image.open(io.BytesIO(render_png(qr_for_url(PREFIX, LONG_TOKEN), box_size=8))).convert("L")
    image = image.resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR)
    image = image.filter(ImageFilter.GaussianBlur(radius=1))
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=50)
    degraded = Image.open(io.BytesIO(jpeg.getvalue()))
    assert degraded.format == "JPEG"
    assert _decode(degraded) == [URL]
    # The scanned URL yields a token that still verifies.
    token = _decode(degraded)[0].removeprefix(PREFIX)
    assert checking.verify_token(token, lambda kid: KEY.public_key()) == LONG_CLAIMS


def test_mixed_case_prefix_is_kept_in_byte_mode() -> None:
    prefix = "https://CertReg.Example.ORG/v/"
    qr = qr_for_url(prefix, LONG_TOKEN)
    image = Image.open(io.BytesIO(render_png(qr, box_size=4)))
    assert _decode(image) == [prefix + LONG_TOKEN]


def test_short_token_gives_small_code() -> None:
    qr = qr_for_url(PREFIX, "ABCDEFGH234567")
    assert qr.version <= 4


@pytest.mark.parametrize("token", ["", "abc", "AB=C", "AB CD", "ABC1"])
def test_rejects_non_base32_tokens(token: str) -> None:
    with pytest.raises(ValueError):
        qr_for_url(PREFIX, token)


def test_svg_is_black_on_white_with_background() -> None:
    qr = qr_for_url(PREFIX, LONG_TOKEN)
    svg = render_svg(qr)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and root.get("viewBox")
    rects = root.findall(f"{ns}rect")
    assert len(rects) == 1 and rects[0].get("fill") == "white"
    paths = root.findall(f"{ns}path")
    assert len(paths) == 1 and paths[0].get("fill") == "#000000"
    # Every dark module is drawn: count the unit squares in the path.
    dark = sum(sum(1 for cell in row if cell) for row in qr.modules)
    assert paths[0].get("d", "").count("z") == dark
