"""Headless Chromium (Debian's package) driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def second_step(page, totp_secret: str | None) -> None:
    """After "Sign in" was clicked: enter a fresh TOTP code if the code step is asked for."""
    import pyotp

    page.wait_for_load_state()
    if totp_secret and page.url.endswith("/login/code"):
        page.fill("#code", pyotp.TOTP(totp_secret).now())
        page.click("button[type=submit]")
