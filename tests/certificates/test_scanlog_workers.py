"""Written behind: scans and rate-limit counts buffered per gunicorn worker, shared through the database."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from certreg.certificates.models import CertificateScan
from certreg.extensions import db
from tests import dbutil
from tests.conftest import make_test_app
from tests.factories import make_certificate
from tests.live import served

pytestmark = [pytest.mark.live]
FLUSH = 0.2


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _scans(app) -> int:
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(CertificateScan))
        db.session.remove()
        return count


@pytest.fixture
def site(tmp_path):
    url = dbutil.fresh_database("scanlog")
    keys = str(tmp_path / "keys")
    app = make_test_app(url, SIGNING_KEYS_DIR=keys)
    dbutil.upgrade(app)
    with app.app_context():
        token = make_certificate().token
        db.session.remove()
        db.engine.dispose()
    env = {"VERIFY_LOG_FLUSH_SECONDS": str(FLUSH), "VERIFY_RATE_LIMIT": "10", "SIGNING_KEYS_DIR": keys,
           "VERIFY_RATE_WINDOW_SECONDS": "60"}
    try:
        yield app, url, token, env
    finally:
        with app.app_context():
            db.engine.dispose()
        dbutil.drop_database(url)


def test_the_limit_is_shared_by_two_workers_and_every_answered_scan_is_recorded(site):
    app, url, token, env = site
    with served(url, workers=2, extra_env=env) as base:
        first = [_get(f"{base}/v/{token}") for _ in range(10)]
        assert first == [200] * 10
        time.sleep(FLUSH * 4)  # both workers have written their counts and read the shared total
        second = [_get(f"{base}/v/{token}") for _ in range(10)]
        assert second == [429] * 10
        time.sleep(FLUSH * 4)
        assert _scans(app) == 10


def test_buffered_scans_are_written_when_the_workers_stop(site):
    app, url, token, env = site
    with served(url, workers=2, extra_env={**env, "VERIFY_LOG_FLUSH_SECONDS": "30"}) as base:
        statuses = [_get(f"{base}/v/{token}") for _ in range(5)]
        assert statuses == [200] * 5
        assert _scans(app) == 0  # still in the workers' buffers
    assert _scans(app) == 5  # flushed at exit
