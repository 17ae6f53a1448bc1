"""The authority's adjustments of a holder's stock: kilograms an inspection seized leave the holder's
books through an entry the authority records in the holder's logbook, in the country's Merkle log
like every entry (so ``flask logbook verify`` covers it).

The entry is a stock count ``out`` (counted = books - seized) whose reason names the seizure and
whose ``recorded_by`` is the inspector; it runs the same preparation and checks as every entry
(:func:`certreg.logbook.recording.prepare_entry`, :func:`~certreg.logbook.recording.check_entry`)
except the holder-only write permission. Only what the books hold can leave them: kilograms seized
beyond the holder's recorded stock were never in its books (the caller reports them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from certreg.actors import Actor
from certreg.db import utcnow
from certreg.logbook import ledger
from certreg.logbook.drafts import EntryData
from certreg.logbook.holders import Holder, logbook_for
from certreg.logbook.models import Channel, Condition, Entry, EntryKind
from certreg.logbook.recording import append_entry, check_entry, prepare_entry
from certreg.logbook.settings import rule_context
from certreg.vocabulary import Role

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Adjustment:
    entry: Entry | None  # None: the books held none of it
    taken_kg: Decimal  # out of the books
    unrecorded_kg: Decimal  # seized beyond the books


def can_adjust(actor: Actor, who: Holder) -> bool:
    """Inspectors and administrators of the holder's country (and the command line)."""
    return actor.is_system or actor.in_country(who.country_code, Role.INSPECTOR, Role.ADMIN)


def record_seizure(actor: Actor, who: Holder, substance_code: str, kg: Decimal, on: date, reason: str,
                   condition: Condition = Condition.VIRGIN) -> Adjustment:
    """Take ``kg`` of ``substance_code`` (at most what the books hold) out of ``who``'s stock.

    :raise Forbidden: not an inspector or administrator of the holder's country.
    :raise ValidationFailed: the entry's own rules (e.g. ``unknown_substance``).
    """
    actor.require(can_adjust(actor, who))
    logbook = logbook_for(who, create=True)
    head = ledger.lock_head(who.country_code)
    stock = ledger.Stock(logbook.id)
    book = stock.get(substance_code, condition)
    taken = min(book, kg)
    if taken <= 0:
        return Adjustment(None, Decimal("0.000"), kg)
    ctx = rule_context(who.country_code)
    data = EntryData(kind=EntryKind.STOCK_COUNT.value, operation_date=on, substance=substance_code,
                     condition=condition.value, counted_quantity=book - taken, reason=reason[:2000])
    prepared = check_entry(prepare_entry(who, data, ctx), ctx, stock.get)
    now = utcnow()
    stored = append_entry(head, stock, prepared.moves, prepared.values(logbook, actor, Channel.WEB, now),
                          prepared.draft.cylinders, now)
    logger.info("seizure adjustment %s in %s by %s: %s kg %s", stored["id"], who.ref, actor.label, taken,
                substance_code)
    return Adjustment(ledger.as_entry(stored), taken, kg - taken)
