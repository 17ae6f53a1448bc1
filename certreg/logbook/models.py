"""Logbooks, their entries, stock balances, the Merkle log, counterparts and refusals (equipment:
:mod:`certreg.logbook.equipment_models`, re-exported here).

Entries (``logbook_entries`` and their cylinders) and signed checkpoints are append-only:
database triggers refuse UPDATE and DELETE on both databases (migration 0004). Every
other table here holds state derived from the entries (balances, the log head) or
workflow state that is not itself a logbook record (counterpart confirmations, equipment).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certreg.countries.models import (  # noqa: F401 - the country's settings, once here; importable here still
    USED_ODS_SALES_LABELS,
    CountrySettings,
    UsedOdsSales,
)
from certreg.db import KILOGRAMS, Base, created_at, enum_type, intpk, str2, str64, str255, timestamp
from certreg.logbook.equipment_models import (  # noqa: F401 - the equipment register's models, importable here too
    EQUIPMENT_KIND_LABELS,
    EQUIPMENT_MENU_LABEL,
    INTERVENTION_KIND_LABELS,
    LEAK_CHECK_RESULT_LABELS,
    Equipment,
    EquipmentKind,
    Intervention,
    InterventionKind,
    LeakCheckResult,
    OwnerKind,
)
from certreg.registry.models import Company, Technician
from certreg.substances.models import Substance
from certreg.vocabulary import HolderKind


def _named(enum: sa.Enum, name: str) -> sa.Enum:
    """The same enum type under another name (two enum columns of one table need distinct CHECK names)."""
    enum.name = name
    return enum


BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")
HASH = sa.LargeBinary(32)



class EntryKind(enum.StrEnum):
    IMPORT = "import"
    EXPORT = "export"
    PURCHASE = "purchase"
    SALE = "sale"
    CHARGE = "charge"
    RECOVERY = "recovery"
    RECYCLING = "recycling"
    RECLAMATION = "reclamation"
    SENT_FOR_DESTRUCTION = "sent_for_destruction"
    DESTROYED = "destroyed"
    STOCK_COUNT = "stock_count"
    REVERSAL = "reversal"
    PRODUCTION = "production"  # by a producer (Article 1(5)); new substance enters its stock
    FEEDSTOCK_USE = "feedstock_use"  # entirely used up as feedstock in making other chemicals
    QPS_USE = "qps_use"  # methyl bromide used for quarantine and pre-shipment (Article 2H, outside consumption)
    EXEMPTED_USE = "exempted_use"  # essential, critical, laboratory and analytical use, under a decision


ENTRY_KIND_LABELS = {
    EntryKind.IMPORT: _l("Import"),
    EntryKind.EXPORT: _l("Export"),
    EntryKind.PURCHASE: _l("Purchase"),
    EntryKind.SALE: _l("Sale"),
    EntryKind.CHARGE: _l("Charge into equipment"),
    EntryKind.RECOVERY: _l("Recovery from equipment"),
    EntryKind.RECYCLING: _l("Recycling"),
    EntryKind.RECLAMATION: _l("Reclamation"),
    EntryKind.SENT_FOR_DESTRUCTION: _l("Sent for destruction"),
    EntryKind.DESTROYED: _l("Destroyed"),
    EntryKind.STOCK_COUNT: _l("Stock count"),
    EntryKind.REVERSAL: _l("Reversal"),
    EntryKind.PRODUCTION: _l("Production"),
    EntryKind.FEEDSTOCK_USE: _l("Feedstock use"),
    EntryKind.QPS_USE: _l("Quarantine and pre-shipment use (methyl bromide)"),
    EntryKind.EXEMPTED_USE: _l("Exempted use (essential, critical, laboratory)"),
}


class Condition(enum.StrEnum):
    VIRGIN = "virgin"
    RECOVERED = "recovered"
    RECYCLED = "recycled"
    RECLAIMED = "reclaimed"


CONDITION_LABELS = {
    Condition.VIRGIN: _l("Virgin (new)"),
    Condition.RECOVERED: _l("Recovered"),
    Condition.RECYCLED: _l("Recycled"),
    Condition.RECLAIMED: _l("Reclaimed"),
}
USED_CONDITIONS = frozenset({Condition.RECOVERED, Condition.RECYCLED, Condition.RECLAIMED})


class ExemptedUse(enum.StrEnum):
    """A use the Protocol exempts from the phase-out (or keeps outside consumption); see countries/data/SOURCES.md."""

    FEEDSTOCK = "feedstock"
    PROCESS_AGENT = "process_agent"
    LABORATORY = "laboratory"  # laboratory and analytical uses
    ESSENTIAL_USE = "essential_use"
    CRITICAL_USE = "critical_use"  # methyl bromide
    QUARANTINE = "quarantine"  # methyl bromide for quarantine and pre-shipment


EXEMPTED_USE_LABELS = {
    ExemptedUse.FEEDSTOCK: _l("Feedstock"),
    ExemptedUse.PROCESS_AGENT: _l("Process agent"),
    ExemptedUse.LABORATORY: _l("Laboratory and analytical use"),
    ExemptedUse.ESSENTIAL_USE: _l("Essential use"),
    ExemptedUse.CRITICAL_USE: _l("Critical use (methyl bromide)"),
    ExemptedUse.QUARANTINE: _l("Quarantine and pre-shipment (methyl bromide)"),
}
#: Exempted uses that exist only for some control groups (the others: for any group).
EXEMPTED_USE_GROUPS = {ExemptedUse.CRITICAL_USE: frozenset({"E/I"}), ExemptedUse.QUARANTINE: frozenset({"E/I"})}


class Direction(enum.StrEnum):
    """Of a stock count: ``in`` when more was counted than the books showed, ``out`` when less."""

    IN = "in"
    OUT = "out"


class Channel(enum.StrEnum):
    WEB = "web"
    API = "api"
    CSV = "csv"
    CLI = "cli"


class Logbook(Base):
    """The logbook of one holder: a company or a technician (created on its first entry)."""

    __tablename__ = "logbooks"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), index=True,
                                               comment="The holder's country: whose Merkle log its entries join")
    holder_kind: Mapped[HolderKind] = mapped_column(enum_type(HolderKind, 16))
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), unique=True)
    technician_id: Mapped[int | None] = mapped_column(sa.ForeignKey("technicians.id"), unique=True)
    created_at: Mapped[created_at]

    company: Mapped[Company | None] = relationship()
    technician: Mapped[Technician | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(holder_kind = 'company' AND company_id IS NOT NULL AND technician_id IS NULL) OR "
            "(holder_kind = 'technician' AND technician_id IS NOT NULL AND company_id IS NULL)",
            name="one_holder",
        ),
        # What an entry's (logbook, country) key points at (0016ck).
        sa.Index("uq_logbooks_id_country_code", "id", "country_code", unique=True),
    )

    @property
    def holder_id(self) -> int:
        return self.company_id if self.holder_kind is HolderKind.COMPANY else self.technician_id

    @property
    def holder(self) -> Company | Technician:
        return self.company if self.holder_kind is HolderKind.COMPANY else self.technician

    @property
    def display_name(self) -> str:
        return self.holder.display_name


class Entry(Base):
    """One line of a logbook. Never updated or deleted: a mistake is corrected by a reversal entry.

    ``seq`` is the entry's position (leaf index, from 0) in its country's Merkle log;
    ``leaf_hash`` = SHA-256(0x00 || canonical form) (see :mod:`certreg.logbook.canonical`);
    ``mac`` = HMAC-SHA256 of (country, seq, leaf_hash) under ``LOGBOOK_MAC_KEY``.
    """

    __tablename__ = "logbook_entries"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    # The logbook's country (one key with logbook_id: below); the logbook's own key points at countries.
    country_code: Mapped[str2] = mapped_column()
    seq: Mapped[int] = mapped_column(sa.BigInteger, comment="Leaf index in the country's Merkle log, from 0")
    logbook_id: Mapped[int] = mapped_column()
    kind: Mapped[EntryKind] = mapped_column(enum_type(EntryKind))
    operation_date: Mapped[date] = mapped_column(comment="Date of the operation (not of the recording)")
    substance_code: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("substances.code"))
    quantity: Mapped[Decimal] = mapped_column(KILOGRAMS, comment="kg, three decimals (grams), > 0")
    condition: Mapped[Condition] = mapped_column(enum_type(Condition, 16))
    from_condition: Mapped[Condition | None] = mapped_column(
        _named(enum_type(Condition, 16), "from_condition"),
        comment="Recycling/reclamation: the condition the gas had before",
    )
    direction: Mapped[Direction | None] = mapped_column(enum_type(Direction, 8), comment="Stock counts only")
    counted_quantity: Mapped[Decimal | None] = mapped_column(KILOGRAMS, comment="Stock counts: kg counted")
    book_quantity: Mapped[Decimal | None] = mapped_column(KILOGRAMS, comment="Stock counts: kg in the books before")
    equipment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("equipment.id"))
    intervention_id: Mapped[int | None] = mapped_column(sa.ForeignKey("equipment_interventions.id"))
    counterparty_name: Mapped[str255 | None]
    counterparty_country: Mapped[str2 | None]
    counterparty_logbook_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("logbooks.id"), comment="The counterparty, when it is a registered holder")
    buyer_certificate: Mapped[str64 | None] = mapped_column(comment="Sales: the buyer's certificate number as checked")
    document_numbers: Mapped[str255 | None] = mapped_column(comment="Invoice, waybill and other document numbers")
    import_licence: Mapped[str64 | None]
    customs_declaration: Mapped[str64 | None]
    origin_country: Mapped[str2 | None]
    exporter_name: Mapped[str255 | None]
    export_licence: Mapped[str64 | None]
    destination_country: Mapped[str2 | None]
    reverses_id: Mapped[int | None] = mapped_column(BIGINT, sa.ForeignKey("logbook_entries.id"))
    counterpart_of_id: Mapped[int | None] = mapped_column(
        BIGINT, sa.ForeignKey("logbook_entries.id"), comment="A confirmed purchase/import: the sale/export it answers"
    )
    reason: Mapped[str | None] = mapped_column(sa.Text, comment="Reversals and stock counts: why")
    note: Mapped[str | None] = mapped_column(sa.Text)
    exempted_use: Mapped[ExemptedUse | None] = mapped_column(
        enum_type(ExemptedUse, 16), comment="Trade for a use exempted from the phase-out (feedstock, process agent...)"
    )
    exemption_reference: Mapped[str64 | None] = mapped_column(comment="The decision or licence granting the exemption")
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, 8))
    import_id: Mapped[int | None] = mapped_column(sa.ForeignKey("logbook_imports.id"))
    recorded_at: Mapped[timestamp]
    recorded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_by_label: Mapped[str255]
    leaf_hash: Mapped[bytes] = mapped_column(HASH)
    mac: Mapped[bytes] = mapped_column(HASH)

    logbook: Mapped[Logbook] = relationship(primaryjoin="Entry.logbook_id == Logbook.id",
                                            foreign_keys=[logbook_id])  # the id alone names it
    substance: Mapped[Substance] = relationship()
    counterparty_logbook: Mapped[Logbook | None] = relationship(foreign_keys=[counterparty_logbook_id])
    equipment: Mapped[Equipment | None] = relationship(foreign_keys=[equipment_id])
    cylinder_rows: Mapped[list[EntryCylinder]] = relationship(order_by="EntryCylinder.position", viewonly=True)
    reverses: Mapped[Entry | None] = relationship(remote_side=[id], foreign_keys=[reverses_id])

    __table_args__ = (
        # One key for the logbook and its country: an entry is always of its logbook's country, and the import's
        # rows pay one look-up instead of two (bench/composite_fk.py: 0.69x on PostgreSQL).
        sa.ForeignKeyConstraint(["logbook_id", "country_code"], ["logbooks.id", "logbooks.country_code"]),
        sa.UniqueConstraint("country_code", "seq"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("seq >= 0", name="seq_not_negative"),
        sa.CheckConstraint("(kind = 'stock_count') = (direction IS NOT NULL) OR kind = 'reversal'",
                           name="direction_for_stock_counts"),
        sa.CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_references_original"),
        sa.CheckConstraint("exempted_use IS NOT NULL OR exemption_reference IS NULL",
                           name="exemption_reference_has_use"),
        sa.CheckConstraint("kind <> 'reversal' OR reason IS NOT NULL", name="reversal_has_reason"),
        sa.CheckConstraint(
            "kind <> 'import' OR (import_licence IS NOT NULL AND customs_declaration IS NOT NULL "
            "AND origin_country IS NOT NULL AND exporter_name IS NOT NULL)",
            name="import_has_proof_of_origin",
        ),
        sa.Index("ix_logbook_entries_logbook_date", "logbook_id", "operation_date"),
        # The audit trail lists a country's entries newest first, with the audit entries (certreg.audit).
        sa.Index("ix_logbook_entries_country_recorded_at", "country_code", "recorded_at"),
        # Most entries name no equipment or registered counterparty: partial indexes keep appends cheap.
        *(sa.Index(f"ix_logbook_entries_{column}", column, sqlite_where=sa.text(f"{column} IS NOT NULL"),
                   postgresql_where=sa.text(f"{column} IS NOT NULL"))
          for column in ("equipment_id", "intervention_id", "counterparty_logbook_id")),
        # An entry is reversed at most once; a sale/export has at most one confirmed counterpart.
        sa.Index("uq_logbook_entries_reverses", "reverses_id", unique=True,
                 sqlite_where=sa.text("reverses_id IS NOT NULL"), postgresql_where=sa.text("reverses_id IS NOT NULL")),
        sa.Index("uq_logbook_entries_counterpart_of", "counterpart_of_id", unique=True,
                 sqlite_where=sa.text("counterpart_of_id IS NOT NULL"),
                 postgresql_where=sa.text("counterpart_of_id IS NOT NULL")),
    )

    @property
    def cylinders(self) -> list[str]:
        return [c.serial for c in self.cylinder_rows]


class EntryCylinder(Base):
    """A cylinder serial number named by an entry (append-only, like the entry)."""

    __tablename__ = "logbook_entry_cylinders"

    entry_id: Mapped[int] = mapped_column(BIGINT, sa.ForeignKey("logbook_entries.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str64] = mapped_column(index=True)


class Balance(Base):
    """Current stock of one holder, substance and condition, kept in the same transaction as each entry."""

    __tablename__ = "logbook_balances"

    logbook_id: Mapped[int] = mapped_column(sa.ForeignKey("logbooks.id"), primary_key=True)
    substance_code: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("substances.code"), primary_key=True)
    condition: Mapped[Condition] = mapped_column(enum_type(Condition, 16), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(KILOGRAMS, default=Decimal("0.000"), server_default="0")
    last_entry_id: Mapped[int | None] = mapped_column(BIGINT)
    updated_at: Mapped[created_at]

    substance: Mapped[Substance] = relationship()

    __table_args__ = (sa.CheckConstraint("quantity >= 0", name="never_negative"),)


class MerkleLog(Base):
    """The head of a country's Merkle log: its size and compact frontier (RFC 9162 tree, SHA-256).

    ``frontier`` is the concatenation of the 32-byte roots of the maximal perfect subtrees,
    left (largest) to right; with ``size`` it is all an append needs, and folding it gives
    the root. Locked (``SELECT ... FOR UPDATE``) by every transaction that appends.
    """

    __tablename__ = "logbook_logs"

    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), primary_key=True)
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    frontier: Mapped[bytes] = mapped_column(sa.LargeBinary, default=b"")
    root_hash: Mapped[bytes] = mapped_column(HASH)
    updated_at: Mapped[created_at]
    checkpoint_size: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0",
                                                 comment="Tree size at the latest signed checkpoint")
    checkpoint_at: Mapped[datetime | None]


class LogNode(Base):
    """A perfect subtree of a country's log: leaves ``position * 2**level`` to ``(position + 1) * 2**level - 1``.

    Written by the append that completes it (``level >= merkle.NODE_LEVEL``), so an inclusion
    proof needs stored nodes and a few thousand leaves, not the whole log. Derived data: a
    changed node can only make a proof fail to verify against the signed root; ``flask logbook
    verify`` recomputes and compares them.
    """

    __tablename__ = "logbook_log_nodes"

    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"), primary_key=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(HASH)


class Checkpoint(Base):
    """A signed statement of a country's log: tree size and root hash (see :mod:`certreg.logbook.checkpoint_format`)."""

    __tablename__ = "logbook_checkpoints"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"))
    tree_size: Mapped[int] = mapped_column(sa.BigInteger)
    root_hash: Mapped[bytes] = mapped_column(HASH)
    signed_at: Mapped[timestamp]
    kid: Mapped[str] = mapped_column(sa.String(16), comment="Key id of the national signing key (JWKS kid)")
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary(64), comment="ES256 r || s over the note body")
    text: Mapped[str] = mapped_column(sa.Text, comment="The signed note exactly as published")

    __table_args__ = (sa.UniqueConstraint("country_code", "tree_size"),)


