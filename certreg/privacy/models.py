"""The log of who viewed a person's national ID number and date of birth."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from certreg.db import Base, created_at, intpk, str255


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
