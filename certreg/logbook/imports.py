"""Importing paper logbooks from CSV: all lines or none, every bad line reported with its reason.

File format (``docs/logbook.md`` has an example): UTF-8 (a BOM is allowed), comma-separated,
RFC 4180 quoting, one header line naming the columns (any order, unknown names refused).
Required columns: ``date``, ``kind``, ``substance``, and ``quantity_kg`` (or ``counted_kg``
for stock counts). Optional: ``condition``, ``from_condition``, ``cylinders`` (serial
numbers separated by ``;``), ``equipment`` (equipment id ``CC-E-NNNNNN-D``),
``counterparty``, ``counterparty_country``, ``counterparty_registration``,
``buyer_certificate``, ``documents``, ``import_licence``, ``customs_declaration``,
``origin_country``, ``exporter``, ``export_licence``, ``destination_country``, ``reason``,
``note``, ``exempted_use``, ``exemption_reference`` (an ``exempted_use`` line: ``Decision
XXXVI/5``). Dates are ``YYYY-MM-DD`` or ``DD.MM.YYYY``; quantities use ``.`` or ``,`` as the
decimal mark, at most three decimals. Lines are applied in file order with the same rules
as any other entry (a sale needs its buyer's valid certificate, stock never goes
negative, ...). Reversals cannot be imported: import the corrected line instead.

Everything happens in one transaction, written in chunks as lines pass; a process killed
half-way leaves nothing behind (the transaction is never committed). The same file is
not imported twice into one logbook.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.db import utcnow
from certreg.errors import CertregError, ValidationFailed
from certreg.extensions import db
from certreg.inputs import date_in_range
from certreg.logbook import bulk, checkpointing, ledger, links
from certreg.logbook import quotas as logbook_quotas
from certreg.logbook.drafts import EntryData
from certreg.logbook.holders import Holder, logbook_for, require_write
from certreg.logbook.models import Channel, EntryKind, ImportBatch, Logbook, TransferStatus
from certreg.logbook.recording import Prepared, check_entry, prepare_entry
from certreg.logbook.refusals import RefusalNote
from certreg.logbook.settings import rule_context

logger = logging.getLogger(__name__)

COLUMNS = {
    "date": "operation_date", "kind": "kind", "substance": "substance", "quantity_kg": "quantity",
    "condition": "condition", "from_condition": "from_condition", "cylinders": "cylinders",
    "equipment": "equipment", "counterparty": "counterparty_name", "counterparty_country": "counterparty_country",
    "counterparty_registration": "counterparty_registration", "buyer_certificate": "buyer_certificate",
    "documents": "document_numbers", "import_licence": "import_licence",
    "customs_declaration": "customs_declaration", "origin_country": "origin_country", "exporter": "exporter_name",
    "export_licence": "export_licence", "destination_country": "destination_country",
    "counted_kg": "counted_quantity", "reason": "reason", "note": "note",
    "exempted_use": "exempted_use", "exemption_reference": "exemption_reference",
}
COLUMN_OF = {name: column for column, name in COLUMNS.items()}  # an error on a field names the file's column
REQUIRED = ("date", "kind", "substance")
MAX_ERRORS = 1000


@dataclass(frozen=True)
class LineError:
    line: int  # 1 is the header
    field: str | None
    code: str
    message: str

    def describe(self) -> str:
        return f"line {self.line}: " + (f"{self.field}: " if self.field else "") + f"{self.message} [{self.code}]"


@dataclass
class ImportResult:
    lines: int = 0
    entries: int = 0
    batch_id: int | None = None
    errors: list[LineError] = field(default_factory=list)
    refusals: list[Callable[[], None]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportRefused(ValidationFailed):
    """The file was refused; ``result.errors`` names every bad line."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__(_("The file was not imported: %(n)s line(s) refused.", n=len(result.errors)),
                         code="import_refused")
        self.result = result
        self.after_rollback.extend(result.refusals)


def parse_date(text: str) -> date:
    text = text.strip()
    try:
        value = None
        if len(text) == 10 and text[4] == "-":
            value = date.fromisoformat(text)
        elif len(text) == 10 and text[2] == "." and text[5] == ".":
            value = date(int(text[6:]), int(text[3:5]), int(text[:2]))
        if value is not None and date_in_range(value):
            return value
    except ValueError:
        pass
    raise ValidationFailed.for_field("date", _("Write the date as YYYY-MM-DD or DD.MM.YYYY."), "invalid_date")


