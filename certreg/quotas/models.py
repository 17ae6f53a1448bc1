"""National baselines and the quota ledger (Montreal Protocol consumption limits, issue 13)."""

from __future__ import annotations

import enum
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from certreg.db import KILOGRAMS, Base, created_at, enum_type, intpk, str2, str255, timestamp

TONNES = sa.Numeric(30, 12)  # ODP tonnes (Annexes A, B, C, E) or CO2-eq tonnes (Annex F)


class QuotaLineKind(enum.StrEnum):
    ALLOCATION = "allocation"  # the ozone unit gives an importer quota for a year (+)
    TRANSFER_OUT = "transfer_out"  # quota moved to another importer (-)
    TRANSFER_IN = "transfer_in"  # quota received from another importer (+)
    USE = "use"  # an import entry used it (-)
    USE_REVERSAL = "use_reversal"  # that import was reversed (+)


#: Lines that are leaves of the country's Merkle log themselves; uses are derived from (and verified
#: against) the import entries, which are leaves.
SEALED_KINDS = (QuotaLineKind.ALLOCATION, QuotaLineKind.TRANSFER_OUT, QuotaLineKind.TRANSFER_IN)
USE_KINDS = (QuotaLineKind.USE, QuotaLineKind.USE_REVERSAL)
KIND_LABELS = {
    QuotaLineKind.ALLOCATION: _l("Allocation"),
    QuotaLineKind.TRANSFER_OUT: _l("Transfer to another importer"),
    QuotaLineKind.TRANSFER_IN: _l("Transfer from another importer"),
    QuotaLineKind.USE: _l("Import"),
    QuotaLineKind.USE_REVERSAL: _l("Import reversed"),
}


def _in(kinds: tuple[QuotaLineKind, ...]) -> str:
    return "(" + ", ".join(f"'{k.value}'" for k in kinds) + ")"


class QuotaBaseline(Base):
    """A country's baseline for a control group, as the administrator entered it (the schedule does the rest)."""

    __tablename__ = "quota_baselines"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"))
    control_group: Mapped[str] = mapped_column(sa.String(5), comment="A/I ... E/I, or F (all of Annex F)")
    baseline: Mapped[Decimal] = mapped_column(TONNES, comment="In the group's unit: ODP t, or CO2-eq t for F")
    unit: Mapped[str] = mapped_column(sa.String(8), comment="odp_t or co2e_t")
    source: Mapped[str255] = mapped_column(comment="Where the figure comes from (e.g. Ozone Secretariat data)")
    updated_at: Mapped[created_at]
    updated_by_label: Mapped[str255]

    __table_args__ = (
        sa.UniqueConstraint("country_code", "control_group", name="uq_quota_baselines_country_group"),
        sa.CheckConstraint("baseline >= 0", name="baseline_not_negative"),
        sa.CheckConstraint("unit IN ('odp_t', 'co2e_t')", name="unit_known"),
    )


class QuotaLine(Base):
    """One line of a country's quota ledger. Never updated (a trigger refuses it); a mistake is undone by a
    new line. ``amount`` is signed in the group's unit: what the line adds to the importer's remaining quota.

    Allocations and transfers are leaves of the country's Merkle log (``seq``, ``leaf_hash``, ``mac``;
    canonical form in :mod:`certreg.quotas.ledger`); a use names its import entry, which is a leaf.
    """

    __tablename__ = "quota_ledger"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"))
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    control_group: Mapped[str] = mapped_column(sa.String(5))
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), comment="The importer")
    kind: Mapped[QuotaLineKind] = mapped_column(enum_type(QuotaLineKind, 16))
    amount: Mapped[Decimal] = mapped_column(TONNES, comment="Signed, in unit: + allocation/transfer in/reversal")
    unit: Mapped[str] = mapped_column(sa.String(8))
    kg: Mapped[Decimal | None] = mapped_column(KILOGRAMS, comment="Uses: kilograms of the group's substances")
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("logbook_entries.id"),
                                                 comment="Uses: the import entry")
    counterpart_company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"),
                                                               comment="Transfers: the other importer")
    reason: Mapped[str | None] = mapped_column(sa.Text)
    seq: Mapped[int | None] = mapped_column(sa.BigInteger, comment="Sealed lines: leaf index in the country's log")
    leaf_hash: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    mac: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    recorded_at: Mapped[timestamp]
    recorded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_by_label: Mapped[str255]

    __table_args__ = (
        sa.UniqueConstraint("country_code", "seq", name="uq_quota_ledger_country_seq"),
        sa.UniqueConstraint("entry_id", "control_group", "kind", name="uq_quota_ledger_entry_group_kind"),
        sa.Index("ix_quota_ledger_account", "country_code", "year", "control_group", "company_id"),
        sa.CheckConstraint("year BETWEEN 1989 AND 2200", name="year_in_range"),
        sa.CheckConstraint("unit IN ('odp_t', 'co2e_t')", name="unit_known"),
        sa.CheckConstraint(
            f"(kind IN {_in((QuotaLineKind.ALLOCATION, QuotaLineKind.TRANSFER_IN, QuotaLineKind.USE_REVERSAL))}"
            f" AND amount > 0) OR (kind IN {_in((QuotaLineKind.TRANSFER_OUT, QuotaLineKind.USE))} AND amount < 0)",
            name="amount_sign"),
        sa.CheckConstraint(f"kind IN {_in(USE_KINDS)} OR (seq IS NOT NULL AND leaf_hash IS NOT NULL AND "
                           "mac IS NOT NULL)", name="sealed"),
        sa.CheckConstraint(f"kind NOT IN {_in(USE_KINDS)} OR (entry_id IS NOT NULL AND kg IS NOT NULL)",
                           name="use_names_entry"),
        sa.CheckConstraint(f"kind NOT IN {_in((QuotaLineKind.TRANSFER_OUT, QuotaLineKind.TRANSFER_IN))} OR "
                           "(counterpart_company_id IS NOT NULL AND counterpart_company_id <> company_id)",
                           name="transfer_names_other_importer"),
    )

