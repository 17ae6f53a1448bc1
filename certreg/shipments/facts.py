"""What one border check reads, in one statement.

The border check (:func:`certreg.shipments.border.border_check`) asks of one shipment: the shipment, its
importer (registration, name, registered activities), the substance's catalogue HS code, the licence the
declaration names, what was recorded under that licence, the country's logbook settings and national ban
dates, the quota groups allocated for the year and the importer's remaining quota in each, and the exporting
country's iPIC answer. Read one by one through the ORM these were six statements and most of the check's time.

Here they are one Core statement, built once (:data:`_FACTS`):

- the shipment's row with what there is one of (importer, substance, licence, the country's settings, the
  latest iPIC "yes" for this import: joined by id through a correlated subquery);
- and, as one JSON text column (:class:`certreg.db.json_rows`), what there are several of: the
  ``(part, name, day, amount)`` rows of one ``UNION ALL`` (:data:`_LISTS`: the importer's activities, the
  national ban dates, the kilograms used under the licence per substance, the groups allocated for the year,
  the importer's remaining quota per group).

One statement is one snapshot, so a check that writes nothing can read it outside any transaction, on
connections kept for it (:class:`certreg.autocommit_query.AutocommitQuery`): no BEGIN, no COMMIT, no pool.

Nothing is cached across requests: a licence suspended, a quota transferred or an iPIC answer given shows on
the next check. The rules that judge these facts are the logbook's own: the border passes them to
:func:`certreg.logbook.recording.prepare_entry` and :func:`~certreg.logbook.recording.check_entry` through
the keys those already read from their ``cache`` (and :meth:`certreg.quotas.usage.QuotaBook.knowing`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.visitors import replacement_traverse

from certreg.autocommit_query import AutocommitQuery
from certreg.countries.models import CountryBanDate, CountrySettings
from certreg.db import json_rows
from certreg.extensions import db
from certreg.licences.models import Licence, LicenceDirection
from certreg.logbook.holders import Holder
from certreg.logbook.queries import USED
from certreg.quotas.models import TONNES
from certreg.quotas.usage import ALLOCATED_GROUPS, LINES
from certreg.registry.models import Company, CompanyActivity
from certreg.shipments.ipic import Confirmation
from certreg.shipments.models import IpicAnswer, IpicQuestion, Shipment
from certreg.substances.models import Substance
from certreg.vocabulary import HolderKind

_S, _C, _SUB = Shipment.__table__, Company.__table__, Substance.__table__
_L, _SET, _Q = Licence.__table__.alias("l"), CountrySettings.__table__, IpicQuestion.__table__
_IPIC = _Q.alias("q")
#: The shipment's columns the check reads (its rules, the import entry it would record, who may see it).
_SHIPMENT_COLUMNS = ("id", "country_code", "declaration_number", "importer_id", "goods", "hs_code", "substance_code",
                     "kg", "cylinder_serials", "import_licence", "exporter_name", "exporting_country", "origin_country",
                     "status")
#: The licence's columns as the rules read them (:func:`certreg.licences.services.check`, its caps).
_LICENCE_COLUMNS = ("id", "country_code", "number", "company_id", "direction", "scope", "hs_codes",
                    "partner_countries", "cap_kg", "cap_odp_t", "cap_co2e_t", "valid_from", "valid_until", "status")
#: The country's settings as :func:`certreg.logbook.settings.context_of` reads them.
_SETTINGS_COLUMNS = ("used_ods_sales", "late_entry_days", "approval_days", "company_certificate_required",
                     "licences_required")

#: The exporting country's latest iPIC question answered "yes" for this importer, substance, year and at
#: least the shipment's kilograms (as :func:`certreg.shipments.ipic.confirmation` finds it).
_CONFIRMING = (sa.select(_Q.c.id)
               .where(_Q.c.asking_country == _S.c.exporting_country, _Q.c.answering_country == _S.c.country_code,
                      _Q.c.importer_registration == _C.c.registration_number,
                      _Q.c.substance_code == _S.c.substance_code, _Q.c.year == sa.bindparam("year"),
                      _Q.c.answer == IpicAnswer.YES, _Q.c.kg >= _S.c.kg)
               .order_by(_Q.c.id.desc()).limit(1).correlate(_S, _C).scalar_subquery())

_SHIPMENT = (
    sa.select(*(_S.c[name] for name in _SHIPMENT_COLUMNS), _C.c.registration_number.label("importer_registration"),
              _C.c.legal_name.label("importer_name"), _C.c.country_code.label("importer_country"),
              _SUB.c.is_blend.label("substance_is_blend"), _SUB.c.hs_code.label("substance_hs_code"),
              *(_L.c[name].label(f"licence_{name}") for name in _LICENCE_COLUMNS),
              _SET.c.country_code.label("settings_country"), *(_SET.c[name] for name in _SETTINGS_COLUMNS),
              _IPIC.c.id.label("ipic_id"), _IPIC.c.answer.label("ipic_answer"), _IPIC.c.kg.label("ipic_kg"),
              _IPIC.c.licence_number.label("ipic_licence_number"))
    .select_from(_S.join(_C, _C.c.id == _S.c.importer_id).join(_SUB, _SUB.c.code == _S.c.substance_code)
                 .outerjoin(_L, sa.and_(_L.c.country_code == _S.c.country_code, _L.c.number == _S.c.import_licence))
                 .outerjoin(_SET, _SET.c.country_code == _S.c.country_code)
                 .outerjoin(_IPIC, _IPIC.c.id == _CONFIRMING))
    .where(_S.c.id == sa.bindparam("shipment_id")))


def _part(name: str, label: Any = None, day: Any = None, amount: Any = None) -> list[sa.ColumnElement]:
    """The four columns of a list row: which list, then a name, a day and an amount (or NULL)."""
    return [sa.literal_column(f"'{name}'", sa.String()).label("part"),
            sa.cast(label, sa.String()).label("name") if label is not None else sa.null().cast(sa.String()),
            (day if day is not None else sa.null().cast(sa.Date())).label("day"),
            (sa.cast(amount, sa.Numeric()) if amount is not None else sa.null().cast(sa.Numeric())).label("amount")]


_ACTIVITIES, _BANS = CompanyActivity.__table__, CountryBanDate.__table__
_USED = USED[LicenceDirection.IMPORT].subquery("used")
_ALLOCATED = ALLOCATED_GROUPS.subquery("allocated")
_LISTS = sa.union_all(
    sa.select(*_part("activity", _ACTIVITIES.c.activity)).where(_ACTIVITIES.c.company_id == sa.bindparam("company_id")),
    sa.select(*_part("ban", _BANS.c.control_group, day=_BANS.c.ban_date))
    .where(_BANS.c.country_code == sa.bindparam("country")),
    sa.select(*_part("used", _USED.c.substance_code, amount=_USED.c[1])),
    sa.select(*_part("allocated", _ALLOCATED.c.control_group)),
    sa.select(*_part("remaining", LINES.c.control_group, amount=sa.func.sum(LINES.c.amount)))
    .where(LINES.c.country_code == sa.bindparam("country"), LINES.c.year == sa.bindparam("year"),
           LINES.c.company_id == sa.bindparam("company_id"))
    .group_by(LINES.c.control_group),
)
#: The lists' parameters that are the shipment's own columns: read by id inside the statement (an alias, so
#: that nothing correlates with the outer shipment), which makes the whole check one statement.
_OWN = _S.alias("own")
_OF_SHIPMENT = {"company_id": _OWN.c.importer_id, "country": _OWN.c.country_code, "number": _OWN.c.import_licence}


def _of_shipment(element: Any) -> Any:
    if isinstance(element, sa.BindParameter) and element.key in _OF_SHIPMENT:
        return sa.select(_OF_SHIPMENT[element.key]).where(_OWN.c.id == sa.bindparam("shipment_id")).scalar_subquery()
    return None


_ROWS = replacement_traverse(_LISTS, {}, _of_shipment).subquery("lists")
#: The shipment's row with the lists as one JSON text column (``lists``).
_FACTS = _SHIPMENT.add_columns(
    sa.select(json_rows(_ROWS.c.part, _ROWS.c.name, _ROWS.c.day, _ROWS.c.amount)).scalar_subquery().label("lists"))
#: The same statement on connections of its own, outside any transaction (:func:`read`'s ``autocommit``).
_FACTS_COMMITTED = AutocommitQuery(_FACTS)

_GRAM = Decimal("0.001")
#: The lists' JSON text, its numbers as Decimal (never float).
_DECODE = json.JSONDecoder(parse_float=Decimal).decode
#: The quota lines' places (``TONNES``): a sum read to them, without SQLite's float noise.
_TONNES = Decimal(1).scaleb(-TONNES.scale)


@dataclass(frozen=True, slots=True)
class BorderFacts:
    """What the border check judges (see the module docstring); ``shipment`` has the shipment's columns."""

    shipment: Any  # the columns named in _SHIPMENT_COLUMNS
    importer: Holder
    importer_registration: str
    activities: frozenset[str]
    substance_is_blend: bool
    substance_hs_code: str | None
    licence: Any | None  # the licence's columns (as a Licence has them), when the register has the number
    licence_used: dict[str, Decimal]  # kilograms recorded under it, per substance
    settings: Any | None  # the country's logbook settings, None: none set
    national_bans: dict[str, date]
    allocated_groups: set[str]  # quota groups allocated for the year
    remaining: dict[str, Decimal]  # the importer's remaining quota per group, for the year
    confirmation: Confirmation | None


