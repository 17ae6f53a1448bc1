"""Writing logbook entries for report tests, through the logbook's own services (its rules apply)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from certreg.actors import Actor
from certreg.extensions import db
from certreg.logbook import drafts, holders, recording
from certreg.logbook.models import Entry
from certreg.registry.models import Company, Technician
from certreg.vocabulary import HolderKind

SYSTEM = Actor.system("tests")

PROOF = dict(import_licence="LIC-2025-0001", customs_declaration="10702020/250301/0000001", origin_country="CN",
             exporter_name="Zhejiang Example Chemical Co.")


def without_bans(country_code: str) -> None:
    """Put every phase-out date of the country back to 2100 (a national date may do so): the report tests
    record virgin CFCs, CTC and methyl bromide in 2023-2025 to check the arithmetic of every annex."""
    from certreg.countries import services as countries

    countries.update_settings(SYSTEM, country_code, {key: date(2100, 12, 31) for key in countries.BAN_KEYS})


def holder_of(record: Company | Technician) -> holders.Holder:
    kind = HolderKind.COMPANY if isinstance(record, Company) else HolderKind.TECHNICIAN
    return holders.holder(kind, record.id)


def record(who: Company | Technician | holders.Holder, kind: str, substance: str, kg: str | Decimal, *,
           on: date, condition: str = "virgin", actor: Actor = SYSTEM, **extra) -> Entry:
    """One entry as ``actor`` (the system by default), with the fields its kind needs filled in."""
    who = who if isinstance(who, holders.Holder) else holder_of(who)
    data = dict(kind=kind, operation_date=on, substance=substance, quantity=Decimal(kg), condition=condition)
    if kind == "import":
        data.update(PROOF)
        if data["origin_country"] == who.country_code:
            data["origin_country"] = "RU"
    elif kind == "export":
        data.update(export_licence="EXP-2025-0001", destination_country="UZ" if who.country_code != "UZ" else "KZ")
    elif kind == "purchase":
        data.update(counterparty_name="Market seller")
    data.update(extra)
    entry = recording.record_entry(actor, who, drafts.EntryData(**data))
    db.session.flush()
    return entry


def reverse(entry: Entry, reason: str = "Typed the wrong quantity") -> Entry:
    return recording.reverse_entry(SYSTEM, entry.id, reason)
