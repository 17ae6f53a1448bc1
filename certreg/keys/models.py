"""Signing keys of the issuing authorities (public half only; private keys live in files)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from certreg.db import Base, created_at, enum_type, intpk, str2, timestamp


class KeyStatus(enum.StrEnum):
    ACTIVE = "active"  # signs new certificates, status lists and logbook checkpoints
    RETIRED = "retired"  # signs nothing new; still published while what it signed is valid


class SigningKey(Base):
    """One ES256 (P-256) key of a country.

    The private key is the PEM file ``{SIGNING_KEYS_DIR}/{country}/{kid}.pem``: never in
    the database or the repository. ``kid`` is the base64url of the first 8 bytes of the
    RFC 7638 thumbprint (see :mod:`certreg.certificates.signing`).
    """

    __tablename__ = "signing_keys"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), index=True)
    kid: Mapped[str] = mapped_column(sa.String(16), unique=True)
    public_jwk: Mapped[dict[str, Any]]
    status: Mapped[KeyStatus] = mapped_column(enum_type(KeyStatus))
    created_at: Mapped[created_at]
    retired_at: Mapped[timestamp | None]
    publish_until: Mapped[datetime | None] = mapped_column(
        comment="A retired key leaves the trust list after this time (null: keep publishing)"
    )

    __table_args__ = (
        # At most one active key per country.
        sa.Index(
            "uq_signing_keys_active_country",
            "country_code",
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
    )