class _LineParser:
    """Turns a CSV line's fields into :class:`EntryData` (the header's columns, in its order).

    The cells are stripped; an empty cell is absent (``None``); ``date`` and ``counted_kg``
    are parsed (the first bad one in the header's order is reported); ``cylinders`` are
    split on ``;`` (or ``|``). Dates repeat from line to line, so they are parsed once.
    """

    def __init__(self, header: list[str]) -> None:
        self.names = [COLUMNS[column] for column in header]
        self.special = [name for name in self.names if name in ("operation_date", "cylinders", "counted_quantity")]
        self.dates: dict[str, date] = {}

    def __call__(self, raw: list[str]) -> EntryData:
        values: dict[str, Any] = dict(zip(self.names, [cell.strip() or None for cell in raw]))
        for name in self.special:
            text = values[name]
            if name == "operation_date":
                if text:
                    parsed = self.dates.get(text)
                    if parsed is None:
                        parsed = self.dates[text] = parse_date(text)
                    values[name] = parsed
            elif name == "cylinders":
                values[name] = [c for c in (p.strip() for p in text.replace("|", ";").split(";")) if c] if text else []
            elif text:  # counted_quantity
                try:
                    values[name] = Decimal(text.replace(",", "."))
                except ArithmeticError:
                    raise ValidationFailed.for_field("counted_kg", _("Enter the kilograms counted."),
                                                     "invalid_number") from None
        if values.get("operation_date") is None:
            raise ValidationFailed.for_field("date", _("The date is missing."), "required")
        if values.get("kind") == EntryKind.REVERSAL.value:
            raise ValidationFailed.for_field("kind", _("Reversals cannot be imported: import the corrected line."),
                                             "kind_not_recordable")
        return EntryData(**values)


