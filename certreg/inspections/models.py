"""Inspections at markets and borders: what was checked, what an identifier read, the decision,
and for a seizure the goods, every custody handover and the case that followed.

Every row a phone may create carries the client's own identifier (``client_id``, a UUID made on
the phone), unique, so that a queue replayed after a lost answer records it once
(see :mod:`certreg.inspections.records`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certreg.cylinders.models import Cylinder
from certreg.db import (
    KILOGRAMS,
    Base,
    UTCDateTime,
    created_at,
    enum_type,
    intpk,
    str2,
    str32,
    str64,
    str120,
    str255,
)
from certreg.focalpoints.models import FocalPoint
from certreg.registry.models import Company, Technician
from certreg.shipments.models import Shipment

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")
PERCENT = sa.Numeric(5, 2, asdecimal=True)
MENU_LABEL = _l("Inspections")
CLIENT_ID = sa.String(36)


class PlaceKind(enum.StrEnum):
    MARKET_STALL = "market_stall"
    SHOP = "shop"
    WAREHOUSE = "warehouse"
    BORDER_POST = "border_post"
    VEHICLE = "vehicle"  # vehicle or container


PLACE_LABELS = {
    PlaceKind.MARKET_STALL: _l("Market stall"),
    PlaceKind.SHOP: _l("Shop"),
    PlaceKind.WAREHOUSE: _l("Warehouse"),
    PlaceKind.BORDER_POST: _l("Border post"),
    PlaceKind.VEHICLE: _l("Vehicle or container"),
}


class SubjectKind(enum.StrEnum):
    COMPANY = "company"
    TECHNICIAN = "technician"
    SHIPMENT = "shipment"
    UNKNOWN_PERSON = "unknown_person"


SUBJECT_LABELS = {
    SubjectKind.COMPANY: _l("Company"),
    SubjectKind.TECHNICIAN: _l("Technician"),
    SubjectKind.SHIPMENT: _l("Shipment"),
    SubjectKind.UNKNOWN_PERSON: _l("Unknown person"),
}


class Decision(enum.StrEnum):
    NO_ACTION = "no_action"
    WARNING = "warning"
    HOLD = "hold"
    SEIZURE = "seizure"
    RE_EXPORT = "re_export"


DECISION_LABELS = {
    Decision.NO_ACTION: _l("No action"),
    Decision.WARNING: _l("Warning"),
    Decision.HOLD: _l("Hold"),
    Decision.SEIZURE: _l("Seizure"),
    Decision.RE_EXPORT: _l("Re-export"),
}


class ReadingVerdict(enum.StrEnum):
    MATCHES_LABEL = "matches_label"
    MISMATCH = "mismatch"
    CONTAMINATED = "contaminated"
    INCONCLUSIVE = "inconclusive"


VERDICT_LABELS = {
    ReadingVerdict.MATCHES_LABEL: _l("Matches the label"),
    ReadingVerdict.MISMATCH: _l("Does not match the label"),
    ReadingVerdict.CONTAMINATED: _l("Contaminated"),
    ReadingVerdict.INCONCLUSIVE: _l("Inconclusive"),
}


class CaseEventKind(enum.StrEnum):
    FINE = "fine"
    COURT_DECISION = "court_decision"
    DISPOSAL = "disposal"


CASE_EVENT_LABELS = {
    CaseEventKind.FINE: _l("Fine"),
    CaseEventKind.COURT_DECISION: _l("Court decision"),
    CaseEventKind.DISPOSAL: _l("Final disposal"),
}


class Disposal(enum.StrEnum):
    DESTRUCTION = "destruction"
    RETURN = "return"
    AUCTION = "auction"


DISPOSAL_LABELS = {
    Disposal.DESTRUCTION: _l("Destruction"),
    Disposal.RETURN: _l("Return"),
    Disposal.AUCTION: _l("Auction"),
}


class Inspection(Base):
    """One inspection: where, when, who was present, whom it concerned, and what was decided."""

    __tablename__ = "inspections"

    id: Mapped[intpk]
    client_id: Mapped[str] = mapped_column(CLIENT_ID, unique=True, comment="UUID made by the client (offline sync)")
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), index=True)
    inspector_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    inspector_label: Mapped[str255]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True, comment="When the inspection began")
    place_kind: Mapped[PlaceKind] = mapped_column(enum_type(PlaceKind, 16))
    place: Mapped[str255 | None] = mapped_column(comment="Address, market and stall, shop or warehouse")
    border_post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("focal_points.id"), index=True)
    vehicle_number: Mapped[str64 | None] = mapped_column(comment="Vehicle registration or container number")
    officers: Mapped[str] = mapped_column(sa.Text, comment="Officers present, as written")
    subject_kind: Mapped[SubjectKind] = mapped_column(enum_type(SubjectKind, 16))
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    technician_id: Mapped[int | None] = mapped_column(sa.ForeignKey("technicians.id"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shipments.id"), index=True,
                                                    comment="The recorded shipment inspected")
    shipment_ref: Mapped[str120 | None] = mapped_column(
        comment="A shipment with no customs declaration recorded (goods found undeclared): as described")
    person_details: Mapped[str | None] = mapped_column(sa.Text, comment="An unknown person: the details given")
    foreign_country: Mapped[str2 | None] = mapped_column(comment="Exporter's or consignor's country, if foreign")
    notes: Mapped[str | None] = mapped_column(sa.Text)
    decision: Mapped[Decision | None] = mapped_column(enum_type(Decision, 16))
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]

    border_post: Mapped[FocalPoint | None] = relationship()
    company: Mapped[Company | None] = relationship()
    technician: Mapped[Technician | None] = relationship()
    shipment: Mapped[Shipment | None] = relationship()
    certificates: Mapped[list[CertificateCheck]] = relationship(order_by="CertificateCheck.id", viewonly=True)
    cylinders: Mapped[list[CylinderCheck]] = relationship(order_by="CylinderCheck.id", viewonly=True)
    photos: Mapped[list[Photo]] = relationship(order_by="Photo.id", viewonly=True)
    seizure: Mapped[Seizure | None] = relationship(viewonly=True, uselist=False)

    __table_args__ = (
        sa.CheckConstraint("subject_kind <> 'company' OR company_id IS NOT NULL", name="company_named"),
        sa.CheckConstraint("subject_kind <> 'technician' OR technician_id IS NOT NULL", name="technician_named"),
        sa.CheckConstraint("place_kind <> 'border_post' OR border_post_id IS NOT NULL", name="border_post_named"),
        sa.CheckConstraint("subject_kind <> 'shipment' OR shipment_id IS NOT NULL OR shipment_ref IS NOT NULL",
                           name="shipment_named"),
        sa.CheckConstraint("(decision IS NULL) = (decided_at IS NULL)", name="decision_dated"),
    )


class CertificateCheck(Base):
    """A certificate checked during the inspection, linked to its scan log entry when there is one."""

    __tablename__ = "inspection_certificates"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(CLIENT_ID, unique=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("inspections.id"), index=True)
    scan_id: Mapped[int | None] = mapped_column(BIGINT, sa.ForeignKey("certificate_scans.id", ondelete="SET NULL"))
    number: Mapped[str32] = mapped_column(comment="The certificate number as read")
    verdict: Mapped[str32] = mapped_column(comment="The register's verdict then (valid, suspended, unknown, ...)")
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[created_at]


class CylinderCheck(Base):
    """A cylinder scanned or typed: its label as read, the register's answer, and an identifier reading."""

    __tablename__ = "inspection_cylinders"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(CLIENT_ID, unique=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("inspections.id"), index=True)
    cylinder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cylinders.id"), index=True,
                                                    comment="The registered cylinder, when the serial is known")
    label_serial: Mapped[str64 | None] = mapped_column(comment="Serial as read from the label")
    label_substance: Mapped[str32] = mapped_column(comment="Substance the label declares (catalogue code)")
    register_answer: Mapped[str] = mapped_column(sa.String(32), comment="registered | unknown | substance_differs")
    register_substance: Mapped[str32 | None] = mapped_column(comment="What the register says it holds")
    origin_country: Mapped[str2 | None] = mapped_column(comment="Country of origin on the label")
    # the identifier reading (all null when none was taken)
    instrument_model: Mapped[str120 | None]
    instrument_serial: Mapped[str64 | None]
    calibration_date: Mapped[date | None]
    r12_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    r22_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    r134a_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    hydrocarbons_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    air_percent: Mapped[Decimal | None] = mapped_column(PERCENT, comment="Air and non-condensables")
    instrument_verdict: Mapped[str64 | None] = mapped_column(comment="The purity verdict the instrument shows")
    verdict: Mapped[ReadingVerdict | None] = mapped_column(enum_type(ReadingVerdict, 16),
                                                           comment="What certreg derives (see readings.py)")
    found_substance: Mapped[str32 | None] = mapped_column(comment="The substance the reading shows, if one")
    net_kg: Mapped[Decimal | None] = mapped_column(KILOGRAMS, comment="Contents weighed or as labelled, kg")
    created_at: Mapped[created_at]

    cylinder: Mapped[Cylinder | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("(verdict IS NULL) = (instrument_model IS NULL)", name="reading_has_instrument"),
    )


