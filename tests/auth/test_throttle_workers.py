"""Acceptance: 20 wrong passwords against one account from two worker processes are throttled as one."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from certreg.extensions import db
from tests import dbutil
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_user
from tests.live import served

pytestmark = [pytest.mark.live]
TOKEN_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def attempt(base: str, email: str, password: str) -> tuple[int, str | None]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=30).read().decode()
    token = TOKEN_RE.search(page).group(1)
    body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
    try:
        response = opener.open(urllib.request.Request(base + "/login", data=body), timeout=30)
        return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After")


def test_twenty_wrong_passwords_from_two_workers_count_as_one_account():
    url = dbutil.fresh_database("throttle")
    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        user = make_user(email="target@kg.example.org")
        email = user.email
        limit = app.config["LOGIN_MAX_ATTEMPTS"]
        db.session.remove()
        db.engine.dispose()
    try:
        with served(url, workers=2) as base, ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda _: attempt(base, email, "wrong password"), range(20)))
            statuses = sorted(status for status, _ in results)
            # Exactly `limit` passwords were checked across both workers; all the others were throttled.
            assert statuses.count(401) == limit
            assert statuses.count(429) == 20 - limit
            assert all(int(retry) > 0 for status, retry in results if status == 429)
            # The right password is refused too while the account is throttled.
            assert attempt(base, email, PASSWORD)[0] == 429
        with app.app_context():
            from certreg.auth.models import LoginThrottle

            assert db.session.get(LoginThrottle, email).attempts == 21
            db.session.remove()
            db.engine.dispose()
    finally:
        dbutil.drop_database(url)
