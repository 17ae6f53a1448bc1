"""logbook: production and use entries; the producer activity

``logbook_entries.kind`` and ``logbook_refusals.kind`` may also be ``production``,
``feedstock_use``, ``qps_use`` and ``exempted_use`` (certreg.logbook.use_rules);
``company_activities.activity`` may also be ``producer``. No column changes: the uses keep
their exempted use and decision in ``exempted_use`` / ``exemption_reference``, so the
canonical form of every entry is unchanged.

On SQLite the checks are changed in place, not by a batch copy of the tables: a copy of
``logbook_entries`` would drop its append-only triggers (migration 0004), could not be
dropped while cylinders, transfers and quota lines point at its rows (foreign keys are on),
and would turn the column checks of 0009c into table checks that 0009c's downgrade cannot
drop. Widening an enum's ``CHECK`` changes nothing on disk, so the stored table definition is
edited (SQLite's documented procedure: ``writable_schema``, then a new ``schema_version``).

Revision ID: 0012la
Revises: 0013q
Create Date: 2026-12-06 14:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012la'
down_revision = '0013q'
branch_labels = None
depends_on = None


OLD_KINDS = ('import', 'export', 'purchase', 'sale', 'charge', 'recovery', 'recycling', 'reclamation',
             'sent_for_destruction', 'destroyed', 'stock_count', 'reversal')
NEW_KINDS = (*OLD_KINDS, 'production', 'feedstock_use', 'qps_use', 'exempted_use')
OLD_ACTIVITIES = ('importer', 'exporter', 'dealer', 'service', 'equipment_owner', 'reclaimer', 'destruction',
                  'training')
NEW_ACTIVITIES = (*OLD_ACTIVITIES, 'producer')
CHECKS = (('logbook_entries', 'entrykind', 'kind', OLD_KINDS, NEW_KINDS),
          ('logbook_refusals', 'entrykind', 'kind', OLD_KINDS, NEW_KINDS),
          ('company_activities', 'activity', 'activity', OLD_ACTIVITIES, NEW_ACTIVITIES))


def _condition(column, values):
    return f"{column} IN (" + ", ".join(f"'{k}'" for k in values) + ")"


def _sqlite_check(table, name, column, before, after):
    """Replace the check's text in the table's stored definition (see the module's docstring)."""
    bind = op.get_bind()
    gone = sorted(set(before) - set(after))
    if gone and bind.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE {column} IN ("
                                     + ", ".join("?" * len(gone)) + ")", tuple(gone)).scalar():
        raise RuntimeError(f"{table} has rows with {column} in {gone}: they must go before this downgrade")
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
    for table, name, column, old, new in reversed(CHECKS):
        _check(table, name, column, new, old)
