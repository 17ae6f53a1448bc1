"""anomaly assignments, and the ``anomaly_assigned`` notice

``anomaly_assignments``: who is to look into an anomaly (appended; the newest row is current).
The outbox and the notice choices learn the ``anomaly_assigned`` and ``shipment_awaiting`` kinds.

Revision ID: 0011i
Revises: 0011h
Create Date: 2026-12-06 11:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011i'
down_revision = '0011h'
branch_labels = None
depends_on = None

OLD_KINDS = ('certificate_expiring', 'certificate_status', 'transfer_pending', 'transfer_disputed', 'new_sign_in',
             'password_reset')
NEW_KINDS = (*OLD_KINDS, 'anomaly_assigned', 'shipment_awaiting')


def _kinds(kinds):
    check = "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"
    for table in ('outbox', 'notice_opt_outs'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_noticekind'), type_='check')
            batch_op.create_check_constraint(batch_op.f(f'ck_{table}_noticekind'), check)


def upgrade():
    op.create_table('anomaly_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False, comment='An AnomalyKind value'),
    sa.Column('logbook_id', sa.Integer(), nullable=True, comment="Null: the country's log as a whole"),
    sa.Column('equipment_id', sa.Integer(), nullable=True),
    sa.Column('assignee_user_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('assigned_by_user_id', sa.Integer(), nullable=True),
    sa.Column('assigned_by_label', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_user_id'], ['users.id'],
                            name=op.f('fk_anomaly_assignments_assigned_by_user_id_users')),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['users.id'],
                            name=op.f('fk_anomaly_assignments_assignee_user_id_users')),
    sa.ForeignKeyConstraint(['country_code'], ['countries.code'],
                            name=op.f('fk_anomaly_assignments_country_code_countries')),
    sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'],
                            name=op.f('fk_anomaly_assignments_equipment_id_equipment')),
    sa.ForeignKeyConstraint(['logbook_id'], ['logbooks.id'], name=op.f('fk_anomaly_assignments_logbook_id_logbooks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anomaly_assignments'))
    )
    with op.batch_alter_table('anomaly_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_anomaly_assignments_subject', ['country_code', 'kind', 'logbook_id', 'equipment_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_anomaly_assignments_assignee_user_id'), ['assignee_user_id'],
                              unique=False)
    _kinds(NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM outbox WHERE kind IN ('anomaly_assigned', 'shipment_awaiting')")
    op.execute("DELETE FROM notice_opt_outs WHERE kind IN ('anomaly_assigned', 'shipment_awaiting')")
    _kinds(OLD_KINDS)
    with op.batch_alter_table('anomaly_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anomaly_assignments_assignee_user_id'))
        batch_op.drop_index('ix_anomaly_assignments_subject')
    op.drop_table('anomaly_assignments')
