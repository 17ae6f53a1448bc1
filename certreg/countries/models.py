"""Per-country rules set by the country's administrator: national ban dates, the public rules page, and the
settings the logbook applies (used-ODS policy, leak threshold, late entries, certificates and licences required)."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from certreg.db import Base, created_at, enum_type, str2

_GROUPS = "'A/I', 'A/II', 'B/I', 'B/II', 'B/III', 'C/I', 'C/II', 'C/III', 'E/I'"


class CountryBanDate(Base):
    """A national date that replaces the Protocol's default for one control group (see certreg.countries.protocol)."""

    __tablename__ = "country_ban_dates"

    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), primary_key=True)
    control_group: Mapped[str] = mapped_column(sa.String(5), primary_key=True, comment="Annex/group, e.g. A/I")
    ban_date: Mapped[date] = mapped_column(comment="Virgin substance of the group may not be sold or imported from")
    updated_at: Mapped[created_at]

    __table_args__ = (sa.CheckConstraint(f"control_group IN ({_GROUPS})", name="control_group_known"),)


class CountryRulesText(Base):
    """The administrator's text on the public rules page (penalties), in one language."""

    __tablename__ = "country_rules_texts"

    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(8), primary_key=True, comment="Babel locale code, e.g. en, ru")
    penalties: Mapped[str] = mapped_column(sa.Text, default="", server_default="",
                                           comment="Fines and sentences, plain text (paragraphs by blank lines)")
    updated_at: Mapped[created_at]


class UsedOdsSales(enum.StrEnum):
    """After the virgin ban date, which used Annex A/B stock may still be sold."""

    ALLOWED = "allowed"  # recovered, recycled and reclaimed
    RECLAIMED_ONLY = "reclaimed_only"
    NONE = "none"


USED_ODS_SALES_LABELS = {
    UsedOdsSales.ALLOWED: _l("Recovered, recycled and reclaimed may be sold"),
    UsedOdsSales.RECLAIMED_ONLY: _l("Only reclaimed may be sold"),
    UsedOdsSales.NONE: _l("None may be sold"),
}


class CountrySettings(Base):
    """Per-country logbook rules set by the country's administrators."""

    __tablename__ = "logbook_settings"

    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), primary_key=True)
    used_ods_sales: Mapped[UsedOdsSales] = mapped_column(enum_type(UsedOdsSales, 16), default=UsedOdsSales.ALLOWED,
                                                         server_default=UsedOdsSales.ALLOWED.value)
    leak_rate_threshold: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(5, 2), comment="Percent of nominal charge a year; null: the LEAK_RATE_THRESHOLD_PERCENT setting"
    )
    company_certificate_required: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false(),
        comment="Importing, exporting and selling need a valid company certificate on the entry's date")
    licences_required: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false(),
        comment="An import must name a licence of the licence register (else any licence text is taken)")
    late_entry_days: Mapped[int | None] = mapped_column(
        comment="Entries dated more than this many days before recording need a reason; "
                "null: the LOGBOOK_LATE_ENTRY_DAYS setting")
    approval_days: Mapped[int | None] = mapped_column(
        comment="Entries dated more than this many days before recording need an officer's approval; "
                "null: the LOGBOOK_APPROVAL_DAYS setting")
    updated_at: Mapped[created_at]

    __table_args__ = (
        sa.CheckConstraint("late_entry_days IS NULL OR late_entry_days >= 0", name="late_entry_days_not_negative"),
        sa.CheckConstraint("approval_days IS NULL OR approval_days >= 0", name="approval_days_not_negative"),
    )