class Photo(Base):
    """A photo (label, stamp, document); the image is a file under ``INSPECTION_PHOTOS_DIR``."""

    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(CLIENT_ID, unique=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("inspections.id"), index=True)
    caption: Mapped[str255 | None]
    media_type: Mapped[str32] = mapped_column(comment="image/jpeg | image/png | image/webp")
    size_bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    sha256: Mapped[str64] = mapped_column(comment="Hex digest of the stored file")
    stored_name: Mapped[str120] = mapped_column(unique=True, comment="File name under INSPECTION_PHOTOS_DIR")
    created_at: Mapped[created_at]


class Seizure(Base):
    """The goods seized at an inspection, where they are kept, and the case that followed."""

    __tablename__ = "seizures"

    id: Mapped[intpk]
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("inspections.id"), unique=True)
    storage_place: Mapped[str255]
    seized_on: Mapped[date]
    created_at: Mapped[created_at]

    inspection: Mapped[Inspection] = relationship(viewonly=True)
    goods: Mapped[list[SeizedGoods]] = relationship(order_by="SeizedGoods.id", viewonly=True)
    handovers: Mapped[list[CustodyHandover]] = relationship(order_by="CustodyHandover.id", viewonly=True)
    case_events: Mapped[list[CaseEvent]] = relationship(order_by="CaseEvent.id", viewonly=True)


