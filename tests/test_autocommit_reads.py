"""Reads outside the request's transaction (``AUTOCOMMIT_READS``, on in production): the API token's user and
the border check's facts. They answer what the reads in the transaction answer, and every commit shows on the
next request: a revoked token, a deactivated user, a suspended licence, an iPIC answer given."""

from __future__ import annotations

import pytest

from certreg.actors import Actor
from certreg.auth import services as auth
from certreg.auth.models import User
from certreg.extensions import db
from certreg.licences import services as licences
from certreg.shipments import border, ipic
from certreg.vocabulary import Role
from tests import dbutil, factories
from tests.conftest import make_test_app
from tests.shipments.builders import expect, importer_with_licence

pytestmark = [pytest.mark.live]  # committed data, read from connections of their own


@pytest.fixture
def site(tmp_path):
    url = dbutil.fresh_database("autocommitreads")
    app = make_test_app(url, SIGNING_KEYS_DIR=str(tmp_path / "keys"), AUTOCOMMIT_READS=True)
    dbutil.upgrade(app)
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        dbutil.drop_database(url)


def _committed(make):
    value = make()
    db.session.commit()
    return value


def _get(client, path: str, token: str):
    return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})


def test_the_token_user_is_read_outside_the_transaction_and_every_change_shows_at_once(site):
    client = site.test_client()
    with site.app_context():
        user = _committed(lambda: factories.make_user(Role.INSPECTOR, "KZ", email="reader@example.org"))
        user = db.session.get(User, user.id)
        plain = factories.make_token(user)
        _token, read_only = auth.create_api_token(Actor.of(user), user, "reads", read_only=True)
        user_id, token_id = user.id, factories.token_id(plain)
        db.session.commit()
        db.session.remove()
    me = _get(client, "/me", plain)
    # the columns the actor needs came with the token; the display name from the user, loaded on demand
    assert me.status_code == 200 and me.get_json()["email"] == "reader@example.org"
    assert me.get_json()["display_name"] and me.get_json()["role"] == "inspector"
    assert _get(client, "/me", "crt_" + "x" * 40).status_code == 401
    assert _get(client, "/me", read_only).status_code == 200
    refused = client.post("/api/v1/shipments", json={}, headers={"Authorization": f"Bearer {read_only}"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "token_read_only"

    with site.app_context():
        auth.revoke_api_token(Actor.of(db.session.get(User, user_id)), token_id)
        db.session.commit()
        db.session.remove()
    revoked = _get(client, "/me", plain)
    assert revoked.status_code == 401 and revoked.get_json()["error"]["code"] == "invalid_token"

    with site.app_context():
        db.session.get(User, user_id).is_active = False
        db.session.commit()
        db.session.remove()
    assert _get(client, "/me", read_only).status_code == 401


def test_the_border_check_read_outside_the_transaction_judges_as_the_one_inside(site):
    client = site.test_client()
    with site.app_context():
        company, licence = _committed(importer_with_licence)
        shipment_id = _committed(lambda: expect(company).id)
        inspector = factories.make_token(_committed(lambda: factories.make_user(Role.INSPECTOR, "KZ")))
        cn_admin = _committed(lambda: factories.make_user(Role.ADMIN, "CN"))
        cn_admin_id, licence_id, registration = cn_admin.id, licence.id, company.registration_number
        db.session.remove()

    def both() -> tuple[dict, list]:
        over_api = _get(client, f"/shipments/{shipment_id}/check", inspector)
        assert over_api.status_code == 200, over_api.get_json()
        with site.app_context():
            in_session = border.border_check(Actor.system("tests"), shipment_id)
            db.session.remove()
        rules = [{"rule": r.rule.value, "ok": r.ok, "code": r.code} for r in in_session.results]
        return over_api.get_json(), rules

    def codes(check: dict) -> list:
        return [{"rule": r["rule"], "ok": r["ok"], "code": r["code"]} for r in check["rules"]]

    first, rules = both()
    assert codes(first) == rules and first["passed"] is False
    assert [r["code"] for r in first["rules"] if r["ok"] is False] == ["ipic_not_confirmed"]

    with site.app_context():  # the exporting country answers: the very next check sees it
        ipic.ask(Actor.of(db.session.get(User, cn_admin_id)), "CN", "KZ", registration, "HCFC-22", "100")
        db.session.commit()
        db.session.remove()
    second, rules = both()
    assert codes(second) == rules and second["passed"] is True and second["suggestion"] == "released"

    with site.app_context():  # the licence suspended: refused on the next check, as in the transaction
        from certreg.licences.models import Licence

        licences.change_status(Actor.system("tests"), db.session.get(Licence, licence_id), "suspended", "audit")
        db.session.commit()
        db.session.remove()
    third, rules = both()
    assert codes(third) == rules and third["passed"] is False
    assert {r["code"] for r in third["rules"] if r["ok"] is False} == {"licence_not_active"}
    assert _get(client, "/shipments/999999/check", inspector).status_code == 404
