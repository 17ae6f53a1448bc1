"""Write and read the audit trail."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.extensions import db

logger = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return value


def record(
    actor: Actor,
    action: str,
    obj: Any | None = None,
    *,
    object_type: str | None = None,
    object_id: Any | None = None,
    country_code: str | None = None,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Add an audit entry in the current transaction (it is committed, or rolled back, with the change)."""
    if obj is not None:
        obj = getattr(obj, "_get_current_object", lambda: obj)()
        object_type = object_type or type(obj).__tablename__.removesuffix("s")
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        country_code = country_code or getattr(obj, "country_code", None)
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in changed}
        after = {k: after.get(k) for k in changed}
    entry = AuditEntry(
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        country_code=country_code,
        action=action,
        object_type=object_type or "",
        object_id=None if object_id is None else str(object_id),
        summary=summary[:255],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
    )
    db.session.add(entry)
    db.session.flush()
    logger.info("audit %s %s:%s by %s", action, entry.object_type, entry.object_id, actor.label)
    return entry


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    return {name: _jsonable(getattr(obj, name)) for name in fields}


# --- reading the trail -----------------------------------------------------------------


EXPORT_COLUMNS = ["id", "at", "actor", "country", "action", "object_type", "object_id", "summary", "reason",
                  "before", "after"]


@dataclass(frozen=True)
class AuditFilter:
    q: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_form(cls, form) -> AuditFilter:
        valid = not form.errors
        return cls(
            q=form.q.data or None if valid else None,
            action=form.action.data or None if valid else None,
            date_from=form.date_from.data if valid else None,
            date_to=form.date_to.data if valid else None,
        )


def can_read_trail(actor: Actor, country_code: str | None) -> bool:
    from certreg.auth.models import Role

    return actor.is_system or actor.in_country(country_code, Role.ADMIN, Role.AUDITOR)


def _query(actor: Actor, filters: AuditFilter) -> sa.Select:
    actor.require(can_read_trail(actor, actor.country_code))
    query = sa.select(AuditEntry)
    if not actor.is_system:
        query = query.where(AuditEntry.country_code == actor.country_code)
    if filters.action:
        query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.q:
        needle = f"%{filters.q}%"
        query = query.where(sa.or_(
            AuditEntry.summary.ilike(needle), AuditEntry.actor_label.ilike(needle),
            AuditEntry.object_id == filters.q, AuditEntry.reason.ilike(needle),
        ))
    if filters.date_from:
        query = query.where(AuditEntry.at >= datetime.combine(filters.date_from, time.min, tzinfo=UTC))
    if filters.date_to:
        query = query.where(AuditEntry.at < datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=UTC))
    return query.order_by(AuditEntry.id.desc())


def search(actor: Actor, filters: AuditFilter, *, page: int = 1, per_page: int = 50):
    """The actor's country's audit trail, newest first (administrators and auditors only)."""
    return db.paginate(_query(actor, filters), page=page, per_page=per_page, error_out=False)


def export_rows(actor: Actor, filters: AuditFilter) -> Iterator[list]:
    """Rows for export, read in batches from the database (never the whole trail in memory).

    Permission is checked now, not when the rows are first read.
    """
    query = _query(actor, filters).execution_options(yield_per=1000)
    return _rows(query)


def _rows(query: sa.Select) -> Iterator[list]:
    yield EXPORT_COLUMNS
    for entry in db.session.scalars(query):
        yield [entry.id, entry.at.isoformat(), entry.actor_label, entry.country_code or "", entry.action,
               entry.object_type, entry.object_id or "", entry.summary, entry.reason or "",
               json.dumps(entry.before, ensure_ascii=False) if entry.before is not None else "",
               json.dumps(entry.after, ensure_ascii=False) if entry.after is not None else ""]


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def xlsx_bytes(rows: Iterable[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("audit trail")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
