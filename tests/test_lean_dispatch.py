"""The lean dispatch of the public scan pages (certreg/application.py): an anonymous GET of ``/v/``, ``/c/`` or
``/l/`` skips only the hooks that do nothing for it, and answers exactly what the whole way answers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.certificates import lifecycle
from certreg.certificates.models import CertificateScan
from certreg.cylinders.models import CylinderScan
from certreg.extensions import db
from certreg.i18n import LANG_COOKIE
from certreg.licences import documents
from certreg.licences import services as licences
from certreg.vocabulary import Role
from tests.conftest import login
from tests.cylinders.builders import make_cylinder
from tests.factories import ensure_keys, make_certificate, make_company, make_user

SYSTEM = Actor.system("tests")
PUBLIC_PAGES = ("verify.verify", "cylinder_scan.scan", "licence_check.check")


def _tokens() -> dict[str, str]:
    certificate = make_certificate()
    revoked = make_certificate()
    lifecycle.revoke(SYSTEM, revoked, "test")
    cylinder = make_cylinder()
    ensure_keys("KZ")
    company = make_company(country_code="KZ", activities=["importer"])
    today = date.today()
    licence = licences.issue(SYSTEM, "KZ", licences.LicenceData(
        number="KZ-LEAN-1", company_registration=company.registration_number, direction="import",
        scope=["HCFC-22"], cap_kg="100", valid_from=today - timedelta(days=5), valid_until=today + timedelta(days=5),
        issuing_authority="Ministry", partner_countries=["CN"]))
    db.session.flush()
    tokens = {"/v/": certificate.token, "/v/revoked": revoked.token, "/c/": cylinder.token,
              "/l/": documents.token_for(SYSTEM, licence)}
    db.session.commit()
    return tokens


def _answer(client, path: str, **kwargs) -> tuple:
    response = client.get(path, **kwargs)
    return response.status_code, sorted(response.headers.items()), response.get_data()


def _both_ways(app, client, path: str, **kwargs) -> tuple[tuple, tuple]:
    app.config["LEAN_PUBLIC_PAGES"] = True
    lean = _answer(client, path, **kwargs)
    app.config["LEAN_PUBLIC_PAGES"] = False
    try:
        whole = _answer(client, path, **kwargs)
    finally:
        app.config["LEAN_PUBLIC_PAGES"] = True
    return lean, whole


def test_every_public_page_is_dispatched_lean_running_only_the_hooks_that_act(app):
    with app.test_request_context("/"):
        plans = {endpoint: app._plan_for(endpoint) for endpoint in PUBLIC_PAGES}
    for endpoint, plan in plans.items():
        # None here means a hook was added that is not marked @lean_noop: mark it (saying why it does nothing
        # for an anonymous GET of a public page) or accept that the scan pages go the whole way again.
        assert plan is not None, endpoint
        view, hooks = plan
        assert view is app.view_functions[endpoint]
        assert [hook.__name__ for hook in hooks] == ["choose_transaction_mode"]
    with app.test_request_context("/"):
        assert app._plan_for("auth.login") is None  # not a public page


def test_lean_and_whole_answers_are_the_same_bytes(app, client):
    tokens = _tokens()
    garbage = "A" * 60  # base32, not a token: forged or unknown
    for prefix, token in (*tokens.items(), ("/v/", garbage), ("/c/", garbage), ("/l/", garbage)):
        path = prefix[:3] + token
        for kwargs in ({}, {"headers": {"Accept-Language": "ru, en;q=0.5"}}):
            client.get(path, **kwargs)  # the kept parts rendered (their first rendering is the same either way)
            lean, whole = _both_ways(app, client, path, **kwargs)
            assert lean == whole, path
            assert lean[0] == 200
        client.set_cookie(LANG_COOKIE, "ky")
        lean, whole = _both_ways(app, client, path)
        assert lean == whole and b'lang="ky"' in lean[2]
        client.delete_cookie(LANG_COOKIE)


def test_a_lean_scan_is_counted_recorded_and_sees_a_revocation_at_once(app, client):
    tokens = _tokens()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(CertificateScan))
    assert 'data-verdict="VALID"' in client.get(f"/v/{tokens['/v/']}").text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CertificateScan)) == before + 1
    cylinder_scans = db.session.scalar(sa.select(sa.func.count()).select_from(CylinderScan))
    client.get(f"/c/{tokens['/c/']}")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CylinderScan)) == cylinder_scans + 1
    assert app._lean_plans["verify.verify"] is not None and app._lean_plans["cylinder_scan.scan"] is not None


def test_a_rate_limited_scan_is_refused_the_same_way(app, client):
    tokens = _tokens()
    app.config["VERIFY_RATE_LIMIT"] = 2
    try:
        answers = [_answer(client, f"/v/{tokens['/v/']}") for _ in range(3)]
        app.config["LEAN_PUBLIC_PAGES"] = False
        whole = _answer(client, f"/v/{tokens['/v/']}")
    finally:
        app.config["VERIFY_RATE_LIMIT"] = 120
        app.config["LEAN_PUBLIC_PAGES"] = True
    assert [status for status, _, _ in answers] == [200, 200, 429]
    assert answers[2] == whole  # the refusal page, through Flask's error handling, either way


@pytest.mark.parametrize("ask", [
    lambda client, path: client.get(path + "?x=1"),  # a query string
    lambda client, path: client.head(path),
    lambda client, path: (client.set_cookie("other", "1"), client.get(path))[1],  # a cookie besides the language's
])
def test_other_requests_go_the_whole_way(app, client, ask):
    tokens = _tokens()
    seen = []
    full = app.full_dispatch_request

    def spy():
        seen.append(app._lean_plan())
        return full()

    app.full_dispatch_request = spy
    try:
        response = ask(client, f"/c/{tokens['/c/']}")
    finally:
        del app.full_dispatch_request
    assert response.status_code == 200 and seen == [None]


def test_a_signed_in_inspector_is_never_served_lean(app, client):
    tokens = _tokens()
    login(client, make_user(Role.INSPECTOR, "KG"))
    page = client.get(f"/c/{tokens['/c/']}").text
    assert "Record this in an inspection" in page  # the inspector's part: the session was read, the whole way
