"""The audit log: one row per regulated change, and one per view of a person's national ID number and
date of birth; never updated or deleted."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from certreg.db import Base, created_at, intpk, str2, str64, str120, str255


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    at: Mapped[created_at] = mapped_column(index=True)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_label: Mapped[str255] = mapped_column(comment="E-mail of the user, or cli:<os user> for commands")
    country_code: Mapped[str2 | None] = mapped_column(sa.ForeignKey("countries.code"), index=True)
    action: Mapped[str64] = mapped_column(index=True, comment="<object>.<verb>, e.g. technician.create")
    object_type: Mapped[str64]
    object_id: Mapped[str120 | None]
    summary: Mapped[str255] = mapped_column(comment="In English, for search and export")
    summary_msgid: Mapped[str | None] = mapped_column(
        sa.Text, comment="The summary's translatable message (shown in the reader's language), if any")
    summary_params: Mapped[dict[str, Any] | None] = mapped_column(comment="The message's values")
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_audit_entries_object", "object_type", "object_id"),)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.object_type}:{self.object_id}>"


class PersonalDataAccess(Base):
    """One view of technicians' national ID numbers and dates of birth (a page, an API answer, an export)."""

    __tablename__ = "personal_data_access"

    id: Mapped[intpk]
    at: Mapped[created_at] = mapped_column(index=True)
    viewer_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    viewer_label: Mapped[str255] = mapped_column(comment="The viewer's e-mail or cli:<user>, kept if the account goes")
    technician_id: Mapped[int] = mapped_column(sa.ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    surface: Mapped[str] = mapped_column(sa.String(16), comment="web, api or export")
    what: Mapped[str] = mapped_column(sa.String(64), comment="Which fields were shown, e.g. national_id,date_of_birth")
