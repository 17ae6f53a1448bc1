"""The audit trail: one row per regulated change, never updated or deleted."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from certreg.db import Base, created_at, str2, str64, str120, str255


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


