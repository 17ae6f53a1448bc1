"""Cylinders and containers, their contents, custody events and refused attempts.

A cylinder has one identity for life (the national serial certreg issues, ``CC-C-NNNNNN-D``,
see :mod:`certreg.cylinders.numbers`), one owner and exactly one custodian at a time. Its
contents are the register's current view; every change is a :class:`CylinderEvent`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certreg.db import KILOGRAMS, Base, created_at, enum_type, intpk, str2, str32, str64, str120, str255, utcnow
from certreg.registry.models import Company, Technician

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")
#: Water capacity in litres, two decimals.
LITRES = sa.Numeric(10, 2, asdecimal=True)
#: The menu entry of the register (see certreg.templating.NAVIGATION).
MENU_LABEL = _l("Cylinders")


class CylinderKind(enum.StrEnum):
    REFILLABLE = "refillable"
    NON_REFILLABLE = "non_refillable"
    RECOVERY = "recovery"
    DRUM = "drum"  # drum or ISO tank


KIND_LABELS = {
    CylinderKind.REFILLABLE: _l("Refillable cylinder"),
    CylinderKind.NON_REFILLABLE: _l("Non-refillable (disposable) cylinder"),
    CylinderKind.RECOVERY: _l("Recovery cylinder"),
    CylinderKind.DRUM: _l("Drum or ISO tank"),
}


class ContentCondition(enum.StrEnum):
    VIRGIN = "virgin"
    RECOVERED = "recovered"
    RECYCLED = "recycled"
    RECLAIMED = "reclaimed"
    FOR_DESTRUCTION = "for_destruction"


CONDITION_LABELS = {
    ContentCondition.VIRGIN: _l("Virgin (new)"),
    ContentCondition.RECOVERED: _l("Recovered"),
    ContentCondition.RECYCLED: _l("Recycled"),
    ContentCondition.RECLAIMED: _l("Reclaimed"),
    ContentCondition.FOR_DESTRUCTION: _l("For destruction"),
}


class CylinderStatus(enum.StrEnum):
    IN_STOCK = "in_stock"
    WITH_TECHNICIAN = "with_technician"
    EMPTY = "empty"
    RETURNED = "returned"
    DESTROYED = "destroyed"  # final
    LOST = "lost"  # reported lost or stolen
    SEIZED = "seized"


STATUS_LABELS = {
    CylinderStatus.IN_STOCK: _l("In stock"),
    CylinderStatus.WITH_TECHNICIAN: _l("With a technician"),
    CylinderStatus.EMPTY: _l("Empty"),
    CylinderStatus.RETURNED: _l("Returned"),
    CylinderStatus.DESTROYED: _l("Destroyed"),
    CylinderStatus.LOST: _l("Reported lost or stolen"),
    CylinderStatus.SEIZED: _l("Seized"),
}


class EventKind(enum.StrEnum):
    REGISTER = "register"
    FILL = "fill"  # import or fill: creates or refills the contents
    CHARGE = "charge"  # draws kilograms into equipment
    RECOVERY = "recovery"  # fills a recovery cylinder
    TRANSFER = "transfer"  # custody moves to another holder
    RETURN = "return"  # back to the dealer
    RECLAIM = "reclaim"
    DESTROY = "destroy"
    LOST = "lost"  # reported lost or stolen
    FOUND = "found"  # a lost cylinder reported found: open again
    REVERSAL = "reversal"  # the logbook entry that caused an event was reversed: its kilograms are undone
    SEIZE = "seize"  # seized at an inspection (certreg.inspections)
    SUSPECT = "suspect"  # an inspection found the contents differ from the label


EVENT_LABELS = {
    EventKind.REGISTER: _l("Registered"),
    EventKind.FILL: _l("Filled"),
    EventKind.CHARGE: _l("Charge drawn"),
    EventKind.RECOVERY: _l("Recovered into"),
    EventKind.TRANSFER: _l("Custody transferred"),
    EventKind.RETURN: _l("Returned"),
    EventKind.RECLAIM: _l("Reclaimed"),
    EventKind.DESTROY: _l("Destroyed"),
    EventKind.LOST: _l("Reported lost or stolen"),
    EventKind.FOUND: _l("Reported found"),
    EventKind.REVERSAL: _l("Entry reversed"),
    EventKind.SEIZE: _l("Seized"),
    EventKind.SUSPECT: _l("Marked suspect by an inspection"),
}


class Cylinder(Base):
    """A refrigerant cylinder or container with a persistent identity."""

    __tablename__ = "cylinders"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), index=True,
                                               comment="The country whose register holds it")
    serial: Mapped[str32 | None] = mapped_column(
        unique=True, comment="National serial CC-C-NNNNNN-D, see numbers.py; null until an unregistered cylinder "
                             "is registered")
    grai: Mapped[str | None] = mapped_column(sa.String(40), unique=True,
                                             comment="Owner's GS1 GRAI (AI 8003), digits and serial, no AI")
    manufacturer: Mapped[str120 | None]
    stamp_number: Mapped[str64 | None] = mapped_column(index=True, comment="Manufacturer's stamped serial")
    kind: Mapped[CylinderKind | None] = mapped_column(enum_type(CylinderKind, 16))
    water_capacity_l: Mapped[Decimal | None] = mapped_column(LITRES, comment="Water capacity, litres")
    tare_kg: Mapped[Decimal | None] = mapped_column(KILOGRAMS, comment="Empty weight, kg")
    test_due: Mapped[date | None] = mapped_column(comment="Next periodic pressure test due")
    owner_company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    custodian_company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    custodian_technician_id: Mapped[int | None] = mapped_column(sa.ForeignKey("technicians.id"), index=True)
    status: Mapped[CylinderStatus] = mapped_column(enum_type(CylinderStatus, 16), index=True)
    substance_code: Mapped[str | None] = mapped_column(sa.String(32), sa.ForeignKey("substances.code"),
                                                       comment="Contents; null when never filled")
    net_kg: Mapped[Decimal] = mapped_column(KILOGRAMS, default=Decimal("0"), server_default="0",
                                            comment="Net contents, kg")
    condition: Mapped[ContentCondition | None] = mapped_column(enum_type(ContentCondition, 16))
    mixed: Mapped[bool] = mapped_column(default=False, server_default=sa.false(),
                                        comment="Recovery cylinder holding mixed gases, for destruction only")
    fill_date: Mapped[date | None]
    filled_by: Mapped[str255 | None]
    batch: Mapped[str64 | None]
    origin_country: Mapped[str2 | None] = mapped_column(comment="ISO 3166-1 alpha-2 of the gas's origin")
    fills: Mapped[int] = mapped_column(default=0, server_default="0", comment="How many times it was filled")
    status_index: Mapped[int | None] = mapped_column(comment="Index in the country's label status list")
    kid: Mapped[str | None] = mapped_column(sa.String(16), comment="Key that signed the label token")
    token: Mapped[str | None] = mapped_column(sa.Text, comment="The signed label token (base32); public")
    needs_registration: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false(), index=True,
        comment="Known only as a serial typed on logbook entries (stamp_number): to be registered")
    suspect: Mapped[bool] = mapped_column(default=False, server_default=sa.false(),
                                          comment="An inspection found contents that differ from the label")
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow,
                                                 server_default=sa.func.current_timestamp())

    owner: Mapped[Company | None] = relationship(foreign_keys=[owner_company_id])
    custodian_company: Mapped[Company | None] = relationship(foreign_keys=[custodian_company_id])
    custodian_technician: Mapped[Technician | None] = relationship(foreign_keys=[custodian_technician_id])
    events: Mapped[list[CylinderEvent]] = relationship(back_populates="cylinder", order_by="CylinderEvent.id",
                                                       viewonly=True)

    __table_args__ = (
        sa.CheckConstraint("(custodian_company_id IS NULL) <> (custodian_technician_id IS NULL)",
                           name="one_custodian"),
        sa.CheckConstraint("net_kg >= 0", name="contents_not_negative"),
        sa.CheckConstraint("net_kg = 0 OR substance_code IS NOT NULL", name="contents_named"),
        sa.CheckConstraint("water_capacity_l > 0", name="capacity_positive"),
        sa.CheckConstraint("tare_kg >= 0", name="tare_not_negative"),
        sa.CheckConstraint("kind <> 'non_refillable' OR fills <= 1", name="non_refillable_filled_once"),
        sa.CheckConstraint("NOT mixed OR (kind = 'recovery' AND condition = 'for_destruction')",
                           name="mixed_only_for_destruction"),
        sa.CheckConstraint("status <> 'destroyed' OR net_kg = 0", name="destroyed_is_empty"),
        sa.UniqueConstraint("country_code", "status_index"),
        sa.CheckConstraint("needs_registration OR (serial IS NOT NULL AND kind IS NOT NULL AND water_capacity_l IS "
                           "NOT NULL AND tare_kg IS NOT NULL AND owner_company_id IS NOT NULL AND status_index IS NOT "
                           "NULL AND kid IS NOT NULL AND token IS NOT NULL)", name="registered_complete"),
        sa.CheckConstraint("NOT needs_registration OR stamp_number IS NOT NULL", name="unregistered_has_serial"),
        # one unregistered record per serial typed in a country's logbooks
        sa.Index("uq_cylinders_unregistered_serial", "country_code", "stamp_number", unique=True,
                 sqlite_where=sa.text("needs_registration"), postgresql_where=sa.text("needs_registration")),
    )

    @property
    def label(self) -> str:
        """The serial to show: the national one, or the one typed on logbook entries."""
        return self.serial or self.stamp_number or f"#{self.id}"

    @property
    def custodian(self) -> Company | Technician:
        holder = self.custodian_company or self.custodian_technician
        assert holder is not None
        return holder


class CylinderEvent(Base):
    """One step in a cylinder's custody history: append-only, and a leaf of the country's log.

    ``seq`` is the event's position in the country's Merkle log, shared with the logbook
    entries (``certreg.logbook.ledger``); ``leaf_hash`` covers its canonical form
    (:mod:`certreg.cylinders.custody_log`) and ``mac`` binds it to its position, as for entries.
    ``entry_id``: the logbook entry that caused it (an import, a charge ...), if any.
    """

    __tablename__ = "cylinder_events"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    cylinder_id: Mapped[int] = mapped_column(sa.ForeignKey("cylinders.id"), index=True)
    country_code: Mapped[str2 | None] = mapped_column(sa.ForeignKey("countries.code"),
                                                      comment="The log the event is a leaf of")
    seq: Mapped[int | None] = mapped_column(sa.BigInteger, comment="Position in the country's log (with the entries)")
    entry_id: Mapped[int | None] = mapped_column(BIGINT, sa.ForeignKey("logbook_entries.id"), index=True,
                                                 comment="The logbook entry that caused the event")
    leaf_hash: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    mac: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    at: Mapped[created_at]
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, 16))
    kg: Mapped[Decimal] = mapped_column(KILOGRAMS, default=Decimal("0"), server_default="0",
                                        comment="Change of contents, kg (negative: drawn)")
    net_kg_after: Mapped[Decimal] = mapped_column(KILOGRAMS, comment="Contents after the event, kg")
    substance_code: Mapped[str | None] = mapped_column(sa.String(32))
    condition: Mapped[ContentCondition | None] = mapped_column(enum_type(ContentCondition, 16))
    to_company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"))
    to_technician_id: Mapped[int | None] = mapped_column(sa.ForeignKey("technicians.id"))
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_label: Mapped[str255]
    note: Mapped[str | None] = mapped_column(sa.Text)

    cylinder: Mapped[Cylinder] = relationship(back_populates="events")

    __table_args__ = (
        sa.CheckConstraint("net_kg_after >= 0", name="contents_not_negative"),
        sa.UniqueConstraint("country_code", "seq"),
    )


class CylinderRefusal(Base):
    """An attempt the cylinder rules refused, written in a transaction of its own (like logbook refusals)."""

    __tablename__ = "cylinder_refusals"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    at: Mapped[created_at]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"))
    cylinder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cylinders.id"), index=True)
    serial: Mapped[str64 | None] = mapped_column(comment="As given")
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_label: Mapped[str255]
    kind: Mapped[EventKind | None] = mapped_column(enum_type(EventKind, 16))
    code: Mapped[str64] = mapped_column(index=True, comment="The rule's stable refusal code")
    message: Mapped[str] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any] | None]


class CylinderScan(Base):
    """A label scanned at ``/c/<token>`` (who, when, what the verdict was)."""

    __tablename__ = "cylinder_scans"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    at: Mapped[created_at] = mapped_column(index=True)
    cylinder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cylinders.id", ondelete="SET NULL"), index=True)
    serial: Mapped[str32 | None] = mapped_column(comment="As claimed by the token")
    verdict: Mapped[str] = mapped_column(sa.String(16), comment="genuine | unknown | forged")
    inspector_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)


class CylinderCountryRule(Base):
    """A country's own cylinder rules (one row per country; none: no national rule)."""

    __tablename__ = "cylinder_country_rules"

    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), primary_key=True)
    non_refillable_banned_from: Mapped[date | None] = mapped_column(
        comment="From this day non-refillable cylinders may not be imported, filled or sold (EU 2007, US 2025)")
