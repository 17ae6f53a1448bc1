"""TOTP secrets are sealed at rest: the database holds ciphertext bound to its column, the model the secret."""

import pyotp
import pytest
import sqlalchemy as sa

from certreg import sealed
from certreg.auth.models import User
from certreg.extensions import db
from tests import factories


def _stored(user_id: int) -> str:
    return db.session.execute(sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user_id}).scalar_one()


def test_the_database_holds_no_totp_secret_in_the_clear():
    officer = factories.make_user("admin", two_factor=False)
    secret = pyotp.random_base32()
    officer.totp_secret = secret
    db.session.commit()
    stored = _stored(officer.id)
    assert stored.startswith("v1:") and secret not in stored
    db.session.expire_all()
    assert db.session.get(User, officer.id).totp_secret == secret


def test_a_sealed_value_does_not_open_in_another_column_or_with_another_key():
    value = sealed.seal("JBSWY3DPEHPK3PXP", "users.totp_secret")
    assert sealed.unseal(value, "users.totp_secret") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(sealed.SealedValueError):
        sealed.unseal(value, "other.column")
    other = {"SECRET_KEY": "another-installation-secret-key-0123456789"}
    with pytest.raises(sealed.SealedValueError):
        sealed.unseal(value, "users.totp_secret", other)
    tampered = value[:-6] + ("A" if value[-6] != "A" else "B") + value[-5:]
    with pytest.raises(sealed.SealedValueError):
        sealed.unseal(tampered, "users.totp_secret")


def test_a_secret_written_before_sealing_is_read_and_sealed_on_the_next_write():
    officer = factories.make_user("admin", two_factor=False)
    db.session.commit()
    db.session.execute(sa.text("UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = :id"),
                       {"id": officer.id})
    db.session.commit()
    db.session.expire_all()
    user = db.session.get(User, officer.id)
    assert user.totp_secret == "JBSWY3DPEHPK3PXP"
    user.totp_secret = "KRSXG5CTMVRXEZLU"
    db.session.commit()
    assert _stored(officer.id).startswith("v1:")


def test_a_configured_key_must_be_32_bytes():
    with pytest.raises(ValueError):
        sealed.key({"DATA_ENCRYPTION_KEY": "dG9vLXNob3J0"})
