"""Focal points: each country's directory of its national ozone unit, customs focal points and border posts."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from certreg.db import Base, created_at, enum_type, intpk, str2, str32, str64, str120, str255, timestamp


class FocalKind(enum.StrEnum):
    OZONE_UNIT = "ozone_unit"
    CUSTOMS = "customs"
    BORDER_POST = "border_post"


KIND_LABELS = {
    FocalKind.OZONE_UNIT: _l("National ozone unit"),
    FocalKind.CUSTOMS: _l("Customs focal point"),
    FocalKind.BORDER_POST: _l("Border post"),
}
MENU_LABEL = _l("Focal points")


class FocalPoint(Base):
    """One entry of a country's directory (a border post is also a place an inspection can name)."""

    __tablename__ = "focal_points"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), index=True)
    kind: Mapped[FocalKind] = mapped_column(enum_type(FocalKind, 16))
    code: Mapped[str32] = mapped_column(comment="Short code, unique within the country (e.g. KHORGOS)")
    name: Mapped[str255] = mapped_column(comment="Office or border post name")
    post: Mapped[str120 | None] = mapped_column(comment="Contact person's post (title)")
    contact_name: Mapped[str120 | None]
    languages: Mapped[str64 | None] = mapped_column(comment="Languages spoken, e.g. 'kk, ru, en'")
    phone: Mapped[str64 | None]
    email: Mapped[str255 | None]
    hours: Mapped[str120 | None] = mapped_column(comment="Opening hours as text, e.g. 'Mon-Fri 09:00-18:00'")
    neighbour_country: Mapped[str2 | None] = mapped_column(comment="Border posts: the country across the border")
    created_at: Mapped[created_at]
    updated_at: Mapped[timestamp | None]

    __table_args__ = (sa.UniqueConstraint("country_code", "code", name="uq_focal_points_country_code"),)
