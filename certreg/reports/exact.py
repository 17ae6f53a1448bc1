"""Exact sums of kilograms in SQL, on PostgreSQL and on SQLite alike.

PostgreSQL's ``numeric`` is exact: ``sum(quantity)`` and ``sum(kg * mass_fraction)`` are
computed as written. SQLite has no decimal type (a ``NUMERIC`` column holds a binary
float), so there the same constructs compile to integer arithmetic and the result type
scales back to an exact :class:`~decimal.Decimal`:

* :class:`kg_sum` — ``sum(CAST(round(x * 1000) AS INTEGER))``: whole grams (kilograms have
  three decimals in every logbook column, so this is exact);
* :class:`share_sum` — ``sum(grams * CAST(round(fraction * 1000000) AS INTEGER))``:
  mass fractions have six decimals (``substance_components.mass_fraction``), so the product
  is a whole number of 10⁻⁹ kg.

SQLite integers are 64-bit: a single sum may reach 9.2·10⁹ kg (9.2 million tonnes) of one
substance and kind before it overflows (SQLite then raises "integer overflow") — far above
any national total. Use :func:`scaled` for the result column so it arrives as Decimal kg.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

GRAMS_PER_KG = 1000
FRACTION_SCALE = 1_000_000


class ExactKilograms(TypeDecorator[Decimal]):
    """Result type: Decimal kilograms, whatever unit SQLite's integer arithmetic used."""

    impl = sa.Numeric(asdecimal=True)
    cache_ok = True

    def __init__(self, sqlite_scale: int = 0) -> None:
        super().__init__()
        self.sqlite_scale = sqlite_scale  # the power of ten SQLite's integer result is in (3: grams)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.sqlite_scale)
        return Decimal(value)

    def result_processor(self, dialect, coltype):
        # Skip Numeric's own float -> Decimal conversion; process_result_value does it exactly.
        def process(value):
            return self.process_result_value(value, dialect)

        return process


class kg_sum(FunctionElement):  # noqa: N801  (an SQL function)
    """``SUM`` of a kilogram expression: Decimal kg (PostgreSQL) or whole grams (SQLite)."""

    type = ExactKilograms(3)
    inherit_cache = True
    name = "kg_sum"


@compiles(kg_sum)
def _kg_sum_default(element, compiler, **kw):
    return f"sum({compiler.process(element.clauses, **kw)})"


@compiles(kg_sum, "sqlite")
def _kg_sum_sqlite(element, compiler, **kw):
    return f"sum(CAST(round(({compiler.process(element.clauses, **kw)}) * {GRAMS_PER_KG}) AS INTEGER))"


class share_sum(FunctionElement):  # noqa: N801
    """``SUM(kg * mass_fraction)`` where ``kg`` came from :class:`kg_sum` in a subquery."""

    type = ExactKilograms(9)
    inherit_cache = True
    name = "share_sum"


@compiles(share_sum)
def _share_sum_default(element, compiler, **kw):
    kg, fraction = list(element.clauses)
    return f"sum(({compiler.process(kg, **kw)}) * ({compiler.process(fraction, **kw)}))"


@compiles(share_sum, "sqlite")
def _share_sum_sqlite(element, compiler, **kw):
    grams, fraction = list(element.clauses)
    return (f"sum(({compiler.process(grams, **kw)}) * "
            f"CAST(round(({compiler.process(fraction, **kw)}) * {FRACTION_SCALE}) AS INTEGER))")


def kilograms(value: Any) -> Decimal:
    """A Decimal read from a ``Numeric`` column or a SQL sum, as kilograms with three decimals."""
    if value is None:
        return Decimal("0.000")
    return Decimal(value).quantize(Decimal("0.001"))
