"""cylinders: custody events are leaves of the country's log; logbook serials name cylinders of the register

``cylinder_events`` gains its place in the country's Merkle log (``country_code``, ``seq``,
``leaf_hash``, ``mac``; positions shared with ``logbook_entries``) and the logbook entry that
caused it (``entry_id``); kinds ``lost`` and ``reversal``; triggers refuse ``UPDATE``,
``DELETE`` (and ``TRUNCATE``) on it, as on the logbook's records. Events recorded before this
revision stay outside the log (``seq`` null; ``flask logbook verify`` names them).

``cylinders`` may now hold an *unregistered* cylinder (``needs_registration``): one known only
by a serial typed on logbook entries (kept in ``stamp_number``), with no national serial,
kind, capacity, owner or label until it is registered. Data: every serial on an existing
entry that names no cylinder of the entry's country (national serial, GRAI or stamp number)
becomes such a record, in the custody of the holder of the last entry naming it.

Revision ID: 0011a
Revises: 0011d
Create Date: 2026-12-06 10:45:00

"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011a'
down_revision = '0011d'
branch_labels = None
depends_on = None

OLD_KINDS = ('register', 'fill', 'charge', 'recovery', 'transfer', 'return', 'reclaim', 'destroy')
NEW_KINDS = (*OLD_KINDS, 'lost', 'reversal')
NULLABLE = (('serial', sa.String(length=32)), ('kind', sa.String(length=16)),
            ('water_capacity_l', sa.Numeric(precision=10, scale=2)), ('tare_kg', sa.Numeric(precision=14, scale=3)),
            ('owner_company_id', sa.Integer()), ('status_index', sa.Integer()), ('kid', sa.String(length=16)),
            ('token', sa.Text()))
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def _kinds(batch_op, table, kinds):
    batch_op.drop_constraint(batch_op.f(f'ck_{table}_eventkind'), type_='check')
    batch_op.create_check_constraint(batch_op.f(f'ck_{table}_eventkind'), "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")")


def upgrade():
    with op.batch_alter_table('cylinder_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country_code', sa.String(length=2), nullable=True,
                                      comment='The log the event is a leaf of'))
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True,
                                      comment="Position in the country's log (with the entries)"))
        batch_op.add_column(sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True,
                                      comment='The logbook entry that caused the event'))
        batch_op.add_column(sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('mac', sa.LargeBinary(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_cylinder_events_entry_id'), ['entry_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_cylinder_events_country_code_seq'), ['country_code', 'seq'])
        batch_op.create_foreign_key(batch_op.f('fk_cylinder_events_country_code_countries'), 'countries',
                                    ['country_code'], ['code'])
        batch_op.create_foreign_key(batch_op.f('fk_cylinder_events_entry_id_logbook_entries'), 'logbook_entries',
                                    ['entry_id'], ['id'])
        _kinds(batch_op, 'cylinder_events', NEW_KINDS)
    with op.batch_alter_table('cylinder_refusals', schema=None) as batch_op:
        _kinds(batch_op, 'cylinder_refusals', NEW_KINDS)
    op.execute("UPDATE cylinder_events SET country_code = (SELECT country_code FROM cylinders "
               "WHERE cylinders.id = cylinder_events.cylinder_id)")

    with op.batch_alter_table('cylinders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_registration', sa.Boolean(), server_default=sa.false(), nullable=False,
                                      comment='Known only as a serial typed on logbook entries (stamp_number): '
                                              'to be registered'))
        for name, type_ in NULLABLE:
            batch_op.alter_column(name, existing_type=type_, nullable=True)
        batch_op.alter_column('serial', existing_type=sa.String(length=32), nullable=True,
                              comment='National serial CC-C-NNNNNN-D, see numbers.py; null until an unregistered '
                                      'cylinder is registered',
                              existing_comment='National serial CC-C-NNNNNN-D, see numbers.py')
        batch_op.create_index(batch_op.f('ix_cylinders_needs_registration'), ['needs_registration'], unique=False)
        batch_op.create_index('uq_cylinders_unregistered_serial', ['country_code', 'stamp_number'], unique=True,
                              sqlite_where=sa.text('needs_registration'),
                              postgresql_where=sa.text('needs_registration'))
        batch_op.create_check_constraint(
            batch_op.f('ck_cylinders_registered_complete'),
            "needs_registration OR (serial IS NOT NULL AND kind IS NOT NULL AND water_capacity_l IS NOT NULL AND "
            "tare_kg IS NOT NULL AND owner_company_id IS NOT NULL AND status_index IS NOT NULL AND kid IS NOT NULL "
            "AND token IS NOT NULL)")
        batch_op.create_check_constraint(batch_op.f('ck_cylinders_unregistered_has_serial'),
                                         "NOT needs_registration OR stamp_number IS NOT NULL")
    flag_unknown_serials()
    create_append_only_triggers()


def create_append_only_triggers():
    """Custody events are append-only for every role, like logbook entries (0004's function on PostgreSQL)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER cylinder_events_append_only BEFORE UPDATE OR DELETE ON cylinder_events "
                   "FOR EACH ROW EXECUTE FUNCTION logbook_append_only()")
        op.execute("CREATE TRIGGER cylinder_events_no_truncate BEFORE TRUNCATE ON cylinder_events "
                   "FOR EACH STATEMENT EXECUTE FUNCTION logbook_append_only()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER cylinder_events_no_{action.lower()} BEFORE {action} ON cylinder_events "
                       f"BEGIN SELECT RAISE(ABORT, 'append-only: {action} on cylinder_events refused'); END")


