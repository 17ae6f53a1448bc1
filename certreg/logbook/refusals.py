"""Refused attempts: a :class:`RefusalNote` keeps a :class:`~certreg.logbook.models.Refusal` once
the refused transaction has been rolled back (see :func:`certreg.errors.roll_back`)."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.logbook import rules
from certreg.logbook.holders import Holder, can_write, logbook_for
from certreg.logbook.models import Channel, Condition, EntryKind, Refusal
from certreg.vocabulary import OFFICIAL_ROLES

logger = logging.getLogger(__name__)


# --- refused attempts --------------------------------------------------------------------


class RefusalNote:
    """Keeps a :class:`Refusal` when a rule refuses (after the refused transaction is rolled back)."""

    def __init__(self, actor: Actor, who: Holder, channel: Channel,
                 details: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        self.actor_user_id = actor.user_id
        self.actor_label = actor.label
        self.who = who
        self.channel = channel
        self._details = details  # the attempted input, or a function giving it (built only if refused)
        self.buyer: Holder | None = None
        self.certificate_number: str | None = None  # the buyer's certificate, as the check found it

    @property
    def details(self) -> dict[str, Any]:
        return self._details() if callable(self._details) else self._details

    def attach(self, exc: ValidationFailed, **extra: Any) -> None:
        if exc.code not in rules.REFUSAL_CODES:
            return
        field_name = next(iter(exc.fields), None)
        details = {**self.details, **extra}
        exc.refusal_note = self
        exc.after_rollback.append(lambda: self.write(exc.code, field_name, exc.message, details))

    def write(self, code: str, field_name: str | None, message: str, details: dict[str, Any]) -> Refusal:
        logbook = logbook_for(self.who, create=True)
        buyer_logbook = logbook_for(self.buyer, create=True) if self.buyer else None
        details, buyer_certificate = self._checked_certificate(details)
        quantity = details.get("quantity")
        try:
            quantity = rules.parse_kilograms(quantity) if quantity not in (None, "") else None
        except ValidationFailed:
            quantity = None
        refusal = Refusal(
            country_code=self.who.country_code,
            logbook_id=logbook.id,
            actor_user_id=self.actor_user_id,
            actor_label=_clip(self.actor_label, _REFUSED.actor_label),
            channel=self.channel,
            kind=_maybe(EntryKind, details.get("kind")),
            substance_code=_clip(details.get("substance") or None, _REFUSED.substance_code),
            quantity=quantity,
            condition=_maybe(Condition, details.get("condition")),
            operation_date=_maybe(date.fromisoformat, details.get("operation_date")),
            buyer_certificate=buyer_certificate,
            buyer_logbook_id=buyer_logbook.id if buyer_logbook else None,
            code=code,
            field=_clip(field_name, _REFUSED.field),
            message=message,
            details=details,
        )
        db.session.add(refusal)
        db.session.flush()
        logger.info("refused %s for %s by %s: %s", details.get("kind"), self.who.ref, self.actor_label, code)
        return refusal

    def _checked_certificate(self, details: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """What was checked of the buyer's certificate: its number, never a scanned URL or token.

        A scan whose certificate was not found keeps only the SHA-256 of the scanned text.
        """
        text = details.get("buyer_certificate")
        if not text:
            return details, None
        details = dict(details)
        number = self.certificate_number
        if number is None and isinstance(text, str) and len(text) <= _REFUSED.buyer_certificate.type.length \
                and "/" not in text and not _BARE_TOKEN.fullmatch(text.strip()):
            number = text.strip()  # a typed number (perhaps mistyped) is what was checked
        if number is None:
            details.pop("buyer_certificate")
            details["buyer_certificate_sha256"] = hashlib.sha256(str(text).encode()).hexdigest()
        else:
            details["buyer_certificate"] = number
        return details, number


_REFUSED = Refusal.__table__.c
_BARE_TOKEN = re.compile(r"[A-Za-z2-7]{60,}")  # a scanned token without its URL (see certreg.certificates)


def _clip(value: str | None, column: sa.Column) -> str | None:
    """``value`` cut to the column's length: a refused attempt is kept even when its input was too long."""
    return value[:column.type.length] if isinstance(value, str) else value


def _maybe(parse: Callable[[Any], Any], value: Any) -> Any:
    if value in (None, ""):
        return None
    try:
        return parse(value)
    except (ValueError, TypeError):
        return None


def list_refusals(actor: Actor, country_code: str, *, who: Holder | None = None, page: int = 1, per_page: int = 50):
    actor.require(actor.is_system or actor.in_country(country_code, *OFFICIAL_ROLES)
                  or (who is not None and can_write(actor, who)))
    query = sa.select(Refusal).where(Refusal.country_code == country_code)
    if who is not None:
        logbook = logbook_for(who)
        query = query.where(Refusal.logbook_id == (logbook.id if logbook else -1))
    return db.paginate(query.order_by(Refusal.id.desc()), page=page, per_page=per_page, error_out=False)

