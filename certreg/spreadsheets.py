"""Spreadsheet downloads shared by every feature: XLSX in constant memory, streamed.

XLSX is written with openpyxl in write-only mode to a temporary file, then streamed from
that file in chunks and the file removed. A sheet holds at most 1,048,575 data rows (the
format's limit); longer exports continue on ``<title> (2)``, ``<title> (3)``, ... Numbers are
written as exact decimals, enums as their codes, times as UTC without a zone (Excel has none).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import Response, stream_with_context

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
XLSX_MAX_ROWS = 1_048_575  # plus the header row
CHUNK = 64 * 1024

Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def cell(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: the column is UTC
    if isinstance(value, Decimal):
        return value.normalize() if value else Decimal(0)
    return value


def xlsx_chunks(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> Iterator[bytes]:
    """Write the sheets ``(title, header, rows)`` to a temporary XLSX file and yield its bytes."""
    from openpyxl import Workbook  # lazy: a heavy library, loaded by the first spreadsheet download only

    workbook = Workbook(write_only=True)
    fd, path = tempfile.mkstemp(prefix="certreg-", suffix=".xlsx")
    os.close(fd)
    try:
        for title, header, rows in sheets:
            part = 1
            sheet = workbook.create_sheet(title[:31])
            sheet.append(list(header))
            count = 0
            for row in rows:
                if count == XLSX_MAX_ROWS:
                    part += 1
                    sheet = workbook.create_sheet(f"{title[:25]} ({part})")
                    sheet.append(list(header))
                    count = 0
                sheet.append([cell(v) for v in row])
                count += 1
        workbook.save(path)
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    return b"".join(xlsx_chunks(sheets))




def xlsx_response(filename: str, sheets: Iterable[Sheet]):
    """A streamed XLSX download (built in a temporary file first, in constant memory)."""
    return Response(stream_with_context(xlsx_chunks(sheets)), mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'})