def drop_append_only_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS cylinder_events_append_only ON cylinder_events")
        op.execute("DROP TRIGGER IF EXISTS cylinder_events_no_truncate ON cylinder_events")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS cylinder_events_no_{action}")


def _compact(text):
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "")).upper()


def flag_unknown_serials():
    """Every serial of an entry that names no cylinder of its country becomes an unregistered cylinder."""
    bind = op.get_bind()
    known = {}
    for country, serial, grai, stamp in bind.execute(sa.text(
            "SELECT country_code, serial, grai, stamp_number FROM cylinders")):
        names = known.setdefault(country, set())
        names.update(n for n in (serial and _compact(serial), grai, stamp) if n)
    latest = {}  # (country, serial as typed) -> (holder kind, holder id), from the last entry naming it
    for country, serial, company_id, technician_id in bind.execute(sa.text(
            "SELECT e.country_code, c.serial, l.company_id, l.technician_id FROM logbook_entry_cylinders c "
            "JOIN logbook_entries e ON e.id = c.entry_id JOIN logbooks l ON l.id = e.logbook_id "
            "ORDER BY e.country_code, e.seq")):
        names = known.get(country, set())
        if serial in names or _compact(serial) in names:
            continue
        latest[(country, serial)] = (company_id, technician_id)
    rows = [{"country_code": country, "stamp_number": serial, "needs_registration": True,
             "custodian_company_id": company_id, "custodian_technician_id": technician_id,
             "status": "in_stock" if company_id is not None else "with_technician", "net_kg": 0, "fills": 0,
             "mixed": False}
            for (country, serial), (company_id, technician_id) in sorted(latest.items())]
    if rows:
        cylinders = sa.table('cylinders', *(sa.column(name) for name in rows[0]))
        op.bulk_insert(cylinders, rows)


def downgrade():
    drop_append_only_triggers()
    op.execute("DELETE FROM cylinders WHERE needs_registration")
    with op.batch_alter_table('cylinders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_cylinders_unregistered_has_serial'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_cylinders_registered_complete'), type_='check')
        batch_op.drop_index('uq_cylinders_unregistered_serial', sqlite_where=sa.text('needs_registration'),
                            postgresql_where=sa.text('needs_registration'))
        batch_op.drop_index(batch_op.f('ix_cylinders_needs_registration'))
        for name, type_ in NULLABLE:
            batch_op.alter_column(name, existing_type=type_, nullable=False)
        batch_op.alter_column('serial', existing_type=sa.String(length=32), nullable=False,
                              comment='National serial CC-C-NNNNNN-D, see numbers.py',
                              existing_comment='National serial CC-C-NNNNNN-D, see numbers.py; null until an '
                                               'unregistered cylinder is registered')
        batch_op.drop_column('needs_registration')
    op.execute("DELETE FROM cylinder_events WHERE kind IN ('lost', 'reversal')")
    op.execute("DELETE FROM cylinder_refusals WHERE kind IN ('lost', 'reversal')")
    with op.batch_alter_table('cylinder_refusals', schema=None) as batch_op:
        _kinds(batch_op, 'cylinder_refusals', OLD_KINDS)
    with op.batch_alter_table('cylinder_events', schema=None) as batch_op:
        _kinds(batch_op, 'cylinder_events', OLD_KINDS)
        batch_op.drop_constraint(batch_op.f('fk_cylinder_events_entry_id_logbook_entries'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_cylinder_events_country_code_countries'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_cylinder_events_country_code_seq'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_cylinder_events_entry_id'))
        batch_op.drop_column('mac')
        batch_op.drop_column('leaf_hash')
        batch_op.drop_column('entry_id')
        batch_op.drop_column('seq')
        batch_op.drop_column('country_code')
