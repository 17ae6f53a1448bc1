"""Import and export licences (Montreal Protocol Article 4B): per company, direction, scope, cap, validity."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certreg.db import KILOGRAMS, Base, created_at, enum_type, intpk, str2, str64, str255, timestamp
from certreg.registry.models import Company


class LicenceDirection(enum.StrEnum):
    IMPORT = "import"
    EXPORT = "export"


class LicenceStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


DIRECTION_LABELS = {LicenceDirection.IMPORT: _l("Import"), LicenceDirection.EXPORT: _l("Export")}
STATUS_LABELS = {LicenceStatus.ACTIVE: _l("Active"), LicenceStatus.SUSPENDED: _l("Suspended"),
                 LicenceStatus.REVOKED: _l("Revoked"), LicenceStatus.EXPIRED: _l("Expired")}
TONNES = sa.Numeric(18, 6)


class Licence(Base):
    """A licence issued by a country's authority to one of its companies."""

    __tablename__ = "licences"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"))
    number: Mapped[str64] = mapped_column(comment="As printed; unique within the country")
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    direction: Mapped[LicenceDirection] = mapped_column(enum_type(LicenceDirection, 8))
    scope: Mapped[list] = mapped_column(sa.JSON, comment="Substance codes and/or control groups (e.g. HCFC-22, C/I)")
    hs_codes: Mapped[list] = mapped_column(sa.JSON, default=list, comment="HS codes covered; empty: any")
    partner_countries: Mapped[list] = mapped_column(sa.JSON, default=list,
                                                    comment="ISO codes of partner countries; empty: any")
    cap_kg: Mapped[Decimal] = mapped_column(KILOGRAMS)
    cap_odp_t: Mapped[Decimal | None] = mapped_column(TONNES, comment="Annexes A, B, C, E: ODP tonnes")
    cap_co2e_t: Mapped[Decimal | None] = mapped_column(TONNES, comment="Annex F: CO2-equivalent tonnes")
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    issuing_authority: Mapped[str255]
    status: Mapped[LicenceStatus] = mapped_column(enum_type(LicenceStatus, 16), default=LicenceStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    token: Mapped[str | None] = mapped_column(sa.Text, comment="Signed licence token (certreg.licences.token) "
                                                                "printed in the document's QR; null: not yet signed")
    kid: Mapped[str | None] = mapped_column(sa.String(16), index=True, comment="base64url kid of the signing key")
    created_at: Mapped[created_at]
    updated_at: Mapped[timestamp | None]

    company: Mapped[Company] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("country_code", "number", name="uq_licences_country_number"),
        sa.CheckConstraint("cap_kg > 0", name="cap_positive"),
        sa.CheckConstraint("valid_until >= valid_from", name="validity_ordered"),
    )
