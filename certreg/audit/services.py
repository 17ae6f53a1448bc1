"""Write and read the audit trail."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.extensions import db

logger = logging.getLogger(__name__)


def jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return value


@dataclass(frozen=True)
class Message:
    """An audit summary kept as its English message and its values, so that each reader sees it in
    their own language (``AuditEntry.summary`` keeps the English text for search and export)."""

    msgid: str
    params: dict[str, Any]

    def english(self) -> str:
        return self.msgid % self.params if self.params else self.msgid

    def translated(self) -> str:
        return _(self.msgid, **self.params)


def msg(msgid: str, **params: Any) -> Message:
    """A translatable audit summary: ``audit.msg("Revoked certificate %(number)s", number=...)``.

    ``scripts/i18n.py`` extracts ``msg`` like ``gettext``; the values are stored as JSON
    (numbers and strings; anything else as its text).
    """
    return Message(msgid, {k: v if isinstance(v, (str, int, float, bool)) or v is None else str(jsonable(v))
                           for k, v in params.items()})


def record(
    actor: Actor,
    action: str,
    obj: Any | None = None,
    *,
    object_type: str | None = None,
    object_id: Any | None = None,
    country_code: str | None = None,
    summary: str | Message = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Add an audit entry in the current transaction (it is committed, or rolled back, with the change).

    ``summary``: a :func:`msg` (shown in the reader's language), or plain text.
    """
    message = summary if isinstance(summary, Message) else None
    if message is not None:
        summary = message.english()
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
        summary_msgid=message.msgid if message else None,
        summary_params=message.params if message and message.params else None,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        reason=reason,
    )
    db.session.add(entry)
    db.session.flush()
    logger.info("audit %s %s:%s by %s", action, entry.object_type, entry.object_id, actor.label)
    return entry


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    return {name: jsonable(getattr(obj, name)) for name in fields}
