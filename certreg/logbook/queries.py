"""Reading logbooks: entries (filtered), their reversal and transfer, stock balances, the entries that count
(:func:`counted`, for every report) and what was recorded against a licence."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.errors import NotFound
from certreg.extensions import db
from certreg.licences.models import Licence, LicenceDirection
from certreg.logbook.drafts import choice
from certreg.logbook.holders import Holder, holder_of, logbook_for, require_read
from certreg.logbook.models import Balance, Condition, Entry, EntryCylinder, EntryKind, Logbook, Transfer
from certreg.substances import services as substances
from certreg.vocabulary import OFFICIAL_ROLES

logger = logging.getLogger(__name__)


# --- reading ------------------------------------------------------------------------------


def get_entry(actor: Actor, entry_id: int) -> Entry:
    """:raise NotFound: no such entry, or not visible to the actor."""
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        raise NotFound()
    require_read(actor, holder_of(entry.logbook))
    return entry


def reversal_of(entry: Entry) -> Entry | None:
    return db.session.scalar(sa.select(Entry).where(Entry.reverses_id == entry.id))


def transfer_of(entry: Entry) -> Transfer | None:
    return db.session.scalar(sa.select(Transfer).where(
        sa.or_(Transfer.origin_entry_id == entry.id, Transfer.counterpart_entry_id == entry.id)))


@dataclass
class EntryFilter:
    kind: str | None = None
    substance: str | None = None
    condition: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    cylinder: str | None = None
    text: str | None = None  # counterparty, documents, licences, certificate number


def entries_query(actor: Actor, who: Holder | None, filters: EntryFilter | None = None,
                  *, country_code: str | None = None) -> sa.Select:
    """Entries of one holder, or (officials) of their whole country, newest first."""
    filters = filters or EntryFilter()
    query = sa.select(Entry)
    if who is not None:
        require_read(actor, who)
        logbook = logbook_for(who)
        query = query.where(Entry.logbook_id == (logbook.id if logbook else -1))
    else:
        country_code = country_code or actor.country_code
        actor.require(actor.is_system or actor.in_country(country_code, *OFFICIAL_ROLES))
        query = query.where(Entry.country_code == country_code)
    if filters.kind:
        query = query.where(Entry.kind == choice(EntryKind, filters.kind, "kind"))
    if filters.substance:
        query = query.where(Entry.substance_code == substances.resolve(filters.substance).code)
    if filters.condition:
        query = query.where(Entry.condition == choice(Condition, filters.condition, "condition"))
    if filters.date_from:
        query = query.where(Entry.operation_date >= filters.date_from)
    if filters.date_to:
        query = query.where(Entry.operation_date <= filters.date_to)
    if filters.cylinder:
        query = query.where(Entry.id.in_(sa.select(EntryCylinder.entry_id)
                                         .where(EntryCylinder.serial == filters.cylinder.strip())))
    if filters.text:
        needle = f"%{filters.text.strip()}%"
        query = query.where(sa.or_(*(column.ilike(needle) for column in (
            Entry.counterparty_name, Entry.document_numbers, Entry.buyer_certificate, Entry.import_licence,
            Entry.customs_declaration, Entry.export_licence, Entry.exporter_name, Entry.note))))
    return query.order_by(Entry.operation_date.desc(), Entry.id.desc())


def list_entries(actor: Actor, who: Holder | None, filters: EntryFilter | None = None, *, page: int = 1,
                 per_page: int = 50, country_code: str | None = None):
    return db.paginate(entries_query(actor, who, filters, country_code=country_code), page=page,
                       per_page=per_page, error_out=False)


def balances(actor: Actor, who: Holder, *, include_zero: bool = False) -> list[Balance]:
    """The holder's current stock per substance and condition (read from the balances, never summed)."""
    require_read(actor, who)
    logbook = logbook_for(who)
    if logbook is None:
        return []
    query = sa.select(Balance).where(Balance.logbook_id == logbook.id)
    if not include_zero:
        query = query.where(Balance.quantity > 0)
    return list(db.session.scalars(query.order_by(Balance.substance_code, Balance.condition)))


def stock_of(who: Holder, substance_code: str, condition: Condition) -> Decimal:
    logbook = logbook_for(who)
    if logbook is None:
        return Decimal("0.000")
    value = db.session.scalar(sa.select(Balance.quantity).where(
        Balance.logbook_id == logbook.id, Balance.substance_code == substance_code, Balance.condition == condition))
    return Decimal(value) if value is not None else Decimal("0.000")


# --- what counts --------------------------------------------------------------------------


def counted(e: sa.Table | sa.Alias) -> sa.ColumnElement[bool]:
    """The entry counts: it is not a reversal and was not reversed (uses the partial index on reverses_id)."""
    r = Entry.__table__.alias("rev")
    # "IS NOT NULL" lets PostgreSQL size the reversals from the partial index and hash them (anti-join)
    # instead of sorting every entry of the period by id for a merge.
    return sa.and_(e.c.kind != EntryKind.REVERSAL.value,
                   ~sa.exists().where(r.c.reverses_id == e.c.id, r.c.reverses_id.is_not(None)))


def _used_query(direction: LicenceDirection) -> sa.Select:
    e = Entry.__table__.alias("e")
    column = e.c.import_licence if direction is LicenceDirection.IMPORT else e.c.export_licence
    kind = EntryKind.IMPORT if direction is LicenceDirection.IMPORT else EntryKind.EXPORT
    books = Logbook.__table__  # table columns: a Core statement (ORM attributes would make it an ORM one, slower)
    logbooks = sa.select(books.c.id).where(books.c.company_id == sa.bindparam("company_id"))
    return (sa.select(e.c.substance_code, sa.func.sum(e.c.quantity))
            .where(e.c.kind == kind.value, column == sa.bindparam("number"), e.c.logbook_id.in_(logbooks), counted(e))
            .group_by(e.c.substance_code))


#: Built once (the border check and every import under a licence ask it): per direction, bound per licence.
USED = {direction: _used_query(direction) for direction in LicenceDirection}


def licence_used(licence: Licence) -> dict[str, Decimal]:
    """Kilograms recorded against the licence, per substance: the holder's counted imports (or exports) naming
    its number (one grouped sum; :mod:`certreg.licences.caps` weighs them in ODP and CO2-eq tonnes)."""
    rows = db.session.execute(USED[licence.direction], {"company_id": licence.company_id, "number": licence.number})
    return {code: Decimal(total or 0).quantize(Decimal("0.001")) for code, total in rows}


def licence_used_kg(licence: Licence) -> Decimal:
    """Kilograms recorded against the licence: the holder's counted imports (or exports) naming its number."""
    return sum(licence_used(licence).values(), Decimal("0.000"))
