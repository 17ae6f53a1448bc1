"""Columns whose values are sealed at rest (AES-256-GCM, the ``cryptography`` package).

A stolen database dump (or backup) must not hand over what lets someone sign in as an official:
the TOTP secret is such a value. :class:`SealedString` encrypts on the way into the database and
decrypts on the way out, so the model attribute stays the plain value.

Stored form: ``v1:`` + URL-safe base64 of (12-byte random nonce || ciphertext || tag); the column's
name is the associated data, so a value copied into another sealed column does not open. The key is
``DATA_ENCRYPTION_KEY`` (32 random bytes, base64) or, when unset, derived from ``SECRET_KEY`` by HKDF
(production refuses to start without one of them being strong). A value without the ``v1:`` prefix is
a plain value written before sealing existed; it is read as is and sealed on the next write (the
migration that introduced sealing seals existing rows).
"""

from __future__ import annotations

import base64
import os
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy.types import TypeDecorator

PREFIX = "v1:"


class SealedValueError(RuntimeError):
    """A sealed value does not open with this installation's key (wrong key, or altered value)."""


def key(config: dict[str, Any] | None = None) -> bytes:
    config = config if config is not None else current_app.config
    configured = config.get("DATA_ENCRYPTION_KEY")
    if configured:
        raw = base64.urlsafe_b64decode(configured + "=" * (-len(configured) % 4))
        if len(raw) != 32:
            raise ValueError("DATA_ENCRYPTION_KEY must be 32 bytes, base64-encoded")
        return raw
    secret = str(config["SECRET_KEY"]).encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"certreg sealed columns v1").derive(secret)


def seal(value: str, context: str, config: dict[str, Any] | None = None) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key(config)).encrypt(nonce, value.encode("utf-8"), context.encode("utf-8"))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(stored: str, context: str, config: dict[str, Any] | None = None) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before sealing; sealed again on the next write
    raw = base64.urlsafe_b64decode(stored[len(PREFIX):])
    try:
        return AESGCM(key(config)).decrypt(raw[:12], raw[12:], context.encode("utf-8")).decode("utf-8")
    except InvalidTag as exc:
        raise SealedValueError(f"a sealed {context} value does not open with this installation's key") from exc


def sealed_length(plain_length: int) -> int:
    """Column length that holds a sealed value of at most ``plain_length`` UTF-8 bytes."""
    return len(PREFIX) + 4 * -(-(12 + plain_length + 16) // 3)


class SealedString(TypeDecorator):
    """A string column sealed at rest; ``context`` (e.g. ``"users.totp_secret"``) binds it to its column."""

    impl = sa.String
    cache_ok = True

    def __init__(self, plain_length: int, context: str) -> None:
        super().__init__(sealed_length(plain_length))
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else seal(value, self.context)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else unseal(value, self.context)