class TransferKind(enum.StrEnum):
    SALE = "sale"  # the counterpart is a purchase
    EXPORT = "export"  # the counterpart is an import


class TransferStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    CANCELLED = "cancelled"


TRANSFER_STATUS_LABELS = {
    TransferStatus.PENDING: _l("Awaiting confirmation"),
    TransferStatus.CONFIRMED: _l("Confirmed"),
    TransferStatus.DISPUTED: _l("Disputed"),
    TransferStatus.CANCELLED: _l("Cancelled (the sale was reversed)"),
}


class Transfer(Base):
    """A sale or export to a registered holder, awaiting the counterpart's word.

    The receiving holder confirms (a purchase or import entry is then appended to their
    logbook, referencing the sale/export) or disputes it (nothing enters their stock).
    """

    __tablename__ = "logbook_transfers"

    id: Mapped[intpk]
    kind: Mapped[TransferKind] = mapped_column(enum_type(TransferKind, 16))
    origin_entry_id: Mapped[int] = mapped_column(BIGINT, sa.ForeignKey("logbook_entries.id"), unique=True)
    from_logbook_id: Mapped[int] = mapped_column(sa.ForeignKey("logbooks.id"), index=True)
    to_logbook_id: Mapped[int] = mapped_column(sa.ForeignKey("logbooks.id"))
    status: Mapped[TransferStatus] = mapped_column(enum_type(TransferStatus, 16))
    created_at: Mapped[created_at]
    responded_at: Mapped[timestamp | None]
    responded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    responded_by_label: Mapped[str255 | None]
    response_note: Mapped[str | None] = mapped_column(sa.Text, comment="The reason given for a dispute")
    counterpart_entry_id: Mapped[int | None] = mapped_column(BIGINT, sa.ForeignKey("logbook_entries.id"), unique=True)

    origin_entry: Mapped[Entry] = relationship(foreign_keys=[origin_entry_id])
    counterpart_entry: Mapped[Entry | None] = relationship(foreign_keys=[counterpart_entry_id])
    from_logbook: Mapped[Logbook] = relationship(foreign_keys=[from_logbook_id])
    to_logbook: Mapped[Logbook] = relationship(foreign_keys=[to_logbook_id])

    __table_args__ = (
        sa.Index("ix_logbook_transfers_to_status", "to_logbook_id", "status"),
        sa.CheckConstraint("(status = 'confirmed') = (counterpart_entry_id IS NOT NULL)",
                           name="confirmed_has_counterpart"),
    )


