"""Fixtures: one migrated database per test worker, each test inside a rolled-back transaction.

Set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/certreg_test to run the
whole suite on PostgreSQL (``make test`` in CI does both).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import g, request_started
from sqlalchemy.orm import scoped_session, sessionmaker

from certreg import create_app
from certreg.extensions import db
from tests import dbutil, factories

CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def make_test_app(database_url: str, **config):
    config.setdefault("SIGNING_KEYS_DIR", str(dbutil._TMP / "keys"))  # never the developer's instance/keys
    config.setdefault("INSPECTION_PHOTOS_DIR", str(dbutil._TMP / "inspection-photos"))
    app = create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": database_url, **config})

    def fresh_globals(sender, **extra):
        # Tests keep one app context open (for the rolled-back transaction), and Flask reuses
        # it for requests; give every request an empty ``g`` as in production.
        g.__dict__.clear()

    request_started.connect(fresh_globals, app, weak=False)
    return app


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = dbutil.fresh_database("main")
    yield url
    dbutil.drop_database(url)


@pytest.fixture(scope="session")
def app(database_url):
    import importlib.util
    from pathlib import Path

    # Compile the message catalogues, so the tests see the current translations.
    spec = importlib.util.spec_from_file_location(
        "certreg_i18n_script", Path(__file__).resolve().parent.parent / "scripts" / "i18n.py")
    i18n_script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = i18n_script  # dataclasses need their module registered
    spec.loader.exec_module(i18n_script)
    i18n_script.compile_all()
    app = make_test_app(database_url)
    dbutil.upgrade(app)
    return app


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Run the test in a transaction that is rolled back afterwards (commits become savepoints)."""
    if request.node.get_closest_marker("live"):
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=True)
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path: str = "/login") -> str:
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


def login(client, user_or_email, password: str = factories.PASSWORD, *, next: str | None = None):  # noqa: A002
    """Sign in; with a second factor, the code step is completed too (a fresh TOTP code)."""
    email = getattr(user_or_email, "email", user_or_email)
    token = csrf_token(client, "/login")
    response = client.post("/login" + (f"?next={next}" if next else ""),
                           data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.headers["Location"].endswith("/login/code"):
        response = client.post("/login/code", data={"code": factories.totp_code(email),
                                                    "csrf_token": csrf_token(client, "/login/code")})
        assert response.status_code == 302, response.get_data(as_text=True)
    return response


def post_form(client, path: str, data: dict | None = None, *, page: str | None = None, **kwargs):
    """POST a form with a valid CSRF token taken from ``page`` (default: the same path)."""
    token = csrf_token(client, page or path)
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


class ApiClient:
    """The test client for ``/api/v1`` that checks every response against the OpenAPI document."""

    def __init__(self, client, openapi, token: str | None = None):
        self.client, self.openapi, self.token = client, openapi, token

    def open(self, method: str, path: str, *, json=None, token: str | None = ..., validate: bool = True, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        token = self.token if token is ... else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open("/api/v1" + path, method=method, json=json, headers=headers, **kwargs)
        if validate:
            self.validate(response)
        return response

    def validate(self, response) -> None:
        """Check the response against the OpenAPI document (the operation is found from the request)."""
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
        from werkzeug.test import EnvironBuilder

        if response.mimetype != "application/json":
            return
        sent = response.request
        # The original request's body stream was consumed by the app: rebuild an equivalent one.
        replay = EnvironBuilder(
            path=sent.path, method=sent.method, query_string=sent.query_string.decode(),
            headers={k: v for k, v in sent.headers.items() if k.lower() not in ("content-length", "host")},
            base_url="http://localhost", data=b"",
        ).get_request()
        self.openapi.validate_response(WerkzeugOpenAPIRequest(replay), WerkzeugOpenAPIResponse(response))

    def get(self, path, **kw):
        return self.open("GET", path, **kw)

    def post(self, path, **kw):
        return self.open("POST", path, **kw)

    def patch(self, path, **kw):
        return self.open("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.open("DELETE", path, **kw)


@pytest.fixture(scope="session")
def openapi(app):
    from openapi_core import OpenAPI

    from certreg.api.docs import openapi_spec

    spec = dict(openapi_spec())
    spec["servers"] = [{"url": "http://localhost/api/v1"}]
    return OpenAPI.from_dict(spec)


@pytest.fixture
def api(client, openapi):
    return ApiClient(client, openapi)


def count_rows(*models) -> dict[str, int]:
    """Row counts, to check that refused input wrote nothing."""
    from certreg.audit.models import AuditEntry

    return {
        m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (*models, AuditEntry)
    }