def read(shipment_id: int, year: int, *, autocommit: bool = False) -> BorderFacts | None:
    """The facts of shipment ``shipment_id`` for a check in ``year`` (None: no such shipment), in one statement.

    ``autocommit``: read the latest committed state outside the request's transaction (a check that writes
    nothing and reads nothing else, as the API's GET); otherwise in the session's transaction, with what this
    request changed (flushed first: Core statements do not flush the session).
    """
    params = {"shipment_id": shipment_id, "year": year}
    if autocommit:
        row = _FACTS_COMMITTED.read(**params)  # in the session's all the same when AUTOCOMMIT_READS is off
    else:
        db.session.flush()
        row = db.session.execute(_FACTS, params).first()
    if row is None:
        return None
    activities, bans, used, allocated, remaining = set(), {}, {}, set(), {}
    for part, name, day, amount in _DECODE(row.lists or "[]"):
        if part == "activity":
            activities.add(name)
        elif part == "ban":
            bans[name] = date.fromisoformat(day)
        elif part == "used":
            used[name] = Decimal(amount or 0).quantize(_GRAM)
        elif part == "allocated":
            allocated.add(name)
        else:
            remaining[name] = Decimal(amount or 0).quantize(_TONNES)
    licence = (SimpleNamespace(**{name: getattr(row, f"licence_{name}") for name in _LICENCE_COLUMNS})
               if row.licence_id is not None else None)
    return BorderFacts(
        shipment=row, importer=Holder(HolderKind.COMPANY, row.importer_id, row.importer_country, row.importer_name),
        importer_registration=row.importer_registration, activities=frozenset(activities),
        substance_is_blend=row.substance_is_blend, substance_hs_code=row.substance_hs_code, licence=licence,
        licence_used=used, settings=row if row.settings_country is not None else None, national_bans=bans,
        allocated_groups=allocated, remaining=remaining,
        confirmation=(Confirmation(row.ipic_id, row.ipic_answer, row.ipic_kg, row.ipic_licence_number)
                      if row.ipic_id is not None else None))
