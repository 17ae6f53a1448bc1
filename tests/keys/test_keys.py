import os
import stat

import pytest

from certreg.actors import Actor
from certreg.errors import Conflict, Forbidden, NotFound
from certreg.extensions import db
from certreg.keys import services
from certreg.keys.models import KeyStatus
from certreg.tokens import encoding as token_text
from certreg.tokens import keys as signing_keys
from tests.factories import make_user


@pytest.fixture
def keys_dir(app, tmp_path):
    old = app.config["SIGNING_KEYS_DIR"]
    app.config["SIGNING_KEYS_DIR"] = str(tmp_path / "keys")
    services._private_cache.clear()
    yield tmp_path / "keys"
    app.config["SIGNING_KEYS_DIR"] = old
    services._private_cache.clear()


def test_generate_writes_private_key_file_0600_and_publishes_public_half(keys_dir):
    key = services.generate(Actor.system(), "KG")
    path = keys_dir / "KG" / f"{key.kid}.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "d" not in key.public_jwk  # no private part in the database
    doc = services.jwks_document()
    assert [k["kid"] for k in doc["keys"]] == [key.kid]
    loaded = services.active_key("KG")
    assert token_text.b64url_encode(signing_keys.kid_for(loaded.private_key.public_key())) == key.kid
    with pytest.raises(Conflict):
        services.generate(Actor.system(), "KG")


def test_rotate_keeps_retired_key_in_trust_list(keys_dir):
    old = services.generate(Actor.system(), "KG")
    new = services.rotate(Actor.system(), "KG")
    db.session.flush()
    assert old.status is KeyStatus.RETIRED and new.status is KeyStatus.ACTIVE
    statuses = {k["kid"]: k["status"] for k in services.jwks_document()["keys"]}
    assert statuses == {old.kid: "retired", new.kid: "active"}
    assert services.active_key("KG").kid == new.kid
    trust = services.trust_list()
    assert trust(token_text.b64url_decode(old.kid)).status == "retired"


def test_only_the_system_actor_manages_keys(keys_dir):
    with pytest.raises(Forbidden):
        services.generate(Actor.of(make_user("admin")), "KG")


def test_missing_key_and_missing_file_are_clear_errors(keys_dir):
    with pytest.raises(NotFound) as info:
        services.active_key("UZ")
    assert info.value.code == "no_signing_key"
    key = services.generate(Actor.system(), "UZ")
    (keys_dir / "UZ" / f"{key.kid}.pem").unlink()
    services._private_cache.clear()
    with pytest.raises(NotFound) as info:
        services.active_key("UZ")
    assert info.value.code == "signing_key_file_missing"


def test_cli_generate_list_rotate(app, keys_dir):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["keys", "generate", "--country", "kz"])
    assert result.exit_code == 0, result.output
    kid = result.output.split("\t")[1]
    assert (keys_dir / "KZ" / f"{kid}.pem").exists()
    result = runner.invoke(args=["keys", "generate", "--country", "KZ"])
    assert result.exit_code == 1 and "key_exists" in result.output
    result = runner.invoke(args=["keys", "rotate", "--country", "KZ"])
    assert result.exit_code == 0
    listing = runner.invoke(args=["keys", "list", "--country", "KZ"]).output
    assert "retired" in listing and "active" in listing
    assert runner.invoke(args=["keys", "generate", "--country", "XX"]).exit_code == 1
