"""What the reports keep: reviews of anomalies, and the results of tamper checks of the logs.

Everything else the reports show is computed from the logbooks when asked for.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certreg.db import Base, created_at, enum_type, intpk, str2, str64, str255

if TYPE_CHECKING:
    from certreg.auth.models import User


class AnomalyKind(enum.StrEnum):
    TAMPER = "tamper"
    IMPORT_WITHOUT_PROOF = "import_without_proof"
    USED_WITHOUT_SOURCE = "used_without_source"
    MASS_BALANCE = "mass_balance"
    IMPORT_SURGE = "import_surge"
    REFUSED_ATTEMPTS = "refused_attempts"
    UNCONFIRMED_TRANSFER = "unconfirmed_transfer"
    CHRONIC_LEAKER = "chronic_leaker"
    LATE_ENTRY = "late_entry"
    INSPECTION_FINDING = "inspection_finding"  # certreg.reports.inspection_findings
    SEIZURE_ABROAD = "seizure_abroad"  # a peer installation's seizure alert (certreg.reports.inspection_findings)
    # cylinders (certreg.reports.cylinder_anomalies)
    CLOSED_CYLINDER_SCANNED = "closed_cylinder_scanned"
    NON_REFILLABLE_REFILL = "non_refillable_refill"
    CYLINDER_IDLE = "cylinder_idle"
    CUSTODY_GAP = "custody_gap"


ANOMALY_KIND_LABELS = {
    AnomalyKind.TAMPER: _l("Logbook fails the tamper check"),
    AnomalyKind.IMPORT_WITHOUT_PROOF: _l("Import without proof of origin"),
    AnomalyKind.LATE_ENTRY: _l("Entries recorded long after their date"),
    AnomalyKind.USED_WITHOUT_SOURCE: _l("Sold as recovered or reclaimed with no recovery upstream"),
    AnomalyKind.MASS_BALANCE: _l("Mass-balance gap (stock count far from the books)"),
    AnomalyKind.IMPORT_SURGE: _l("Imports far above the importer's history"),
    AnomalyKind.REFUSED_ATTEMPTS: _l("Refused sale, import or export attempts"),
    AnomalyKind.UNCONFIRMED_TRANSFER: _l("Sale or export never confirmed, or disputed"),
    AnomalyKind.CHRONIC_LEAKER: _l("Chronic leaker (equipment topped up too often)"),
    AnomalyKind.INSPECTION_FINDING: _l("Inspection found mislabelled gas or seized goods"),
    AnomalyKind.SEIZURE_ABROAD: _l("Goods seized abroad (a neighbour's seizure alert)"),
    AnomalyKind.CLOSED_CYLINDER_SCANNED: _l("Label of an empty or destroyed cylinder scanned in circulation"),
    AnomalyKind.NON_REFILLABLE_REFILL: _l("Attempts to refill a non-refillable cylinder"),
    AnomalyKind.CYLINDER_IDLE: _l("Cylinders sold and never charged, returned or scanned"),
    AnomalyKind.CUSTODY_GAP: _l("Custody gap (a stock count misses cylinders the holder has)"),
}


class AnomalyReview(Base):
    """An anomaly an administrator reviewed, with a note (audited as ``anomaly.review``).

    ``fingerprint`` identifies the anomaly *with its evidence*: SHA-256 (hex) of its kind,
    country, holder, equipment and a digest of the evidence (count, last id, kilograms).
    New evidence gives a new fingerprint, so the anomaly is open again.
    """

    __tablename__ = "report_anomaly_reviews"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"))
    kind: Mapped[AnomalyKind] = mapped_column(enum_type(AnomalyKind))
    logbook_id: Mapped[int | None] = mapped_column(sa.ForeignKey("logbooks.id"), index=True,
                                                   comment="The holder; null for a country's log as a whole")
    equipment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("equipment.id"),
                                                     comment="Chronic leakers: the equipment")
    fingerprint: Mapped[str64] = mapped_column(unique=True)
    period_from: Mapped[date] = mapped_column(comment="The period the anomaly was found in")
    period_to: Mapped[date]
    score: Mapped[Decimal] = mapped_column(sa.Numeric(8, 1), comment="The score when reviewed")
    facts: Mapped[dict[str, Any]] = mapped_column(comment="The anomaly's figures when reviewed")
    note: Mapped[str] = mapped_column(sa.Text, comment="What the reviewer found or decided")
    reviewed_at: Mapped[created_at]
    reviewed_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_by_label: Mapped[str255]

    __table_args__ = (
        sa.Index("ix_report_anomaly_reviews_country_kind", "country_code", "kind"),
        sa.CheckConstraint("period_to >= period_from", name="period_in_order"),
    )


class LogCheck(Base):
    """One run of the tamper check (``certreg.logbook.verify``) over a country's log.

    ``report`` is the verification report (``Report.as_dict()``) whose problems also carry
    the ``logbook_id`` of the entry they name (null when the entry is gone or none is named).
    """

    __tablename__ = "report_log_checks"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"))
    checked_at: Mapped[created_at]
    entries: Mapped[int] = mapped_column(sa.BigInteger, comment="Entries read")
    ok: Mapped[bool]
    report: Mapped[dict[str, Any]]
    checked_by_label: Mapped[str255]

    __table_args__ = (sa.Index("ix_report_log_checks_country_id", "country_code", "id"),)


class ReviewState(enum.StrEnum):
    OPEN = "open"
    REVIEWED = "reviewed"
    ALL = "all"


REVIEW_STATE_LABELS = {
    ReviewState.OPEN: _l("Open"),
    ReviewState.REVIEWED: _l("Reviewed"),
    ReviewState.ALL: _l("All"),
}


class AnomalyAssignment(Base):
    """Who is to look into an anomaly. Appended: the newest row for an anomaly is the current one.

    An anomaly is named by its country, kind, logbook and equipment (its fingerprint changes with
    new evidence; the assignment stays). ``kind`` holds an :class:`AnomalyKind` value without a
    CHECK constraint, so adding a kind of anomaly does not rewrite this table.
    """

    __tablename__ = "anomaly_assignments"

    id: Mapped[intpk]
    country_code: Mapped[str2] = mapped_column(sa.ForeignKey("countries.code"))
    kind: Mapped[str] = mapped_column(sa.String(32), comment="An AnomalyKind value")
    logbook_id: Mapped[int | None] = mapped_column(sa.ForeignKey("logbooks.id"),
                                                   comment="Null: the country's log as a whole")
    equipment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("equipment.id"))
    assignee_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    assigned_at: Mapped[created_at]
    assigned_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    assigned_by_label: Mapped[str255]

    assignee: Mapped[User] = relationship(foreign_keys=[assignee_user_id], lazy="joined")

    __table_args__ = (
        sa.Index("ix_anomaly_assignments_subject", "country_code", "kind", "logbook_id", "equipment_id"),
    )
