"""Declarative base, naming convention and the column types shared by every feature."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: The clock of the rules; tests may set another (:func:`clock`).
_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utcnow() -> datetime:
    """Now, in UTC: every timestamp certreg writes."""
    return _now()


def today() -> date:
    """Today's date in UTC, the one calendar of the rules (never the server's local date)."""
    return _now().date()


@contextmanager
def clock(now: Callable[[], datetime]) -> Iterator[None]:
    """Run with another clock (tests: ``with clock(lambda: datetime(2031, 1, 1, tzinfo=UTC)):``)."""
    global _now
    previous, _now = _now, now
    try:
        yield
    finally:
        _now = previous


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp always stored and returned in UTC, timezone-aware.

    SQLite has no time zone type: values are normalised to UTC on the way in and
    given ``tzinfo=UTC`` on the way out, so both databases behave alike.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: Kilograms of refrigerant: exact decimals, three places (grams).
KILOGRAMS = sa.Numeric(14, 3, asdecimal=True)

intpk = Annotated[int, mapped_column(primary_key=True)]
str2 = Annotated[str, mapped_column(sa.String(2))]
str32 = Annotated[str, mapped_column(sa.String(32))]
str64 = Annotated[str, mapped_column(sa.String(64))]
str120 = Annotated[str, mapped_column(sa.String(120))]
str255 = Annotated[str, mapped_column(sa.String(255))]
text = Annotated[str, mapped_column(sa.Text)]
timestamp = Annotated[datetime, mapped_column(UTCDateTime())]
created_at = Annotated[
    datetime, mapped_column(UTCDateTime(), default=utcnow, server_default=sa.func.current_timestamp())
]
kilograms = Annotated[Decimal, mapped_column(KILOGRAMS)]


def enum_type(enum_cls: type[enum.Enum], length: int = 32) -> sa.Enum:
    """A portable enum column storing the member *values*, checked by a CHECK constraint."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=length,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda cls: [member.value for member in cls],
        name=enum_cls.__name__.lower(),
    )


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            date: sa.Date(),
            Decimal: KILOGRAMS,
            str: sa.String(255),
            dict[str, Any]: sa.JSON(),
        },
    )


# PostgreSQL COPY's text format: tab-separated, \N for NULL, backslash escapes.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]").search


def copy_text(text: str) -> str:
    """``text`` as a field of COPY's text format (escaped only where it must be)."""
    return text if _COPY_SPECIAL(text) is None else text.translate(_COPY_ESCAPES)


