"""Reading the audit trail: audit entries and logbook entries in one list, newest first, and its exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination

from certreg import spreadsheets
from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.audit.services import Message
from certreg.extensions import db
from certreg.logbook.canonical import kilograms_text
from certreg.logbook.models import CONDITION_LABELS, ENTRY_KIND_LABELS, Entry, EntryKind
from certreg.vocabulary import Role

# --- reading the trail -----------------------------------------------------------------


EXPORT_COLUMNS = ["source", "id", "at", "actor", "country", "action", "object_type", "object_id", "summary", "reason",
                  "before", "after"]

#: Logbook entries appear in the trail as ``logbook_entry.<kind>`` (a reversal: ``logbook_entry.reversal``).
LOGBOOK_ACTION_PREFIX = "logbook_entry."


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


@dataclass(frozen=True)
class TrailItem:
    """One line of the trail: an audit entry, or a logbook entry (``source == "logbook"``).

    Logbook entries are not copied into ``audit_entries`` (each is its own append-only,
    hashed record); the trail reads both tables in one query.
    """

    source: str
    id: int
    at: datetime
    actor_label: str
    actor_user_id: int | None
    country_code: str | None
    action: str
    object_type: str
    object_id: str | None
    summary: str
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    summary_msgid: str | None = None
    summary_params: dict[str, Any] | None = None
    kind: Any = None  # logbook entries: EntryKind, quantity (kg), substance code, condition
    quantity: Decimal | None = None
    substance_code: str | None = None
    condition: Any = None
    reverses_id: int | None = None

    @property
    def is_logbook_entry(self) -> bool:
        return self.source == "logbook"

    def text(self) -> str:
        """What happened, in the reader's language (summaries recorded as plain text: as written)."""
        if not self.is_logbook_entry:
            if self.summary_msgid:
                try:
                    return Message(self.summary_msgid, self.summary_params or {}).translated()
                except (KeyError, ValueError, TypeError):  # a message changed since: the text as written
                    return self.summary
            return self.summary

        return _("%(kind)s: %(quantity)s kg of %(substance)s · %(condition)s · entry %(id)s", kind=ENTRY_KIND_LABELS[
            self.kind], quantity=kilograms_text(self.quantity), substance=self.substance_code,
                 condition=CONDITION_LABELS[self.condition], id=self.id)


def can_read_trail(actor: Actor, country_code: str | None) -> bool:
    return actor.is_system or actor.in_country(country_code, Role.ADMIN, Role.AUDITOR)


def _period(column: Any, filters: AuditFilter) -> list:
    conditions = []
    if filters.date_from:
        conditions.append(column >= datetime.combine(filters.date_from, time.min, tzinfo=UTC))
    if filters.date_to:
        conditions.append(column < datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=UTC))
    return conditions


