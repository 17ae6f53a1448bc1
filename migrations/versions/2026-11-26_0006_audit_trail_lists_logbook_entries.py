"""audit trail: logbook entries listed by country and time

The audit trail shows a country's logbook entries and reversals among its audit entries,
newest first; this index lets it read a page without sorting the whole logbook.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('logbook_entries', schema=None) as batch_op:
        batch_op.create_index('ix_logbook_entries_country_recorded_at', ['country_code', 'recorded_at'], unique=False)


def downgrade():
    with op.batch_alter_table('logbook_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_logbook_entries_country_recorded_at')
