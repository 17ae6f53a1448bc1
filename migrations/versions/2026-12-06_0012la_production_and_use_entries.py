"""logbook: production and use entries; the producer activity

``logbook_entries.kind`` and ``logbook_refusals.kind`` may also be ``production``,
``feedstock_use``, ``qps_use`` and ``exempted_use`` (certreg.logbook.use_rules);
``company_activities.activity`` may also be ``producer``. No column changes: the uses keep
their exempted use and decision in ``exempted_use`` / ``exemption_reference``, so the
canonical form of every entry is unchanged. SQLite's batch mode rebuilds the tables: the
append-only triggers of ``logbook_entries`` (migration 0004) are put back.

Revision ID: 0012la
Revises: 0012c
Create Date: 2026-12-06 14:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012la'
down_revision = '0012c'
branch_labels = None
depends_on = None


OLD_KINDS = ('import', 'export', 'purchase', 'sale', 'charge', 'recovery', 'recycling', 'reclamation',
             'sent_for_destruction', 'destroyed', 'stock_count', 'reversal')
NEW_KINDS = (*OLD_KINDS, 'production', 'feedstock_use', 'qps_use', 'exempted_use')
OLD_ACTIVITIES = ('importer', 'exporter', 'dealer', 'service', 'equipment_owner', 'reclaimer', 'destruction',
                  'training')
NEW_ACTIVITIES = (*OLD_ACTIVITIES, 'producer')


def _check(table, name, column, values):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(f'ck_{table}_{name}'), type_='check')
        batch_op.create_check_constraint(batch_op.f(f'ck_{table}_{name}'),
                                         f"{column} IN (" + ", ".join(f"'{k}'" for k in values) + ")")


def _sqlite_append_only_again():
    """SQLite's batch mode rebuilt ``logbook_entries`` (a new table): put back 0004's append-only triggers."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS logbook_entries_no_{action.lower()}")
        op.execute(f"CREATE TRIGGER logbook_entries_no_{action.lower()} BEFORE {action} ON logbook_entries BEGIN "
                   f"SELECT RAISE(ABORT, 'append-only: {action} on logbook_entries refused'); END")


def upgrade():
    _check('logbook_entries', 'entrykind', 'kind', NEW_KINDS)
    _sqlite_append_only_again()
    _check('logbook_refusals', 'entrykind', 'kind', NEW_KINDS)
    _check('company_activities', 'activity', 'activity', NEW_ACTIVITIES)


def downgrade():
    _check('company_activities', 'activity', 'activity', OLD_ACTIVITIES)
    _check('logbook_refusals', 'entrykind', 'kind', OLD_KINDS)
    _check('logbook_entries', 'entrykind', 'kind', OLD_KINDS)
    _sqlite_append_only_again()
