"""an inspection's shipment as a record

``inspections.shipment_id``: the recorded shipment (``shipments``) an inspection of a shipment names,
by its customs declaration number in the inspector's country or its id (certreg.inspections.records);
``shipment_ref`` stays for goods found with no declaration recorded, described as found. Check
``shipment_named``: an inspection of a shipment names one or the other. The table has no triggers, so
the batch rebuild on SQLite loses nothing.

Revision ID: 0014ib
Revises: 0012la
Create Date: 2026-12-06 14:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014ib'
down_revision = '0012la'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipment_id', sa.Integer(), nullable=True,
                                      comment='The recorded shipment inspected'))
        batch_op.alter_column('shipment_ref', existing_type=sa.String(length=120),
                              comment='A shipment with no customs declaration recorded (goods found undeclared): '
                                      'as described',
                              existing_comment='Shipment id as a free reference (for now)', existing_nullable=True)
        batch_op.create_index(batch_op.f('ix_inspections_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_inspections_shipment_id_shipments'), 'shipments',
                                    ['shipment_id'], ['id'])
        batch_op.create_check_constraint(
            batch_op.f('ck_inspections_shipment_named'),
            "subject_kind <> 'shipment' OR shipment_id IS NOT NULL OR shipment_ref IS NOT NULL")


def downgrade():
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_inspections_shipment_named'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_inspections_shipment_id_shipments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_inspections_shipment_id'))
        batch_op.alter_column('shipment_ref', existing_type=sa.String(length=120),
                              comment='Shipment id as a free reference (for now)',
                              existing_comment='A shipment with no customs declaration recorded (goods found '
                                               'undeclared): as described', existing_nullable=True)
        batch_op.drop_column('shipment_id')
