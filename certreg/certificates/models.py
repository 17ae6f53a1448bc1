"""Certificates, their categories, their event history, counters, scans and the verify throttle."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certreg.certificates.categories import Scheme as CategoryScheme
from certreg.certificates.category_names import translated
from certreg.certificates.checking import Verdict
from certreg.db import Base, created_at, enum_type, intpk, str2, str32, str64, str255, timestamp, utcnow
from certreg.vocabulary import HolderKind

SCHEME_LABELS = {
    CategoryScheme.EU_2024_2215: _l("EU Implementing Regulation 2024/2215"),
    CategoryScheme.EU_2015_2067: _l("EU Implementing Regulation 2015/2067 (legacy)"),
    CategoryScheme.NATIONAL: _l("National scope"),
    CategoryScheme.COMPANY: _l("Company activity"),
}


class CertificateStatus(enum.StrEnum):
    """The stored status. "Expired" and the end of a suspension are computed from dates."""
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"  # final
    SUPERSEDED = "superseded"  # final: renewed or replaced by another certificate


class CertificateCategory(Base):
    """A certificate category: what work it allows and on which substance classes (data, see SOURCES.md)."""
    __tablename__ = "certificate_categories"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(sa.String(16), unique=True, comment="Printed on cards, signed into tokens")
    scheme: Mapped[CategoryScheme] = mapped_column(enum_type(CategoryScheme))
    country_code: Mapped[str2 | None] = mapped_column(
        sa.ForeignKey("countries.code"), index=True, comment="Set for national scopes only"
    )
    holder_kind: Mapped[HolderKind] = mapped_column(enum_type(HolderKind))
    activities: Mapped[list[str]] = mapped_column(sa.JSON, comment="Work activity codes, e.g. install, purchase")
    substances: Mapped[list[str]] = mapped_column(sa.JSON, comment="Substance classes or fluorinated families")
    max_charge_kg: Mapped[str | None] = mapped_column(sa.String(16), comment="Charge limit in kg, informative")
    valid_until: Mapped[date | None] = mapped_column(comment="The category stops counting after this day")
    names: Mapped[dict[str, Any]] = mapped_column(sa.JSON, comment='Names by language, {"en": ..., "ru": ...}')
    source: Mapped[str255] = mapped_column(default="", server_default="")
    sort_order: Mapped[int] = mapped_column(default=500, server_default="500")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[created_at]

    __table_args__ = (
        sa.CheckConstraint("(scheme = 'national') = (country_code IS NOT NULL)", name="national_has_country"),
    )

    def name(self, language: str | None) -> str:
        """The name in ``language``: the stored one, else the built-in name's translation, else English."""
        own = self.names.get(language or "en")
        if own:
            return own
        english = self.names.get("en") or self.code
        return translated(english, language) or english


