"""CSV and XLSX files of the reports and of the entries behind them.

CSV (RFC 4180, UTF-8 with a byte-order mark so spreadsheet programs read Cyrillic names
right, ``.`` as the decimal mark, dates ``YYYY-MM-DD``, times ISO 8601 UTC) is produced
line by line from a row iterator: a response streams it as it is read from the database.

XLSX is written with openpyxl in write-only mode to a temporary file (constant memory),
then streamed from that file in chunks and the file removed. A sheet holds at most
1,048,575 data rows (the format's limit); longer exports continue on ``entries (2)``,
``entries (3)``, ... Numbers are written as exact decimals, dates as dates.

The Article 7 table (one layout for CSV, XLSX and the API) has one row per controlled
substance, then the totals per annex group, per annex and overall (``row`` says which), and
for each Article 7 column three figures: ``<column>_metric_tonnes``, ``<column>_odp_tonnes``,
``<column>_co2e_tonnes``.

Imports by exporting country and exports by country of destination (data forms 2 and 3) are
the XLSX sheet "By partner country" and the JSON member ``by_partner_country``; the Article 7
CSV stays the one table per substance (the breakdown ``partner_country`` downloads them as CSV).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import Response, stream_with_context, url_for

from certreg.reports import texts
from certreg.reports.figures import COLUMNS, Amount, Article7Report, Column, PartnerRow, Total
from certreg.reports.texts import plain
from certreg.spreadsheets import (  # noqa: F401  (the reports' files are built with these)
    CHUNK,
    CSV_MIMETYPE,
    XLSX_MAX_ROWS,
    XLSX_MIMETYPE,
    xlsx_bytes,
    xlsx_chunks,
    xlsx_response,
)

UNITS = ("metric_tonnes", "odp_tonnes", "co2e_tonnes")


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_text(v) for v in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# --- the Article 7 table ------------------------------------------------------------------------


def article7_header() -> list[str]:
    header = ["row", "annex", "group", "substance", "name"]
    for column in COLUMNS:
        header += [f"{column.value}_{unit}" for unit in UNITS]
    return header


def _amounts(get) -> list[Decimal]:
    values: list[Decimal] = []
    for column in COLUMNS:
        amount: Amount = get(column)
        values += [amount.metric_tonnes, amount.odp_tonnes, amount.co2e_tonnes]
    return values


def _total_row(kind: str, total: Total) -> list[Any]:
    return [kind, total.annex or "", total.group or "", "", "", *_amounts(total.amount)]


def article7_rows(report: Article7Report) -> Iterator[list[Any]]:
    for row in report.rows:
        info = row.substance
        yield ["substance", info.annex, info.group or "", info.code, info.name, *_amounts(row.amount)]
    for total in report.totals_by_group():
        yield _total_row("group_total", total)
    for total in report.totals_by_annex():
        yield _total_row("annex_total", total)
    yield _total_row("total", report.grand_total())


def article7_about(report: Article7Report, notes: Sequence[str]) -> list[list[Any]]:
    return [["country", report.country_code], ["period_from", report.period.date_from],
            ["period_to", report.period.date_to], *(["note", note] for note in notes)]


PARTNER_HEADER = ["direction", "partner_country", "annex", "group", "substance", "name", "kg", "metric_tonnes",
                  "odp_tonnes", "co2e_tonnes", "new_kg", "exempted_kg", "recovered_kg"]


def partner_rows(partners: Iterable[PartnerRow]) -> Iterator[list[Any]]:
    """Imports by exporting country, exports by country of destination: one row per direction, substance and
    country; ``new_kg`` for all uses, ``exempted_kg`` (imports only) the part of it for exempted uses."""
    for p in partners:
        info, amount, (new, *rest) = p.substance, p.amount(), p.columns
        exempted = p.row.kg(Column.IMPORTS_EXEMPTED) if Column.IMPORTS_EXEMPTED in rest else None
        yield [p.direction.value, p.country, info.annex, info.group or "", info.code, info.name, p.kg(),
               amount.metric_tonnes, amount.odp_tonnes, amount.co2e_tonnes, p.row.kg(new), exempted,
               p.row.kg(rest[-1])]


def article7_sheets(report: Article7Report, notes: Sequence[str], partners: Iterable[PartnerRow] = ()):
    return [("Article 7", article7_header(), article7_rows(report)),
            ("By partner country", PARTNER_HEADER, partner_rows(partners)),
            ("About", ["field", "value"], article7_about(report, notes))]


def amount_json(amount: Amount) -> dict[str, str]:
    return {"metric_tonnes": plain(amount.metric_tonnes), "odp_tonnes": plain(amount.odp_tonnes),
            "co2e_tonnes": plain(amount.co2e_tonnes)}


def columns_json(get) -> dict[str, dict[str, str]]:
    return {column.value: amount_json(get(column)) for column in COLUMNS}


def partner_json(p: PartnerRow) -> dict[str, Any]:
    return {"direction": p.direction.value, "country": p.country, "substance": p.substance.code,
            "name": p.substance.name, "annex": p.substance.annex, "group": p.substance.group, "kg": plain(p.kg()),
            "total": amount_json(p.amount()), "columns": {c.value: amount_json(p.row.amount(c)) for c in p.columns}}


def article7_json(report: Article7Report, notes: Sequence[str], partners: Iterable[PartnerRow] = ()
                  ) -> dict[str, Any]:
    def total_json(total: Total) -> dict[str, Any]:
        return {"annex": total.annex, "group": total.group, "columns": columns_json(total.amount)}

    return {
        "country": report.country_code,
        "period": {"from": report.period.date_from.isoformat(), "to": report.period.date_to.isoformat()},
        "columns": [c.value for c in COLUMNS],
        "rows": [{"substance": r.substance.code, "name": r.substance.name, "annex": r.substance.annex,
                  "group": r.substance.group, "odp": plain(r.substance.odp),
                  "annex_f_gwp": plain(r.substance.annex_f_gwp), "columns": columns_json(r.amount)}
                 for r in report.rows],
        "group_totals": [total_json(t) for t in report.totals_by_group()],
        "annex_totals": [total_json(t) for t in report.totals_by_annex()],
        "total": columns_json(report.grand_total().amount),
        "by_partner_country": [partner_json(p) for p in partners],
        "notes": list(notes),
    }


# --- HTTP responses ---------------------------------------------------------------------------


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]):
    """A streamed CSV download (the rows are read while the response is sent)."""
    return Response(stream_with_context(csv_lines(header, rows)), mimetype=CSV_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename={filename}.csv"})


def dict_rows(names: Sequence[str], rows: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    for row in rows:
        yield [row.get(name) for name in names]


def breakdown_header(key: str) -> list[str]:
    return [key, *article7_header()]


def breakdown_rows(reports: dict[Any, Article7Report]) -> Iterator[list[Any]]:
    """The Article 7 table of each key (month, year or holder kind), the key in the first column."""
    for key in sorted(reports):
        for row in article7_rows(reports[key]):
            yield [_text(key), *row]


# --- anomaly lists --------------------------------------------------------------------------------

ANOMALY_FIELDS = ["rank", "score", "kind", "holder_kind", "holder_id", "holder", "holder_registration", "equipment",
                  "summary", "score_explanation", "reviewed", "reviewed_at", "reviewed_by", "review_note", "link"]


def anomaly_link(a, *, external: bool = False) -> str:
    """The anomaly's page (its evidence and review form)."""
    return url_for("reports.anomaly", kind=a.kind.value, logbook_id=a.subject, country=a.country_code,
                   date_from=a.period.date_from.isoformat(), date_to=a.period.date_to.isoformat(),
                   equipment=a.equipment_id, _external=external)


def anomaly_rows(found) -> Iterator[list[Any]]:
    for rank, a in enumerate(found, 1):
        review = a.review
        yield [rank, a.score, a.kind.value, a.holder.kind.value if a.holder else "", a.holder.id if a.holder else "",
               a.holder.name if a.holder else a.country_code, (a.holder.registration or "") if a.holder else "",
               a.facts.get("equipment", ""), texts.describe(a), texts.explanation(a), bool(review),
               review.reviewed_at if review else None, review.reviewed_by_label if review else "",
               review.note if review else "", anomaly_link(a, external=True)]


def json_value(value: Any) -> Any:
    """A value of an export row as JSON: decimals as exact strings, dates ISO, enums by value."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return _text(value)
