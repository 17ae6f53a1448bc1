"""Expected shipments and the customs decision at the border; iPIC questions and their signed answers."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certreg.db import KILOGRAMS, Base, created_at, enum_type, intpk, str2, str32, str64, str120, str255, timestamp
from certreg.registry.models import Company

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class Goods(enum.StrEnum):
    SUBSTANCE = "substance"  # in bulk: cylinders, drums, ISO tanks
    EQUIPMENT = "equipment"  # pre-charged equipment
    EXTINGUISHER = "extinguisher"  # fire extinguishers and their charges


class TransportMode(enum.StrEnum):
    ROAD = "road"
    RAIL = "rail"
    SEA = "sea"
    AIR = "air"
    POST = "post"


class ShipmentStatus(enum.StrEnum):
    EXPECTED = "expected"
    RELEASED = "released"
    HELD = "held"
    REFUSED = "refused"
    SEIZED = "seized"


class Receipt(enum.StrEnum):
    """The importer's answer to a released shipment (as a counterpart answers a sale)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class IpicAnswer(enum.StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN_IMPORTER = "unknown_importer"


GOODS_LABELS = {Goods.SUBSTANCE: _l("Substance in bulk"), Goods.EQUIPMENT: _l("Pre-charged equipment"),
                Goods.EXTINGUISHER: _l("Fire extinguishers")}
TRANSPORT_LABELS = {TransportMode.ROAD: _l("Road"), TransportMode.RAIL: _l("Rail"), TransportMode.SEA: _l("Sea"),
                    TransportMode.AIR: _l("Air"), TransportMode.POST: _l("Post")}
STATUS_LABELS = {ShipmentStatus.EXPECTED: _l("Expected"), ShipmentStatus.RELEASED: _l("Released"),
                 ShipmentStatus.HELD: _l("Held"), ShipmentStatus.REFUSED: _l("Refused entry"),
                 ShipmentStatus.SEIZED: _l("Seized")}
RECEIPT_LABELS = {Receipt.PENDING: _l("Awaiting confirmation"), Receipt.CONFIRMED: _l("Confirmed"),
                  Receipt.DISPUTED: _l("Disputed")}
ANSWER_LABELS = {IpicAnswer.YES: _l("Yes: licensed"), IpicAnswer.NO: _l("No"),
                 IpicAnswer.UNKNOWN_IMPORTER: _l("Unknown importer")}


class Shipment(Base):
    """A shipment expected at the border of the importing country, and what customs decided."""

    __tablename__ = "shipments"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), comment="The importing country")
    declaration_number: Mapped[str64] = mapped_column(comment="Customs declaration number; unique in the country")
    importer_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    goods: Mapped[Goods] = mapped_column(enum_type(Goods, 16))
    product_description: Mapped[str | None] = mapped_column(sa.String(255), comment="Of equipment or extinguishers")
    units: Mapped[int | None] = mapped_column(comment="Pieces of equipment or extinguishers")
    hs_code: Mapped[str32] = mapped_column(comment="As declared (digits, with or without dots)")
    substance_code: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("substances.code"))
    kg: Mapped[Decimal] = mapped_column(KILOGRAMS, comment="Kilograms of the substance (contained, for products)")
    cylinder_count: Mapped[int] = mapped_column(default=0, server_default="0")
    cylinder_serials: Mapped[list] = mapped_column(sa.JSON, default=list, comment="Serials as on the cylinders")
    import_licence: Mapped[str64]
    exporter_name: Mapped[str255]
    exporting_country: Mapped[str2]
    origin_country: Mapped[str2]
    transport_mode: Mapped[TransportMode] = mapped_column(enum_type(TransportMode, 8))
    border_post: Mapped[str120]
    expected_on: Mapped[date]
    status: Mapped[ShipmentStatus] = mapped_column(enum_type(ShipmentStatus, 16), default=ShipmentStatus.EXPECTED)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[timestamp | None]
    decided_by_label: Mapped[str | None] = mapped_column(sa.String(255))
    entry_id: Mapped[int | None] = mapped_column(BIGINT, sa.ForeignKey("logbook_entries.id"),
                                                 comment="The import entry the release recorded")
    receipt: Mapped[Receipt | None] = mapped_column(enum_type(Receipt, 16))
    receipt_note: Mapped[str | None] = mapped_column(sa.Text)
    receipt_at: Mapped[timestamp | None]
    receipt_by_label: Mapped[str | None] = mapped_column(sa.String(255))
    recorded_by_label: Mapped[str255]
    created_at: Mapped[created_at]
    updated_at: Mapped[timestamp | None]

    importer: Mapped[Company] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("country_code", "declaration_number", name="uq_shipments_country_declaration"),
        sa.CheckConstraint("kg > 0", name="kg_positive"),
        sa.CheckConstraint("cylinder_count >= 0", name="cylinders_not_negative"),
        sa.Index("ix_shipments_country_status", "country_code", "status"),
    )


class IpicQuestion(Base):
    """An informal Prior Informed Consent question and its answer, each kept as the signed document it was."""

    __tablename__ = "ipic_questions"

    id: Mapped[intpk]
    asking_country: Mapped[str2] = mapped_column(comment="The exporting country's ozone unit")
    answering_country: Mapped[str2] = mapped_column(comment="The importing country's register")
    importer_registration: Mapped[str64]
    substance_code: Mapped[str] = mapped_column(sa.String(32))
    kg: Mapped[Decimal] = mapped_column(KILOGRAMS)
    year: Mapped[int]
    question_token: Mapped[str] = mapped_column(sa.Text, comment="COSE_Sign1, base32: the asking country's key")
    answer: Mapped[IpicAnswer] = mapped_column(enum_type(IpicAnswer, 16))
    licence_number: Mapped[str | None] = mapped_column(sa.String(64))
    remaining_kg: Mapped[Decimal | None] = mapped_column(KILOGRAMS)
    answer_token: Mapped[str] = mapped_column(sa.Text, comment="COSE_Sign1, base32: the answering country's key")
    asked_by_label: Mapped[str255]
    asked_at: Mapped[created_at]

    __table_args__ = (
        sa.Index("ix_ipic_questions_lookup", "answering_country", "importer_registration", "substance_code", "year"),
        sa.CheckConstraint("kg > 0", name="kg_positive"),
    )
