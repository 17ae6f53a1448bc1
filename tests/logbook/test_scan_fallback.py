"""The point-of-sale QR scanner in a browser without ``BarcodeDetector`` (iPhone Safari, Firefox).

The page's ``scan.js`` then loads the vendored jsQR (``static/vendor/jsqr``) and decodes with it: a
photo of the buyer's certificate card (the file input a phone opens its camera with), and the live
camera (Chromium's fake camera playing a video of the card's QR code). Either way the buyer's field
gets the QR's text and the sale check finds the buyer's valid certificate.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.serving import make_server

from certreg.certificates import outputs
from certreg.extensions import db
from certreg.logbook import drafts, holders, recording
from tests import dbutil
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import make_test_app
from tests.factories import PASSWORD, SYSTEM, ensure_keys, make_certificate, make_company, make_technician, make_user

pytestmark = [pytest.mark.live, pytest.mark.browser]

NO_BARCODE_DETECTOR = "delete window.BarcodeDetector; delete Window.prototype.BarcodeDetector;"


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Iterator[dict]:
    url = dbutil.fresh_database("scan")
    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        ensure_keys("KG")
        dealer = make_company(country_code="KG", activities=["dealer"])
        seller = make_user("company_user", "KG", company=dealer)
        buyer = make_technician(full_name="Асанов Нурлан Бакытович")
        cert = make_certificate(buyer)
        recording.record_entry(SYSTEM, holders.holder("company", dealer.id), drafts.EntryData(
            kind="purchase", operation_date=date.today(), substance="R-404A", quantity=Decimal("20"),
            counterparty_name="Wholesaler", counterparty_country="KG"))
        db.session.commit()
        data = {"email": seller.email, "payload": outputs.verify_url_prefix() + cert.token, "number": cert.number,
                "png": outputs.qr_png(cert, box_size=6)}
        db.session.remove()
    folder = tmp_path_factory.mktemp("scan")
    data["photo"] = folder / "card.png"
    data["photo"].write_bytes(data["png"])
    data["video"] = folder / "card.y4m"
    data["video"].write_bytes(_y4m(data["png"]))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    data["base"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield data
    finally:
        server.shutdown()
        thread.join(10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        dbutil.drop_database(url)


def _y4m(png: bytes, width: int = 640, height: int = 480, frames: int = 2) -> bytes:
    """A short YUV4MPEG2 video of the QR code on a grey table, for Chromium's fake camera."""
    code = Image.open(io.BytesIO(png)).convert("L")
    side = min(height - 40, code.width)
    frame = Image.new("L", (width, height), 200)
    frame.paste(code.resize((side, side), Image.NEAREST), ((width - side) // 2, (height - side) // 2))
    y, cb, cr = frame.convert("RGB").convert("YCbCr").split()
    chroma = cb.resize((width // 2, height // 2)).tobytes() + cr.resize((width // 2, height // 2)).tobytes()
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    return header + (b"FRAME\n" + y.tobytes() + chroma) * frames


def _sign_in_at_the_counter(browser, base: str, email: str, **context_args):
    context = browser.new_context(viewport={"width": 412, "height": 915}, is_mobile=True, has_touch=True,
                                  locale="en-GB", **context_args)
    context.add_init_script(NO_BARCODE_DETECTOR)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto(base + "/logbook/sale")
    assert page.evaluate("'BarcodeDetector' in window") is False
    return context, page, problems


def _check_the_sale(page, shop) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#buyer_certificate")).not_to_have_value("", timeout=20_000)
    assert page.input_value("#buyer_certificate") == shop["payload"]
    assert page.evaluate("typeof window.jsQR") == "function"  # the vendored decoder read it
    page.fill("#substance", "R-404A")
    page.fill("#quantity", "2")
    with page.expect_navigation():
        page.get_by_role("button", name="Check").click()
    verdict = page.inner_text(".verdict")
    assert "ALLOWED" in verdict, verdict
    assert "Асанов Нурлан Бакытович" in verdict and shop["number"] in verdict


def test_a_photo_of_the_card_is_read_without_barcode_detector(shop):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context, page, problems = _sign_in_at_the_counter(browser, shop["base"], shop["email"])
            assert page.is_visible("text=Read the QR code from a photo")
            page.set_input_files("[data-scan-file]", str(shop["photo"]))
            _check_the_sale(page, shop)
            assert problems == []
            context.close()
        finally:
            browser.close()


def test_a_photo_without_a_qr_code_says_so(shop, tmp_path):
    from playwright.sync_api import sync_playwright

    blank = tmp_path / "blank.png"
    Image.new("L", (300, 300), 255).save(blank)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context, page, _problems = _sign_in_at_the_counter(browser, shop["base"], shop["email"])
            page.set_input_files("[data-scan-file]", str(blank))
            page.wait_for_selector("[data-scan-status]:has-text('No QR code found')", timeout=20_000)
            assert page.input_value("#buyer_certificate") == ""
            context.close()
        finally:
            browser.close()


def test_the_camera_reads_the_card_without_barcode_detector(shop):
    from playwright.sync_api import sync_playwright

    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={Path(shop['video'])}"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            context, page, problems = _sign_in_at_the_counter(browser, shop["base"], shop["email"],
                                                              permissions=["camera"])
            page.get_by_role("button", name="Scan the QR code").click()
            _check_the_sale(page, shop)
            assert problems == []
            context.close()
        finally:
            browser.close()