class CertificateCategoryLink(Base):
    __tablename__ = "certificate_category_links"

    certificate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("certificate_categories.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(comment="Order as issued (and as signed)")

    category: Mapped[CertificateCategory] = relationship(lazy="joined")


class Certificate(Base):
    """A certificate of a technician or company, with its signed QR token."""
    __tablename__ = "certificates"

    id: Mapped[intpk]
    number: Mapped[str32] = mapped_column(unique=True, comment="CC-K-YYYY-NNNNNN-D, see numbers.py")
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), index=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("issuing_authorities.id"))
    holder_kind: Mapped[HolderKind] = mapped_column(enum_type(HolderKind))
    technician_id: Mapped[int | None] = mapped_column(sa.ForeignKey("technicians.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    holder_name: Mapped[str] = mapped_column(sa.String(100), comment="Latin-script name as signed")
    valid_from: Mapped[date]
    valid_until: Mapped[date] = mapped_column(index=True)
    status: Mapped[CertificateStatus] = mapped_column(enum_type(CertificateStatus), index=True)
    status_reason: Mapped[str | None] = mapped_column(sa.Text, comment="Why suspended, revoked or superseded")
    suspended_from: Mapped[date | None]
    suspended_until: Mapped[date | None] = mapped_column(comment="Last day of the suspension; null: indefinitely")
    revoked_at: Mapped[timestamp | None]
    superseded_at: Mapped[timestamp | None]
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"))
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"))
    status_index: Mapped[int] = mapped_column(comment="Index in the issuing country's status list")
    kid: Mapped[str] = mapped_column(sa.String(16), index=True, comment="Key that signed the token")
    token: Mapped[str] = mapped_column(sa.Text, comment="The signed QR token (base32); public, not a secret")
    issued_at: Mapped[created_at]
    issued_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow,
                                                 server_default=sa.func.current_timestamp())

    category_links: Mapped[list[CertificateCategoryLink]] = relationship(
        cascade="all, delete-orphan", order_by="CertificateCategoryLink.position", lazy="selectin"
    )
    technician = relationship("Technician")
    company = relationship("Company")
    authority = relationship("IssuingAuthority")
    events: Mapped[list[CertificateEvent]] = relationship(
        back_populates="certificate", order_by="CertificateEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("country_code", "status_index"),
        sa.CheckConstraint(
            "(holder_kind = 'technician' AND technician_id IS NOT NULL AND company_id IS NULL)"
            " OR (holder_kind = 'company' AND company_id IS NOT NULL AND technician_id IS NULL)",
            name="one_holder",
        ),
        sa.CheckConstraint("valid_until >= valid_from", name="dates_in_order"),
        sa.CheckConstraint("status_index >= 0", name="status_index_positive"),
        sa.CheckConstraint(
            "(status = 'suspended') = (suspended_from IS NOT NULL)", name="suspension_dates"
        ),
        sa.CheckConstraint("(status = 'revoked') = (revoked_at IS NOT NULL)", name="revoked_at_set"),
        sa.CheckConstraint("(status = 'superseded') = (superseded_at IS NOT NULL)", name="superseded_at_set"),
        # At most one current (active or suspended) certificate per holder: renew, do not issue twice.
        sa.Index(
            "uq_certificates_current_technician", "technician_id", unique=True,
            sqlite_where=sa.text("status IN ('active', 'suspended') AND technician_id IS NOT NULL"),
            postgresql_where=sa.text("status IN ('active', 'suspended') AND technician_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_certificates_current_company", "company_id", unique=True,
            sqlite_where=sa.text("status IN ('active', 'suspended') AND company_id IS NOT NULL"),
            postgresql_where=sa.text("status IN ('active', 'suspended') AND company_id IS NOT NULL"),
        ),
    )

    @property
    def categories(self) -> list[CertificateCategory]:
        return [link.category for link in self.category_links]

    @property
    def category_codes(self) -> list[str]:
        return [link.category.code for link in self.category_links]

    @property
    def holder(self):
        return self.technician if self.holder_kind is HolderKind.TECHNICIAN else self.company

    @property
    def holder_id(self) -> int:
        return self.technician_id if self.holder_kind is HolderKind.TECHNICIAN else self.company_id  # type: ignore[return-value]


class EventAction(enum.StrEnum):
    ISSUED = "issued"
    RENEWED = "renewed"  # on the new certificate
    SUPERSEDED = "superseded"  # on the old certificate
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    REVOKED = "revoked"


EVENT_LABELS = {
    EventAction.ISSUED: _l("Issued"),
    EventAction.RENEWED: _l("Issued as a renewal"),
    EventAction.SUPERSEDED: _l("Replaced by a renewal"),
    EventAction.SUSPENDED: _l("Suspended"),
    EventAction.REINSTATED: _l("Reinstated"),
    EventAction.REVOKED: _l("Revoked"),
}


class CertificateEvent(Base):
    """The history of a certificate as its page shows it; every row also has an audit entry."""
    __tablename__ = "certificate_events"

    id: Mapped[intpk]
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificates.id", ondelete="CASCADE"), index=True)
    at: Mapped[created_at]
    action: Mapped[EventAction] = mapped_column(enum_type(EventAction))
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_label: Mapped[str255]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any] | None]

    certificate: Mapped[Certificate] = relationship(back_populates="events")


class CertificateCounter(Base):
    """Sequences allocated with one atomic upsert: ``T-2026``, ``C-2026`` (numbers), ``status`` (list index)."""
    __tablename__ = "certificate_counters"

    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    value: Mapped[int]


class CertificateScan(Base):
    """One verification (page, API or status look-up): what an inspector's "my checks" lists."""
    __tablename__ = "certificate_scans"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    at: Mapped[created_at] = mapped_column(index=True)
    certificate_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certificates.id", ondelete="SET NULL"), index=True
    )
    number: Mapped[str32 | None] = mapped_column(comment="As claimed by the token, even if unknown here")
    verdict: Mapped[Verdict] = mapped_column(enum_type(Verdict))
    channel: Mapped[str] = mapped_column(sa.String(8), comment="page | api | status")
    inspector_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)


class VerifyThrottle(Base):
    """Fixed-window request counter per client for the public verification endpoints (shared by workers)."""
    __tablename__ = "verify_throttle"

    client: Mapped[str64] = mapped_column(primary_key=True, comment="ip:<address> or user:<id>")
    hits: Mapped[int]
    window_started_at: Mapped[datetime]