class SeizedGoods(Base):
    """One substance seized: kilograms and cylinders, and the authority's logbook entry that took it out of
    the holder's stock (when the holder is registered and had it in its books)."""

    __tablename__ = "seized_goods"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    seizure_id: Mapped[int] = mapped_column(sa.ForeignKey("seizures.id"), index=True)
    substance_code: Mapped[str32] = mapped_column(sa.ForeignKey("substances.code"))
    kg: Mapped[Decimal] = mapped_column(KILOGRAMS)
    cylinders: Mapped[int] = mapped_column(comment="Number of cylinders or containers")
    serials: Mapped[str | None] = mapped_column(sa.Text, comment="Registered serials, comma-separated")
    entry_id: Mapped[int | None] = mapped_column(BIGINT, sa.ForeignKey("logbook_entries.id"),
                                                 comment="The authority's adjustment in the holder's logbook")

    __table_args__ = (sa.CheckConstraint("kg > 0", name="kg_positive"),
                      sa.CheckConstraint("cylinders >= 0", name="cylinders_not_negative"))


class CustodyHandover(Base):
    """One handover of seized goods (append-only evidence chain).

    ``chain_hash`` = SHA-256 hex of the previous handover's ``chain_hash`` (or 64 zeros) and this
    handover's canonical JSON (see :func:`certreg.inspections.seizures.chain_hash`).
    """

    __tablename__ = "seizure_custody"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(CLIENT_ID, unique=True)
    seizure_id: Mapped[int] = mapped_column(sa.ForeignKey("seizures.id"), index=True)
    handed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    from_party: Mapped[str255]
    to_party: Mapped[str255]
    place: Mapped[str255]
    note: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by_label: Mapped[str255]
    chain_hash: Mapped[str64]
    created_at: Mapped[created_at]


class CaseEvent(Base):
    """A step of the case: a fine, a court decision, the final disposal."""

    __tablename__ = "seizure_case_events"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(CLIENT_ID, unique=True)
    seizure_id: Mapped[int] = mapped_column(sa.ForeignKey("seizures.id"), index=True)
    kind: Mapped[CaseEventKind] = mapped_column(enum_type(CaseEventKind, 16))
    happened_on: Mapped[date]
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2), comment="Fines: the amount")
    currency: Mapped[str | None] = mapped_column(sa.String(3), comment="Fines: ISO 4217")
    disposal: Mapped[Disposal | None] = mapped_column(enum_type(Disposal, 16))
    reference: Mapped[str120 | None] = mapped_column(comment="Decision or court case number")
    text: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by_label: Mapped[str255]
    created_at: Mapped[created_at]

    __table_args__ = (
        sa.CheckConstraint("kind <> 'fine' OR (amount IS NOT NULL AND currency IS NOT NULL)", name="fine_amount"),
        sa.CheckConstraint("(kind = 'disposal') = (disposal IS NOT NULL)", name="disposal_named"),
    )


class SeizureAlert(Base):
    """A seizure abroad, told by a peer installation (``seizure-alert``, :mod:`certreg.inspections.alerts`): goods
    of one of this installation's countries seized by another country. Listed in the ministry's anomalies
    (``seizure_abroad``) against the holder of the cylinders, or the country when none is known."""

    __tablename__ = "seizure_alerts"

    id: Mapped[intpk]
    sender_url: Mapped[str255] = mapped_column(comment="The sending installation's base URL")
    sender_name: Mapped[str] = mapped_column(sa.String(80), comment="The peer's name here")
    reference: Mapped[str120] = mapped_column(comment="The seizure's reference at the sender")
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), index=True,
                                               comment="This installation's country the goods belong to")
    seizing_country: Mapped[str2]
    seized_on: Mapped[date]
    place: Mapped[str255] = mapped_column(comment="Border post or place of the seizure, as sent")
    origin_country: Mapped[str2 | None] = mapped_column(comment="Alleged origin or exporting country")
    kg: Mapped[Decimal] = mapped_column(KILOGRAMS, comment="Kilograms seized in total")
    serials: Mapped[list[Any]] = mapped_column(sa.JSON(), comment="National serials of the cylinders")
    goods: Mapped[list[Any]] = mapped_column(sa.JSON(), comment="Per substance: substance, kg, cylinders, serials")
    logbook_id: Mapped[int | None] = mapped_column(sa.ForeignKey("logbooks.id"), index=True,
                                                   comment="The holder of the cylinders, when registered here")
    received_at: Mapped[created_at]

    __table_args__ = (sa.UniqueConstraint("sender_url", "reference"),
                      sa.CheckConstraint("kg >= 0", name="kg_not_negative"))
