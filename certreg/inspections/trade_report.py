"""The illegal trade report: a country's seizures in the Ozone Secretariat's table form.

Columns in the order of the Secretariat's illegal-trade reporting table (Decision XIX/12, the
voluntary reporting of illegal trade cases; the table the Secretariat publishes on the Protocol's
site): Party, Date of seizure, Substances, Quantity (kg), Importing country, Exporting country,
Details, Action taken, Remarks. One row per seized substance of a seizure; countries as ISO 3166-1
alpha-2 codes; quantity in kilograms as recorded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.extensions import db
from certreg.inspections.models import CaseEvent, CaseEventKind, Inspection, SeizedGoods, Seizure
from certreg.vocabulary import Role

COLUMNS = ["Party", "Date of seizure", "Substances", "Quantity (kg)", "Importing country", "Exporting country",
           "Details", "Action taken", "Remarks"]


def can_export(actor: Actor, country_code: str) -> bool:
    """The ministry: the country's administrators and auditors."""
    return actor.is_system or actor.in_country(country_code, Role.ADMIN, Role.AUDITOR)


def _details(inspection: Inspection) -> str:
    parts = [inspection.place_kind.value]
    if inspection.border_post is not None:
        parts.append(inspection.border_post.name)
    parts += [p for p in (inspection.place, inspection.vehicle_number, inspection.shipment_ref) if p]
    return "; ".join(parts)


def _remarks(events: list[CaseEvent]) -> str:
    parts = []
    for event in events:
        if event.kind is CaseEventKind.FINE:
            parts.append(f"fine {event.amount} {event.currency} ({event.happened_on.isoformat()})")
        elif event.kind is CaseEventKind.COURT_DECISION:
            parts.append(f"court decision {event.reference or ''} ({event.happened_on.isoformat()})".replace("  ", " "))
    return "; ".join(parts)


def rows(actor: Actor, country_code: str) -> Iterator[list[Any]]:
    actor.require(can_export(actor, country_code))
    query = (sa.select(SeizedGoods, Seizure, Inspection)
             .join(Seizure, Seizure.id == SeizedGoods.seizure_id)
             .join(Inspection, Inspection.id == Seizure.inspection_id)
             .where(Inspection.country_code == country_code)
             .order_by(Seizure.seized_on, Seizure.id, SeizedGoods.id))
    for goods, seizure, inspection in db.session.execute(query):
        events = list(seizure.case_events)
        disposal = next((e.disposal.value for e in events if e.kind is CaseEventKind.DISPOSAL), None)
        action = "seizure" + (f", {disposal}" if disposal else "")
        yield [inspection.country_code, seizure.seized_on.isoformat(), goods.substance_code, goods.kg,
               inspection.country_code, inspection.foreign_country or "", _details(inspection), action,
               _remarks(events)]


def csv_text(actor: Actor, country_code: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(actor, country_code))
    return out.getvalue()
