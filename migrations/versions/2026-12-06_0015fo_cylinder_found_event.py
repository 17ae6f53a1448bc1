"""cylinders: a cylinder reported lost can be reported found

``cylinder_events.kind`` and ``cylinder_refusals.kind`` may also be ``found``
(certreg.cylinders.custody.report_found). No column changes.

As in 0012la, on SQLite the checks are changed in place, not by a batch copy of the tables: a
copy of ``cylinder_events`` would drop its append-only triggers (0011a, put back by 0011f) and
could not be dropped while other rows point at it. Widening an enum's ``CHECK`` changes nothing
on disk, so the stored table definition is edited (SQLite's documented procedure:
``writable_schema``, then a new ``schema_version``). On PostgreSQL the check is dropped and
created again. The downgrade refuses while a ``found`` row exists (append-only events cannot be
deleted to make room).

Revision ID: 0015fo
Revises: 0014ib
Create Date: 2026-12-06 17:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015fo'
down_revision = '0014ib'
branch_labels = None
depends_on = None


OLD_EVENTS = ('register', 'fill', 'charge', 'recovery', 'transfer', 'return', 'reclaim', 'destroy', 'lost',
              'reversal', 'seize', 'suspect')
NEW_EVENTS = (*OLD_EVENTS, 'found')
CHECKS = (('cylinder_events', 'eventkind', 'kind', OLD_EVENTS, NEW_EVENTS),
          ('cylinder_refusals', 'eventkind', 'kind', OLD_EVENTS, NEW_EVENTS))


def _condition(column, values):
    return f"{column} IN (" + ", ".join(f"'{k}'" for k in values) + ")"


def _refuse_rows_in(table, column, before, after):
    """A downgrade narrows the check: refuse while rows use a kind it drops."""
    gone = sorted(set(before) - set(after))
    rows = sa.table(table, sa.column(column))
    if gone and op.get_bind().scalar(sa.select(sa.func.count()).select_from(rows)
                                     .where(rows.c[column].in_(gone))):
        raise RuntimeError(f"{table} has rows with {column} in {gone}: this downgrade cannot drop them")


def _sqlite_check(table, name, column, before, after):
    """Replace the check's text in the table's stored definition (see the module's docstring)."""
    bind = op.get_bind()
    old = f"CONSTRAINT ck_{table}_{name} CHECK ({_condition(column, before)})"
    new = f"CONSTRAINT ck_{table}_{name} CHECK ({_condition(column, after)})"
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    if sql.count(old) != 1:
        raise RuntimeError(f"{table}: the check ck_{table}_{name} is not as expected")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                         (sql.replace(old, new), table))
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _check(table, name, column, before, after):
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_check(table, name, column, before, after)
        return
    op.drop_constraint(op.f(f'ck_{table}_{name}'), table, type_='check')
    op.create_check_constraint(op.f(f'ck_{table}_{name}'), table, _condition(column, after))


def upgrade():
    for table, name, column, old, new in CHECKS:
        _check(table, name, column, old, new)


def downgrade():
    for table, _name, column, old, new in CHECKS:  # refuse before anything is changed
        _refuse_rows_in(table, column, new, old)
    for table, name, column, old, new in reversed(CHECKS):
        _check(table, name, column, new, old)
