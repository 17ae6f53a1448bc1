"""logbook entries: one key for the logbook and its country

``logbook_entries`` pointed at ``countries`` (``country_code``) and at ``logbooks`` (``logbook_id``) by two keys,
so an entry could name one country and another country's logbook (the service never wrote one). One
composite key ``(logbook_id, country_code) -> logbooks (id, country_code)`` now does both (the logbook's own key
points at ``countries``): it refuses that mismatch, and every row written pays one look-up instead of two, the
CSV import's floor (``bench/composite_fk.py``: 0.69x on PostgreSQL, 0.96x on SQLite). ``logbooks`` gets the
unique index the key points at.

The existing rows are checked by the database: on PostgreSQL adding the key validates them; on SQLite the key
is written into the stored table definition (SQLite's documented ``writable_schema`` procedure, as 0012la and
0015fo: a batch copy would drop the append-only triggers), then ``PRAGMA foreign_key_check`` must find
nothing, or the upgrade fails and changes nothing.

Revision ID: 0016ck
Revises: 0015fo
Create Date: 2026-12-06 21:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016ck'
down_revision = '0015fo'
branch_labels = None
depends_on = None

COUNTRY = "CONSTRAINT fk_logbook_entries_country_code_countries FOREIGN KEY(country_code) REFERENCES countries (code)"
LOGBOOK = "CONSTRAINT fk_logbook_entries_logbook_id_logbooks FOREIGN KEY(logbook_id) REFERENCES logbooks (id)"
BOTH = ("CONSTRAINT fk_logbook_entries_logbook_id_logbooks FOREIGN KEY(logbook_id, country_code) "
        "REFERENCES logbooks (id, country_code)")


def _sqlite_keys(before: tuple[str, ...], after: tuple[str, ...]) -> None:
    """Replace ``before``'s key clauses by ``after``'s in the stored definition of ``logbook_entries``, then have
    SQLite check every row against the keys (see the module's docstring)."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'logbook_entries'"
                               ).scalar()
    for clause in before:
        if sql.count(clause + ", ") != 1:
            raise RuntimeError(f"logbook_entries: the key clause {clause!r} is not as expected")
        sql = sql.replace(clause + ", ", "")
    position = sql.index("CONSTRAINT uq_logbook_entries_country_code_seq")
    sql = sql[:position] + "".join(clause + ", \n\t" for clause in after) + sql[position:]
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'logbook_entries'", (sql,))
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    wrong = bind.exec_driver_sql("PRAGMA foreign_key_check(logbook_entries)").fetchall()
    if wrong:
        raise RuntimeError(f"logbook_entries: {len(wrong)} rows do not match the new keys, e.g. {wrong[:3]}")


def upgrade():
    op.create_index('uq_logbooks_id_country_code', 'logbooks', ['id', 'country_code'], unique=True)
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_keys((COUNTRY, LOGBOOK), (BOTH,))
        return
    op.drop_constraint('fk_logbook_entries_country_code_countries', 'logbook_entries', type_='foreignkey')
    op.drop_constraint('fk_logbook_entries_logbook_id_logbooks', 'logbook_entries', type_='foreignkey')
    op.create_foreign_key('fk_logbook_entries_logbook_id_logbooks', 'logbook_entries', 'logbooks',
                          ['logbook_id', 'country_code'], ['id', 'country_code'])


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_keys((BOTH,), (COUNTRY, LOGBOOK))
    else:
        op.drop_constraint('fk_logbook_entries_logbook_id_logbooks', 'logbook_entries', type_='foreignkey')
        op.create_foreign_key('fk_logbook_entries_logbook_id_logbooks', 'logbook_entries', 'logbooks',
                              ['logbook_id'], ['id'])
        op.create_foreign_key('fk_logbook_entries_country_code_countries', 'logbook_entries', 'countries',
                              ['country_code'], ['code'])
    op.drop_index('uq_logbooks_id_country_code', table_name='logbooks')
