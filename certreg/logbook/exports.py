"""Logbook exports: CSV and XLSX (both streamed, see certreg.spreadsheets), the same columns in both.

Columns: ``entry_id, seq, date, kind, substance, quantity_kg, condition, from_condition,
direction, counted_kg, book_kg, cylinders, equipment, counterparty, counterparty_country,
buyer_certificate, documents, import_licence, customs_declaration, origin_country,
exporter, export_licence, destination_country, reverses, counterpart_of, reason, note,
channel, recorded_at, recorded_by, leaf_hash``. Kilograms are decimal strings with three
decimals; ``leaf_hash`` is hex, so a row can be checked against the log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Response, stream_with_context

from certreg import spreadsheets
from certreg.extensions import db
from certreg.logbook.canonical import kilograms_text
from certreg.logbook.models import Equipment

COLUMNS = ["entry_id", "seq", "date", "kind", "substance", "quantity_kg", "condition", "from_condition", "direction",
           "counted_kg", "book_kg", "cylinders", "equipment", "counterparty", "counterparty_country",
           "buyer_certificate", "documents", "import_licence", "customs_declaration", "origin_country", "exporter",
           "export_licence", "destination_country", "reverses", "counterpart_of", "reason", "note", "channel",
           "recorded_at", "recorded_by", "leaf_hash", "exempted_use", "exemption_reference"]


def _kg(value) -> str:
    return "" if value is None else kilograms_text(value)


def rows(query: sa.Select) -> Iterator[list[Any]]:
    codes: dict[int, str] = {}
    for entry in db.session.scalars(query.execution_options(yield_per=1000)):
        equipment = ""
        if entry.equipment_id:
            if entry.equipment_id not in codes:
                codes[entry.equipment_id] = db.session.scalar(sa.select(Equipment.code).where(
                    Equipment.id == entry.equipment_id))
            equipment = codes[entry.equipment_id]
        yield [entry.id, entry.seq, entry.operation_date.isoformat(), entry.kind.value, entry.substance_code,
               _kg(entry.quantity), entry.condition.value, entry.from_condition.value if entry.from_condition else "",
               entry.direction.value if entry.direction else "", _kg(entry.counted_quantity), _kg(entry.book_quantity),
               "; ".join(entry.cylinders), equipment, entry.counterparty_name or "", entry.counterparty_country or "",
               entry.buyer_certificate or "", entry.document_numbers or "", entry.import_licence or "",
               entry.customs_declaration or "", entry.origin_country or "", entry.exporter_name or "",
               entry.export_licence or "", entry.destination_country or "", entry.reverses_id or "",
               entry.counterpart_of_id or "", entry.reason or "", entry.note or "", entry.channel.value,
               entry.recorded_at.strftime("%Y-%m-%dT%H:%M:%SZ"), entry.recorded_by_label, bytes(entry.leaf_hash).hex(),
               entry.exempted_use.value if entry.exempted_use else "", entry.exemption_reference or ""]


def csv_chunks(query: sa.Select) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for count, row in enumerate(rows(query), 1):
        writer.writerow(row)
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_rows(query: sa.Select) -> Iterator[list[Any]]:
    """The rows of :func:`rows` with the kilograms as numbers (for a spreadsheet)."""
    numeric = [COLUMNS.index(c) for c in ("quantity_kg", "counted_kg", "book_kg")]
    for row in rows(query):
        for i in numeric:
            row[i] = Decimal(row[i]) if row[i] else None
        yield row


def response(query: sa.Select, fmt: str, filename: str):
    """The download of the web page and of the API: CSV streamed while it is read, or XLSX."""
    if fmt == "csv":
        return Response(stream_with_context(csv_chunks(query)), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})
    return spreadsheets.xlsx_response(filename, [("Logbook", COLUMNS, xlsx_rows(query))])


def filename(who: Any, country_code: str, day: Any) -> str:
    return f"logbook-{who.ref.replace(':', '-') if who else country_code}-{day}"

