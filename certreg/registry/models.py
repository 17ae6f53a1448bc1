"""Countries, issuing authorities, technicians and companies."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certreg.db import Base, created_at, enum_type, intpk, str2, str64, str120, str255, utcnow


class Country(Base):
    """A country whose national ozone unit runs (its part of) certreg. ISO 3166-1 alpha-2 code."""

    __tablename__ = "countries"

    code: Mapped[str2] = mapped_column(primary_key=True)
    name: Mapped[str120] = mapped_column(
        comment="English short name; pages show the CLDR name in the reader's language")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The bans on phased-out substances: certreg.countries (defaults from the Protocol, national dates).

    authorities: Mapped[list[IssuingAuthority]] = relationship(back_populates="country", order_by="IssuingAuthority.id")

    __table_args__ = (sa.CheckConstraint("length(code) = 2 AND code = upper(code)", name="code_format"),)


class AuthorityKind(enum.StrEnum):
    NATIONAL_OZONE_UNIT = "national_ozone_unit"
    CERTIFICATION_BODY = "certification_body"


AUTHORITY_KIND_LABELS = {
    AuthorityKind.NATIONAL_OZONE_UNIT: _l("National ozone unit"),
    AuthorityKind.CERTIFICATION_BODY: _l("Certification body"),
}


class IssuingAuthority(Base):
    """The body that issues certificates in a country (its NOU or a body it appoints)."""

    __tablename__ = "issuing_authorities"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), index=True)
    name: Mapped[str255]
    kind: Mapped[AuthorityKind] = mapped_column(enum_type(AuthorityKind))
    address: Mapped[str255 | None]
    created_at: Mapped[created_at]

    country: Mapped[Country] = relationship(back_populates="authorities")

    __table_args__ = (sa.UniqueConstraint("country_code", "name"),)


class Activity(enum.StrEnum):
    IMPORTER = "importer"
    EXPORTER = "exporter"
    DEALER = "dealer"
    SERVICE = "service"
    EQUIPMENT_OWNER = "equipment_owner"
    RECLAIMER = "reclaimer"
    DESTRUCTION = "destruction"
    TRAINING = "training"
    PRODUCER = "producer"


ACTIVITY_LABELS = {
    Activity.IMPORTER: _l("Importer"),
    Activity.EXPORTER: _l("Exporter"),
    Activity.DEALER: _l("Dealer / distributor"),
    Activity.SERVICE: _l("Service company"),
    Activity.EQUIPMENT_OWNER: _l("Equipment owner / operator"),
    Activity.RECLAIMER: _l("Reclaimer"),
    Activity.DESTRUCTION: _l("Destruction facility"),
    Activity.TRAINING: _l("Training / certification body"),
    Activity.PRODUCER: _l("Producer"),
}


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), index=True)
    legal_name: Mapped[str255] = mapped_column(comment="As registered, any script")
    name_latin: Mapped[str120] = mapped_column(comment="Latin-script name printed on certificates and QR tokens")
    registration_number: Mapped[str64] = mapped_column(comment="Company registration or tax number, unique per country")
    address: Mapped[str255]
    email: Mapped[str255 | None]
    phone: Mapped[str64 | None]
    search_key: Mapped[str] = mapped_column(sa.String(600), default="", server_default="",
                                            comment="Case-folded names and number for search")
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow,
                                                 server_default=sa.func.current_timestamp())

    country: Mapped[Country] = relationship()
    activities: Mapped[list[CompanyActivity]] = relationship(
        back_populates="company", cascade="all, delete-orphan", order_by="CompanyActivity.activity"
    )
    employments: Mapped[list[Employment]] = relationship(back_populates="company", order_by="Employment.id")

    __table_args__ = (sa.UniqueConstraint("country_code", "registration_number"),)

    @property
    def activity_set(self) -> set[Activity]:
        return {a.activity for a in self.activities}

    @property
    def display_name(self) -> str:
        return self.legal_name


class CompanyActivity(Base):
    __tablename__ = "company_activities"

    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    activity: Mapped[Activity] = mapped_column(enum_type(Activity), primary_key=True)

    company: Mapped[Company] = relationship(back_populates="activities")


class Technician(Base):
    """A natural person who handles refrigerants."""

    __tablename__ = "technicians"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), index=True)
    full_name: Mapped[str255] = mapped_column(comment="As in the ID document, any script")
    full_name_latin: Mapped[str120] = mapped_column(comment="Latin script as in the passport; printed in QR tokens")
    national_id: Mapped[str64] = mapped_column(comment="Personal ID number; never shown publicly")
    date_of_birth: Mapped[date]
    email: Mapped[str255 | None]
    phone: Mapped[str64 | None]
    address: Mapped[str255 | None]
    search_key: Mapped[str] = mapped_column(sa.String(600), default="", server_default="",
                                            comment="Case-folded names for search")
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow,
                                                 server_default=sa.func.current_timestamp())

    country: Mapped[Country] = relationship()
    employments: Mapped[list[Employment]] = relationship(back_populates="technician", order_by="Employment.id")
    trainings: Mapped[list[TrainingRecord]] = relationship(
        back_populates="technician", cascade="all, delete-orphan", order_by="TrainingRecord.completed_on.desc()"
    )

    __table_args__ = (sa.UniqueConstraint("country_code", "national_id"),)

    @property
    def display_name(self) -> str:
        return self.full_name

    @property
    def current_employers(self) -> list[Company]:
        return [e.company for e in self.employments if e.ended_on is None]


class Employment(Base):
    """A technician works for a company from ``started_on`` until ``ended_on`` (open if null)."""

    __tablename__ = "employments"

    id: Mapped[intpk]
    technician_id: Mapped[int] = mapped_column(sa.ForeignKey("technicians.id"), index=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    started_on: Mapped[date]
    ended_on: Mapped[date | None]

    technician: Mapped[Technician] = relationship(back_populates="employments")
    company: Mapped[Company] = relationship(back_populates="employments")

    __table_args__ = (
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates_in_order"),
        # One open employment per technician and company.
        sa.Index(
            "uq_employments_open",
            "technician_id",
            "company_id",
            unique=True,
            sqlite_where=sa.text("ended_on IS NULL"),
            postgresql_where=sa.text("ended_on IS NULL"),
        ),
    )


class TrainingRecord(Base):
    __tablename__ = "training_records"

    id: Mapped[intpk]
    technician_id: Mapped[int] = mapped_column(sa.ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    course: Mapped[str255]
    completed_on: Mapped[date]
    provider: Mapped[str255]
    created_at: Mapped[created_at]

    technician: Mapped[Technician] = relationship(back_populates="trainings")
