"""The licence rule of an import (export): the entry against the licence it names, in the one rule path
(:func:`certreg.logbook.recording.check_entry` calls :func:`check_licence`), the caps counting the earlier
lines of the same CSV file, which are not written yet (:func:`count_in_file`)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa

from certreg.extensions import db
from certreg.licences import services as licences
from certreg.licences.models import Licence, LicenceDirection
from certreg.logbook import rules
from certreg.logbook.models import EntryKind
from certreg.logbook.queries import licence_used

if TYPE_CHECKING:
    from certreg.logbook.recording import Prepared

#: The key, in a CSV import's cache, of what its checked lines record under each licence (not written yet).
PENDING = "licence-pending"
#: ``(USED, licence id)`` in the cache: what is recorded under the licence, per substance, read by the caller
#: already (the border check reads it with the rest of its facts, in the same transaction).
USED = "licence-used"
#: ``(NUMBERS, country)`` in the cache: the numbers of the country's licences (:func:`_licence`).
NUMBERS = "licence-numbers"


def check_licence(prepared: Prepared, ctx: rules.Context) -> None:
    """An import (export) naming a licence of the register is checked against it (holder, direction, status,
    dates, substance, partner country: origin or destination, remaining caps in kg, ODP and CO2-eq tonnes);
    where the country sets ``licences_required``, a number that is not in the register is refused
    (``licence_unknown``). Runs under the country's log lock (the caps)."""
    draft = prepared.draft
    importing = draft.kind is EntryKind.IMPORT
    number = ((draft.import_licence if importing else draft.export_licence) or "").strip()
    cache, key = prepared.cache if prepared.cache is not None else {}, ("licence", ctx.country_code, number)
    licence = None
    if number and key in cache:  # read once per cache, found or not (the border check reads it first)
        licence = cache[key]
    elif number:
        licence = cache[key] = _licence(ctx.country_code, number, prepared.cache)
    if licence is None and not ctx.licences_required:
        return
    pending = (prepared.cache or {}).get(PENDING, {})

    def used(held: Licence) -> dict[str, Decimal]:
        """What is recorded under the licence, and the earlier lines of the same file (not written yet)."""
        known = (prepared.cache or {}).get((USED, held.id))
        recorded = dict(known) if known is not None else licence_used(held)
        for code, kg in pending.get(held.id, {}).items():
            recorded[code] = recorded.get(code, Decimal(0)) + kg
        return recorded

    kg = draft.quantity or Decimal(0)
    licences.check(licence, company_id=prepared.holder_id,
                   direction=LicenceDirection.IMPORT if importing else LicenceDirection.EXPORT,
                   substance_code=draft.substance.code, groups=draft.substance.groups, on=draft.operation_date,
                   partner_country=draft.origin_country if importing else draft.destination_country,
                   kg=kg, used=used)
    prepared.licence_use = (licence.id, draft.substance.code, kg)


#: Built once (every import or export naming a licence asks): bound per country and number.
_BY_NUMBER = sa.select(Licence).where(Licence.country_code == sa.bindparam("country"),
                                      Licence.number == sa.bindparam("number"))
_NUMBERS = sa.select(Licence.__table__.c.number).where(Licence.__table__.c.country_code == sa.bindparam("country"))


def _licence(country_code: str, number: str, cache: dict | None) -> Licence | None:
    """The register's licence of that number, or None. With a ``cache`` kept across entries (a CSV import), the
    country's licence numbers are read once first, so a number the register does not have costs no statement
    (a file of many lines naming numbers of no licence read each of them, one statement a line)."""
    if cache is not None:
        numbers = cache.get((NUMBERS, country_code))
        if numbers is None:
            numbers = cache[(NUMBERS, country_code)] = frozenset(db.session.scalars(_NUMBERS,
                                                                                   {"country": country_code}))
        if number not in numbers:
            return None
    return db.session.scalar(_BY_NUMBER, {"country": country_code, "number": number})


def count_in_file(prepared: Prepared) -> None:
    """An entry that passed every rule: the next lines of its file (its ``cache``) count what it records under
    its licence."""
    if prepared.licence_use is None or prepared.cache is None:
        return
    licence_id, code, kg = prepared.licence_use
    by_code = prepared.cache.setdefault(PENDING, {}).setdefault(licence_id, {})
    by_code[code] = by_code.get(code, Decimal(0)) + kg