def _query(actor: Actor, filters: AuditFilter) -> sa.Subquery:
    """Audit entries and logbook entries of the actor's country as one relation (``UNION ALL``)."""
    actor.require(can_read_trail(actor, actor.country_code))
    audit = sa.select(
        sa.literal_column("'audit'", sa.String).label("source"), AuditEntry.id, AuditEntry.at,
        AuditEntry.actor_label, AuditEntry.actor_user_id, AuditEntry.country_code, AuditEntry.action,
        AuditEntry.object_type, AuditEntry.object_id, AuditEntry.summary, AuditEntry.reason, AuditEntry.before,
        AuditEntry.after, AuditEntry.summary_msgid, AuditEntry.summary_params,
        # The logbook entries' own columns, typed so the rows of the union come back as Python values.
        sa.type_coerce(sa.null(), Entry.kind.type).label("kind"),
        sa.type_coerce(sa.null(), Entry.quantity.type).label("quantity"),
        sa.type_coerce(sa.null(), Entry.substance_code.type).label("substance_code"),
        sa.type_coerce(sa.null(), Entry.condition.type).label("condition"),
        sa.type_coerce(sa.null(), Entry.reverses_id.type).label("reverses_id"),
    )
    entries = sa.select(
        sa.literal_column("'logbook'", sa.String), Entry.id, Entry.recorded_at, Entry.recorded_by_label,
        Entry.recorded_by_user_id, Entry.country_code,
        sa.literal_column(f"'{LOGBOOK_ACTION_PREFIX}'", sa.String) + sa.type_coerce(Entry.kind, sa.String),
        sa.literal_column("'logbook_entry'", sa.String), sa.cast(Entry.id, sa.String),
        sa.literal_column("''", sa.String), Entry.reason, sa.null(), sa.null(), sa.null(), sa.null(),
        Entry.kind, Entry.quantity, Entry.substance_code, Entry.condition, Entry.reverses_id,
    )
    if not actor.is_system:
        audit = audit.where(AuditEntry.country_code == actor.country_code)
        entries = entries.where(Entry.country_code == actor.country_code)
    if filters.action:
        audit = audit.where(AuditEntry.action.startswith(filters.action, autoescape=True))
        kinds = [k for k in EntryKind if f"{LOGBOOK_ACTION_PREFIX}{k.value}".startswith(filters.action)]
        entries = entries.where(Entry.kind.in_(kinds) if kinds else sa.false())
    if filters.q:
        needle = f"%{filters.q}%"
        audit = audit.where(sa.or_(
            AuditEntry.summary.ilike(needle), AuditEntry.actor_label.ilike(needle),
            AuditEntry.object_id == filters.q, AuditEntry.reason.ilike(needle),
        ))
        number = int(filters.q) if filters.q.isdigit() and len(filters.q) < 18 else None
        entries = entries.where(sa.or_(
            Entry.recorded_by_label.ilike(needle), Entry.reason.ilike(needle), Entry.substance_code.ilike(needle),
            Entry.id == number if number is not None else sa.false(),
        ))
    audit = audit.where(*_period(AuditEntry.at, filters))
    entries = entries.where(*_period(Entry.recorded_at, filters))
    return sa.union_all(audit, entries).subquery("trail")


def _ordered(trail: sa.Subquery) -> sa.Select:
    return sa.select(trail).order_by(trail.c.at.desc(), trail.c.source, trail.c.id.desc())


class TrailPage(Pagination):
    """A page of the trail (Flask-SQLAlchemy's pagination over the union's rows)."""

    def _query_items(self) -> list[TrailItem]:
        trail = self._query_args["trail"]
        rows = db.session.execute(_ordered(trail).limit(self.per_page).offset(self._query_offset))
        return [TrailItem(**row._asdict()) for row in rows]

    def _query_count(self) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(self._query_args["trail"])) or 0


def search(actor: Actor, filters: AuditFilter, *, page: int = 1, per_page: int = 50) -> TrailPage:
    """The actor's country's audit trail with its logbook entries, newest first (administrators and
    auditors only)."""
    return TrailPage(page=page, per_page=per_page, error_out=False, trail=_query(actor, filters))


def export_rows(actor: Actor, filters: AuditFilter) -> Iterator[list]:
    """Rows for export, read in batches from the database (never the whole trail in memory).

    Permission is checked now, not when the rows are first read.
    """
    query = _ordered(_query(actor, filters)).execution_options(yield_per=1000)
    return _rows(query)


def _rows(query: sa.Select) -> Iterator[list]:
    yield EXPORT_COLUMNS
    for row in db.session.execute(query):
        item = TrailItem(**row._asdict())
        yield [item.source, item.id, item.at.isoformat(), item.actor_label, item.country_code or "", item.action,
               item.object_type, item.object_id or "", item.text(), item.reason or "",
               json.dumps(item.before, ensure_ascii=False) if item.before is not None else "",
               json.dumps(item.after, ensure_ascii=False) if item.after is not None else ""]


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def xlsx_response(rows: Iterator[list]):
    """The trail as a streamed XLSX download (``rows`` as from :func:`export_rows`: header first)."""
    header = next(rows)
    return spreadsheets.xlsx_response("audit-trail", [("audit trail", header, rows)])
