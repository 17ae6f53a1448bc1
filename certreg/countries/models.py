"""Per-country rules set by the country's administrator: national ban dates and the public rules page."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from certreg.db import Base, created_at, str2

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
