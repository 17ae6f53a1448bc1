"""Declarative base, naming convention and the column types shared by every feature."""

from __future__ import annotations

import enum
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


def copy_rows(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """``rows`` into ``table`` by PostgreSQL's COPY (psycopg's ``cursor.copy``), in ``connection``'s transaction;
    each value goes through its column type's bind processing first (enums, time zones), as an INSERT's would.
    Every row names the same columns. A refusal is raised as SQLAlchemy raises an INSERT's (``IntegrityError``,
    ``OperationalError``, ...). The write-behind scan records and the import's unregistered cylinders use it."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    processors = [table.c[name].type._cached_bind_processor(connection.dialect) for name in names]
    quote = connection.dialect.identifier_preparer
    sql = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in names)}) FROM STDIN"
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([value if process is None else process(value)
                                for value, process in zip((row.get(name) for name in names), processors)])
    except dbapi_error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, dbapi_error) from exc


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