def copy_value(value: Any) -> str:
    """A bound value (after its column type's bind processing) as a field of COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.isoformat()
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return copy_text(value)
    raise TypeError(f"cannot write {type(value).__name__} with COPY")


#: Values whose text never changes while the object lives (an object of another type is formatted every time).
_IMMUTABLE = frozenset({str, int, bool, type(None), Decimal, date, datetime, bytes})
_NOTHING = object()


class BulkRows:
    """Rows of one table, each made ready for a bulk write when it is given, written later in one go.

    On PostgreSQL a row becomes its line of ``COPY ... FROM STDIN`` text, and :meth:`write` sends them all as
    one ``COPY`` (psycopg's ``cursor.copy``). On SQLite a row becomes its parameters, and :meth:`write` is one
    ``executemany`` of an ``INSERT``: the driver's loop, in C. Each value goes through its column type's bind
    processing first (enums, time zones), as an INSERT's would; no Python-side column default is applied, so
    a row names every column it needs (exactly ``names``). A refusal is raised as SQLAlchemy raises an
    INSERT's (``IntegrityError``, ``OperationalError``, ...).

    Why not SQLAlchemy's ``insert()`` with a list: the write-behind scan records are written by a thread
    beside the worker's requests, and every µs of Python it runs holds the GIL from them. Formatting each
    scan in its own request (a few µs) leaves the flush almost nothing but the driver's C: a flush of 0.5 s
    of scans no longer stalls the requests it overlaps (the scan pages' p99, docs/benchmarks.md "Session 9").
    """

    def __init__(self, dialect: sa.Dialect, table: sa.Table, names: list[str]) -> None:
        self.table, self.names = table, tuple(names)
        self._keys = frozenset(names)
        self._processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
        self._copy = dialect.driver == "psycopg"
        if not self._copy and dialect.paramstyle != "qmark":
            raise ValueError(f"no bulk write for the {dialect.driver} driver")
        # Per column, the last value :meth:`row` formatted and its text: rows given one by one often share their
        # values' very objects (a batch's time, its holder, an enum member), which are then formatted once.
        self._last: list[tuple[Any, str]] = [(_NOTHING, "")] * len(self.names)

    def bind(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """``values`` (exactly :attr:`names`) through their columns' bind processing, in :attr:`names`' order."""
        if values.keys() != self._keys:
            raise ValueError(f"a row of {self.table.name} must name exactly {sorted(self._keys)}")
        return tuple([value if process is None else process(value)
                      for value, process in zip(map(values.__getitem__, self.names), self._processors)])

    def row(self, values: dict[str, Any]) -> str | tuple[Any, ...]:
        """``values`` (exactly :attr:`names`) made ready for :meth:`write`: on PostgreSQL its line of COPY text,
        on SQLite its parameters (:meth:`bind`)."""
        if not self._copy:
            return self.bind(values)
        if values.keys() != self._keys:
            raise ValueError(f"a row of {self.table.name} must name exactly {sorted(self._keys)}")
        last, texts = self._last, []
        for i, (value, process) in enumerate(zip(map(values.__getitem__, self.names), self._processors)):
            seen, text = last[i]
            if value is not seen:
                text = copy_value(value if process is None else process(value))
                last[i] = (value if value.__class__ in _IMMUTABLE or isinstance(value, enum.Enum) else _NOTHING, text)
            texts.append(text)
        return "\t".join(texts) + "\n"

    def statement(self, dialect: sa.Dialect) -> str:
        """The statement :meth:`write` runs: ``COPY ... FROM STDIN`` on PostgreSQL (for psycopg's ``cursor.copy``,
        which the CSV import's writing thread runs with the rows' joined text), an ``INSERT`` for
        ``executemany`` on SQLite."""
        quote = dialect.identifier_preparer
        columns = ", ".join(quote.quote(name) for name in self.names)
        table = quote.format_table(self.table)
        if self._copy:
            return f"COPY {table} ({columns}) FROM STDIN"
        # the names are the table's own columns
        return f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(self.names))})"  # noqa: S608

    def write(self, connection: sa.Connection, rows: list[Any]) -> None:
        """Write ``rows`` in ``connection``'s transaction: each made by :meth:`row`, or all by :meth:`bind` (on
        PostgreSQL psycopg then writes each row's COPY text itself, in C: cheaper for a large batch made at once
        than :meth:`row`'s Python, but a call per row in the writing thread)."""
        if not rows:
            return
        dbapi_error = connection.dialect.loaded_dbapi.Error
        raw = connection.connection.driver_connection
        sql = self.statement(connection.dialect)
        cursor = raw.cursor()
        try:
            if self._copy:
                with cursor.copy(sql) as copy:
                    if isinstance(rows[0], str):
                        copy.write("".join(rows))
                    else:
                        for row in rows:
                            copy.write_row(row)
            else:
                cursor.executemany(sql, rows)
        except dbapi_error as exc:
            raise sa.exc.DBAPIError.instance(sql, None, exc, dbapi_error) from exc
        finally:
            cursor.close()


def write_rows(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """``rows`` (dicts naming the same columns) into ``table`` in ``connection``'s transaction, by
    :class:`BulkRows`: one ``COPY`` on PostgreSQL, one ``executemany`` on SQLite. The import's unregistered
    cylinders use it (tens of thousands at once, made here: bound, and formatted by psycopg)."""
    if rows:
        bulk = BulkRows(connection.dialect, table, list(rows[0]))
        bulk.write(connection, [bulk.bind(row) for row in rows])


class json_rows(FunctionElement):  # noqa: N801  (an SQL aggregate)
    """The aggregated rows' columns as one JSON text, ``[[a, b, ...], ...]`` (NULL: no rows), so that a
    single-row statement can carry a list beside its columns. Numbers keep their digits in the text (read them
    with ``json.loads(parse_float=Decimal)``); dates are ISO strings."""

    type = sa.Text()
    inherit_cache = True
    name = "json_rows"


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element, compiler, **kw):
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw):
    return f"CAST(json_agg(json_build_array({compiler.process(element.clauses, **kw)})) AS TEXT)"
