"""Equipment and the work done on it (interventions): the register of refrigeration, air-conditioning and
fire-protection units with a QR label. The charges and recoveries an intervention causes are logbook
entries (:class:`certreg.logbook.models.Entry`), which point here; every name is importable from
:mod:`certreg.logbook.models` too."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certreg.db import KILOGRAMS, Base, created_at, enum_type, intpk, str2, str255
from certreg.substances.models import Substance

if TYPE_CHECKING:  # resolved by name in the mapper registry: the logbook's models import these
    from certreg.logbook.models import Entry, Logbook


class EquipmentKind(enum.StrEnum):
    DOMESTIC = "domestic"
    COMMERCIAL_REFRIGERATION = "commercial_refrigeration"
    INDUSTRIAL = "industrial"
    AIR_CONDITIONING = "air_conditioning"
    HEAT_PUMP = "heat_pump"
    MOBILE_AC = "mobile_ac"
    FIRE_PROTECTION = "fire_protection"


EQUIPMENT_KIND_LABELS = {
    EquipmentKind.DOMESTIC: _l("Domestic refrigeration"),
    EquipmentKind.COMMERCIAL_REFRIGERATION: _l("Commercial refrigeration"),
    EquipmentKind.INDUSTRIAL: _l("Industrial refrigeration"),
    EquipmentKind.AIR_CONDITIONING: _l("Air-conditioning"),
    EquipmentKind.HEAT_PUMP: _l("Heat pump"),
    EquipmentKind.MOBILE_AC: _l("Mobile air-conditioning"),
    EquipmentKind.FIRE_PROTECTION: _l("Fire protection"),
}


#: The menu entry of the equipment register (see certreg.templating.NAVIGATION).
EQUIPMENT_MENU_LABEL = _l("Equipment")


class OwnerKind(enum.StrEnum):
    COMPANY = "company"
    PERSON = "person"


class Equipment(Base):
    """A refrigeration, air-conditioning or fire-protection unit, with a unique id on a QR label."""

    __tablename__ = "equipment"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(sa.String(24), unique=True, comment="CC-E-NNNNNN-D, printed in the QR label")
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), index=True)
    logbook_id: Mapped[int] = mapped_column(sa.ForeignKey("logbooks.id"), index=True,
                                            comment="The holder who registered it and looks after it")
    owner_kind: Mapped[OwnerKind] = mapped_column(enum_type(OwnerKind, 16))
    owner_name: Mapped[str255]
    site_address: Mapped[str255]
    kind: Mapped[EquipmentKind] = mapped_column(enum_type(EquipmentKind))
    substance_code: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("substances.code"))
    nominal_charge: Mapped[Decimal] = mapped_column(KILOGRAMS, comment="kg, from the name plate")
    description: Mapped[str255 | None] = mapped_column(comment="Make, model, serial number")
    decommissioned_on: Mapped[date | None]
    created_at: Mapped[created_at]
    search_key: Mapped[str] = mapped_column(sa.String(800), default="", server_default="")

    logbook: Mapped[Logbook] = relationship()
    substance: Mapped[Substance] = relationship()
    interventions: Mapped[list[Intervention]] = relationship(
        back_populates="equipment", order_by="Intervention.performed_on.desc(), Intervention.id.desc()"
    )

    __table_args__ = (sa.CheckConstraint("nominal_charge > 0", name="charge_positive"),)


class InterventionKind(enum.StrEnum):
    INSTALLATION = "installation"
    LEAK_CHECK = "leak_check"
    REPAIR = "repair"
    CHARGE = "charge"
    RECOVERY = "recovery"
    DECOMMISSIONING = "decommissioning"


INTERVENTION_KIND_LABELS = {
    InterventionKind.INSTALLATION: _l("Installation"),
    InterventionKind.LEAK_CHECK: _l("Leak check"),
    InterventionKind.REPAIR: _l("Repair"),
    InterventionKind.CHARGE: _l("Charge (top-up)"),
    InterventionKind.RECOVERY: _l("Recovery"),
    InterventionKind.DECOMMISSIONING: _l("Decommissioning"),
}


class LeakCheckResult(enum.StrEnum):
    NO_LEAK = "no_leak"
    LEAK_FOUND = "leak_found"
    LEAK_REPAIRED = "leak_repaired"


LEAK_CHECK_RESULT_LABELS = {
    LeakCheckResult.NO_LEAK: _l("No leak found"),
    LeakCheckResult.LEAK_FOUND: _l("Leak found"),
    LeakCheckResult.LEAK_REPAIRED: _l("Leak found and repaired"),
}


class Intervention(Base):
    """Work done on equipment; charges and recoveries it causes are logbook entries pointing here."""

    __tablename__ = "equipment_interventions"

    id: Mapped[intpk]
    equipment_id: Mapped[int] = mapped_column(sa.ForeignKey("equipment.id"), index=True)
    logbook_id: Mapped[int] = mapped_column(sa.ForeignKey("logbooks.id"), index=True, comment="Who did the work")
    kind: Mapped[InterventionKind] = mapped_column(enum_type(InterventionKind))
    performed_on: Mapped[date]
    leak_check_result: Mapped[LeakCheckResult | None] = mapped_column(enum_type(LeakCheckResult, 16))
    note: Mapped[str | None] = mapped_column(sa.Text)
    recorded_at: Mapped[created_at]
    recorded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_by_label: Mapped[str255]
    client_id: Mapped[str | None] = mapped_column(
        sa.String(36), unique=True, comment="The UUID the phone made for a quick entry (recorded once)")
    client_digest: Mapped[str | None] = mapped_column(
        sa.String(64), comment="SHA-256 hex of the quick entry as first sent (the same id with another body: 409)")

    equipment: Mapped[Equipment] = relationship(back_populates="interventions")
    logbook: Mapped[Logbook] = relationship()
    entries: Mapped[list[Entry]] = relationship(foreign_keys="Entry.intervention_id", viewonly=True,
                                                order_by="Entry.id")

    __table_args__ = (
        sa.CheckConstraint("(kind = 'leak_check') = (leak_check_result IS NOT NULL)", name="leak_check_has_result"),
        sa.CheckConstraint("(client_id IS NULL) = (client_digest IS NULL)", name="client_id_has_digest"),
    )

