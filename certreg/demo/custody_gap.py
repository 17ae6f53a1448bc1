"""The demo's custody gap: the Khorgos importer's stock count of HFC-134a counts 0.1 kg of loose
stock and no cylinder, while the register says it holds a full 13.6 kg disposable HFC-134a cylinder
of its fleet. The ministry's anomaly list shows a ``custody_gap`` (certreg.reports.cylinder_anomalies).
The difference to its books is 0.1 kg, under the mass-balance threshold: no other anomaly."""

from __future__ import annotations

from decimal import Decimal

from certreg.actors import Actor
from certreg.db import today
from certreg.logbook import drafts, recording
from certreg.logbook import holders as logbook_holders
from certreg.logbook import queries as logbook_queries
from certreg.logbook.models import Condition
from certreg.registry.models import Company
from certreg.vocabulary import HolderKind

SUBSTANCE = "HFC-134a"
DIFFERENCE = Decimal("0.1")


def record(actor: Actor, importer: Company) -> None:
    who = logbook_holders.holder(HolderKind.COMPANY, importer.id)
    book = logbook_queries.stock_of(who, SUBSTANCE, Condition.VIRGIN)
    counted = book - DIFFERENCE if book >= DIFFERENCE else book + DIFFERENCE
    recording.record_entry(actor, who, drafts.EntryData(
        kind="stock_count", operation_date=today(), substance=SUBSTANCE, condition="virgin",
        counted_quantity=counted, reason="Demo: quarterly inventory (its HFC-134a cylinder not counted)"))