class Refusal(Base):
    """An attempt the rules refused (who tried what, and why), for the ministry's anomaly view.

    Written after the refused transaction is rolled back, in a transaction of its own, so
    the record survives. ``details`` holds the attempted input as given (JSON).
    """

    __tablename__ = "logbook_refusals"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    at: Mapped[created_at]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"))
    logbook_id: Mapped[int | None] = mapped_column(sa.ForeignKey("logbooks.id"), index=True,
                                                   comment="The holder who attempted it")
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_label: Mapped[str255]
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, 8))
    kind: Mapped[EntryKind | None] = mapped_column(enum_type(EntryKind))
    substance_code: Mapped[str | None] = mapped_column(sa.String(32))
    quantity: Mapped[Decimal | None] = mapped_column(KILOGRAMS)
    condition: Mapped[Condition | None] = mapped_column(enum_type(Condition, 16))
    operation_date: Mapped[date | None]
    buyer_certificate: Mapped[str64 | None]
    buyer_logbook_id: Mapped[int | None] = mapped_column(sa.ForeignKey("logbooks.id"))
    code: Mapped[str64] = mapped_column(index=True, comment="The rule's stable refusal code")
    field: Mapped[str64 | None]
    message: Mapped[str] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any] | None]

    logbook: Mapped[Logbook | None] = relationship(foreign_keys=[logbook_id])

    __table_args__ = (sa.Index("ix_logbook_refusals_country_at", "country_code", "at"),)


class ImportBatch(Base):
    """One CSV file imported into a logbook (all its lines or none)."""

    __tablename__ = "logbook_imports"

    id: Mapped[intpk]
    logbook_id: Mapped[int] = mapped_column(sa.ForeignKey("logbooks.id"), index=True)
    filename: Mapped[str255]
    sha256: Mapped[str64] = mapped_column(comment="Of the file's bytes; the same file is not imported twice")
    line_count: Mapped[int]
    created_at: Mapped[created_at]
    created_by_label: Mapped[str255]

    __table_args__ = (sa.UniqueConstraint("logbook_id", "sha256"),)
