"""The substance catalogue in the database: what logbook entries and reports refer to.

Loaded from ``certreg/substances/data/*.csv`` (see ``SOURCES.md``) by migration 0004 and
kept in step by ``flask substances load``. Figures are exact ``Numeric`` values, never floats.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certreg.db import Base, str32, str64, str255
from certreg.substances.rows import FRACTION_SCALE, GWP_SCALE, ODP_SCALE

CODE = sa.String(32)
#: The menu entry of the catalogue page (see certreg.templating.NAVIGATION).
MENU_LABEL = _l("Substances")


class Substance(Base):
    """A controlled substance (Annex A, B, C, E or F), a refrigerant blend or a non-controlled alternative."""

    __tablename__ = "substances"

    code: Mapped[str] = mapped_column(CODE, primary_key=True, comment="Catalogue code: CFC-12, HCFC-22, R-404A")
    is_blend: Mapped[bool]
    name: Mapped[str255]
    ashrae: Mapped[str32 | None] = mapped_column(comment="ASHRAE 34 refrigerant number, e.g. R-22")
    formula: Mapped[str64 | None]
    annex: Mapped[str | None] = mapped_column(
        sa.String(1), comment="Montreal Protocol annex of a pure controlled substance (A, B, C, E, F); null for blends"
    )
    group: Mapped[str | None] = mapped_column(sa.String(3), comment="Group within the annex: I, II or III")
    annexes: Mapped[str] = mapped_column(
        sa.String(16), default="", server_default="", comment="Annexes of the controlled components, comma-separated"
    )
    odp: Mapped[Decimal] = mapped_column(
        sa.Numeric(12, ODP_SCALE), comment="Ozone-depleting potential (annex value; blends: mass-weighted sum)"
    )
    gwp: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(12, GWP_SCALE), comment="100-year GWP (blends: mass-weighted sum of all components)"
    )
    annex_f_gwp: Mapped[Decimal] = mapped_column(
        sa.Numeric(12, GWP_SCALE), comment="CO2-eq per kg counting only Annex F (HFC) components, for Kigali reports"
    )
    controlled: Mapped[bool] = mapped_column(comment="Controlled by the Protocol (itself or a component)")
    hs_code: Mapped[str | None] = mapped_column(sa.String(16))
    aliases: Mapped[str] = mapped_column(sa.Text, default="", server_default="", comment="Other names, |-separated")
    search_key: Mapped[str] = mapped_column(
        sa.Text, default="", server_default="", comment="Normalised names (case-folded, no spaces or hyphens), one a line"
    )
    position: Mapped[int] = mapped_column(comment="Order in the catalogue files")

    components: Mapped[list[SubstanceComponent]] = relationship(
        foreign_keys="SubstanceComponent.substance_code", order_by="SubstanceComponent.position", viewonly=True
    )

    __table_args__ = (
        sa.CheckConstraint("annex IS NULL OR annex IN ('A', 'B', 'C', 'E', 'F')", name="annex_known"),
        sa.CheckConstraint("odp >= 0", name="odp_not_negative"),
    )

    @property
    def label(self) -> str:
        """``HCFC-22 (R-22)``: the code and, if different, the ASHRAE number."""
        if self.ashrae and self.ashrae != self.code:
            return f"{self.code} ({self.ashrae})"
        return self.code

    @property
    def annex_set(self) -> frozenset[str]:
        return frozenset(a for a in self.annexes.split(",") if a)

    @property
    def alias_list(self) -> list[str]:
        return [a for a in self.aliases.split("|") if a]


class SubstanceComponent(Base):
    """Mass composition: a blend's components, or a pure substance as its own single component."""

    __tablename__ = "substance_components"

    substance_code: Mapped[str] = mapped_column(CODE, sa.ForeignKey("substances.code"), primary_key=True)
    component_code: Mapped[str] = mapped_column(CODE, sa.ForeignKey("substances.code"), primary_key=True, index=True)
    mass_fraction: Mapped[Decimal] = mapped_column(sa.Numeric(8, FRACTION_SCALE), comment="0 < fraction <= 1")
    position: Mapped[int]

    component: Mapped[Substance] = relationship(foreign_keys=[component_code], viewonly=True)

    __table_args__ = (sa.CheckConstraint("mass_fraction > 0 AND mass_fraction <= 1", name="fraction_range"),)