def _reader(data: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header (checked) and the lines that are not blank: ``(line number, fields)``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(_("The file is not UTF-8 text."), code="not_utf8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise ValidationFailed(_("The file is empty."), code="empty_file")
    header = [h.strip().lower() for h in header]
    unknown = [h for h in header if h not in COLUMNS]
    missing = [h for h in REQUIRED if h not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise ValidationFailed(_("The header is wrong: unknown %(unknown)s, missing %(missing)s (see the import "
                                 "format).", unknown=", ".join(unknown) or "-", missing=", ".join(missing) or "-"),
                               code="bad_header")

    def lines() -> Iterator[tuple[int, list[str]]]:
        try:
            for raw in reader:
                if "".join(raw).strip():  # not a blank line
                    yield reader.line_num, raw
        except csv.Error as exc:
            raise ValidationFailed(_("The file is not valid CSV near line %(line)s: %(error)s",
                                     line=reader.line_num, error=str(exc)), code="bad_csv") from None

    return header, lines()


def count_lines(data: bytes) -> int:
    return max(data.count(b"\n") - (0 if data.endswith(b"\n") else -1) - 1, 0)


def import_csv(actor: Actor, who: Holder, data: bytes, filename: str, *,
               progress: Callable[[int], None] | None = None, channel: Channel = Channel.CSV) -> ImportResult:
    """Check every line, and write them all if none is refused.

    Returns the result; when ``result.errors`` is not empty, the caller must roll back (the
    CLI raises :class:`ImportRefused` through :func:`run`). ``progress(n)`` is called as
    lines are processed.
    """
    # One piece on purpose: the transaction's steps in their order (batch, lock, each line
    # prepared as record_entry does, then the stock and the log head) read best together.
    require_write(actor, who)
    logbook = logbook_for(who, create=True)
    batch = _new_batch(actor, logbook, data, filename)
    header, rows = _reader(data)
    parse = _LineParser(header)
    width = len(header)
    ctx = rule_context(who.country_code)
    head = ledger.lock_head(who.country_code)
    stock = ledger.Stock(logbook.id)
    quotas = logbook_quotas.source()  # the lines' uses of the importer's quota, checked together
    quota = quotas.book(who.country_code) if quotas is not None else None
    result = ImportResult(batch_id=batch.id)
    now = utcnow()
    appender = bulk.BulkAppender(head, {
        "country_code": logbook.country_code, "logbook_id": logbook.id, "channel": channel, "import_id": batch.id,
        "recorded_at": now, "recorded_by_user_id": actor.user_id, "recorded_by_label": actor.label,
        "intervention_id": None, "reverses_id": None, "counterpart_of_id": None,
    }, expected=count_lines(data))
    write = _Writer(appender, logbook, actor, channel, now, batch.id)
    cache: dict[Any, Any] = {}  # catalogue, equipment, buyers and receivers, looked up once per file
    seen = 0
    errors = result.errors

    def refusal_note(entry: EntryData, line: int) -> RefusalNote:
        return RefusalNote(actor, who, channel, lambda: {**entry.jsonable(), "line": line, "file": filename})

    try:
        for line, raw in rows:
            seen += 1
            if progress and seen % 1000 == 0:
                progress(1000)
            note = None
            try:
                if len(raw) != width:
                    raise ValidationFailed(_("This line has %(n)s fields, the header has a different number.",
                                             n=f"{len(raw)}"), code="wrong_field_count")
                entry = parse(raw)
                note = refusal_note(entry, line)
                prepared = check_entry(prepare_entry(who, entry, ctx, note, cache=cache), ctx, stock.get,
                                       quota=quota)
            except ValidationFailed as exc:
                if note is not None:
                    note.attach(exc)
                    result.refusals.extend(exc.after_rollback)
                errors.extend(_line_errors(line, exc))
                if len(errors) >= MAX_ERRORS:
                    break
                continue
            stock.apply(prepared.moves, 0)
            if not errors:  # after an error: keep checking, write nothing more
                write(prepared)
        result.lines = seen
        if progress and seen % 1000:
            progress(seen % 1000)
        if errors:
            return result
        result.entries = appender.finish()
    finally:
        appender.close()
    if write.quota_uses:  # after their entries exist
        quotas.write_uses(write.quota_uses)
    links.record(actor, head, write.linked, now)  # the cylinders' events, after the file's entries
    _save_stock(stock, now)
    checkpointing.maybe_checkpoint(head, now)
    ledger.save_head(head, now)
    batch.line_count = result.lines
    db.session.flush()
    audit.record(actor, "logbook.import", batch, country_code=who.country_code,
                 summary=audit.msg("Imported %(count)s entries from %(file)s into %(holder)s",
                                   count=result.entries, file=filename[:100], holder=who.ref),
                 after={"file": filename, "sha256": batch.sha256, "entries": result.entries})
    logger.info("imported %s entries from %s into %s", result.entries, filename, who.ref)
    return result


def _new_batch(actor: Actor, logbook: Logbook, data: bytes, filename: str) -> ImportBatch:
    """:raise ValidationFailed: ``duplicate_import``, the same file was imported into this logbook."""
    digest = hashlib.sha256(data).hexdigest()
    if db.session.scalar(sa.select(ImportBatch.id).where(ImportBatch.logbook_id == logbook.id,
                                                         ImportBatch.sha256 == digest)):
        raise ValidationFailed(_("This file was already imported into this logbook."), code="duplicate_import")
    batch = ImportBatch(logbook_id=logbook.id, filename=filename[:255], sha256=digest, line_count=0,
                        created_by_label=actor.label)
    db.session.add(batch)
    db.session.flush()
    return batch


def _line_errors(line: int, exc: ValidationFailed) -> Iterator[LineError]:
    """The refusal's errors on this line, each naming the file's column."""
    for field_name, messages in (exc.fields or {None: [exc.message]}).items():
        for message in messages:
            yield LineError(line, COLUMN_OF.get(field_name, field_name), getattr(message, "code", exc.code),
                            str(message))


class _Writer:
    """Writes each line that passed every rule through the bulk appender, with its sale or export."""

    def __init__(self, appender: bulk.BulkAppender, logbook: Logbook, actor: Actor, channel: Channel,
                 now: datetime, batch_id: int) -> None:
        self.appender, self.logbook, self.actor, self.channel, self.now = appender, logbook, actor, channel, now
        self.batch_id = batch_id
        self.logbook_ids: dict[Holder, int] = {}  # each counterparty's logbook, looked up once
        self.quota_uses: list[dict[str, Any]] = []  # the quota ledger's use lines, written after the entries
        self.linked: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (plans, entry) of lines naming cylinders
        self.ahead: dict[str, set[Any]] = {}  # what the links gave the appender already (links.rows_ahead)

    def __call__(self, prepared: Prepared) -> None:
        counterparty = prepared.counterparty
        if counterparty is None:
            entry_id = self.appender.add(prepared.values(self.logbook, self.actor, self.channel, self.now,
                                                         import_id=self.batch_id), prepared.draft.cylinders)
            if prepared.quota_uses:
                self.quota_uses += logbook_quotas.use_rows(prepared.quota_uses, entry_id, self.logbook.country_code,
                                                           self.now, self.actor)
            if prepared.plans:
                self._link(prepared.plans, entry_id)
            return
        to_logbook_id = self.logbook_ids.get(counterparty)
        if to_logbook_id is None:
            to_logbook_id = self.logbook_ids[counterparty] = logbook_for(counterparty, create=True).id
        entry_id = self.appender.add(prepared.values(self.logbook, self.actor, self.channel, self.now,
                                                     import_id=self.batch_id, counterparty_logbook_id=to_logbook_id),
                                     prepared.draft.cylinders)
        self.appender.add_transfer(prepared.transfer_kind, entry_id, self.logbook.id, to_logbook_id,
                                   TransferStatus.PENDING, self.now)
        if prepared.plans:
            self._link(prepared.plans, entry_id)

    def _link(self, plans: dict[str, Any], entry_id: int) -> None:
        """Keep the entry's plans for :func:`links.record` after the last entry; what they write that refers to
        no entry goes with the entries' chunks now."""
        for table, rows in links.rows_ahead(plans, self.now, self.ahead):
            self.appender.add_rows(table, rows)
        self.linked.append((plans, {"id": entry_id}))


def _save_stock(stock: ledger.Stock, now: datetime) -> None:
    last = db.session.scalar(sa.select(sa.func.max(ledger.ENTRIES.c.id)).where(
        ledger.ENTRIES.c.logbook_id == stock.logbook_id))
    stock.last_entry = {key: last for key in stock.last_entry}
    stock.save(now)


# --- refusals of the upload itself (the API's; their messages live in this feature's catalogue) ---


def csv_required() -> CertregError:
    error = CertregError(_("Send the file as text/csv."), code="unsupported_media_type")
    error.status = 415
    return error


def file_too_large() -> ValidationFailed:
    return ValidationFailed(_("The file is too large."), code="too_large")
