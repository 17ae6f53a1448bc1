"""quick entries made offline: the phone's client id on an intervention

``equipment_interventions.client_id`` (unique) and ``client_digest``: a technician's quick
charge or recovery synced from the phone's offline queue is recorded once per client id; the
same id sent again with another body is refused (certreg.logbook.quick_entries). The table has
no triggers, so the batch rebuild on SQLite loses nothing.

Revision ID: 0013q
Revises: 0012fa
Create Date: 2026-12-06 14:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013q'
down_revision = '0012fa'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('equipment_interventions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.String(length=36), nullable=True,
                                      comment='The UUID the phone made for a quick entry (recorded once)'))
        batch_op.add_column(sa.Column('client_digest', sa.String(length=64), nullable=True,
                                      comment='SHA-256 hex of the quick entry as first sent (the same id with '
                                              'another body: 409)'))
        batch_op.create_unique_constraint(batch_op.f('uq_equipment_interventions_client_id'), ['client_id'])
        batch_op.create_check_constraint(batch_op.f('ck_equipment_interventions_client_id_has_digest'),
                                         '(client_id IS NULL) = (client_digest IS NULL)')


def downgrade():
    with op.batch_alter_table('equipment_interventions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_equipment_interventions_client_id_has_digest'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_equipment_interventions_client_id'), type_='unique')
        batch_op.drop_column('client_digest')
        batch_op.drop_column('client_id')
