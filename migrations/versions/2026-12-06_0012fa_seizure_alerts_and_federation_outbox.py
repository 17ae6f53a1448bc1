"""seizure alerts and federation outbox

``seizure_alerts``: seizures abroad told by peer installations (certreg.inspections.alerts), once per
sender and reference. ``federation_outbox``: questions that must reach a peer even if it is down now
(seizure alerts sent by this installation), pending until answered. ``report_anomaly_reviews.kind``
may also be ``seizure_abroad`` (the table has no triggers: the SQLite batch rebuild loses nothing).

Revision ID: 0012fa
Revises: 0012c
Create Date: 2026-12-06 13:38:28.435618

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012fa'
down_revision = '0012c'
branch_labels = None
depends_on = None

OLD_KINDS = ('tamper', 'import_without_proof', 'used_without_source', 'mass_balance', 'import_surge',
             'refused_attempts', 'unconfirmed_transfer', 'chronic_leaker', 'late_entry', 'inspection_finding',
             'closed_cylinder_scanned', 'non_refillable_refill', 'cylinder_idle', 'custody_gap')
NEW_KINDS = (*OLD_KINDS, 'seizure_abroad')


def _kinds(kinds):
    with op.batch_alter_table('report_anomaly_reviews', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_report_anomaly_reviews_anomalykind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_report_anomaly_reviews_anomalykind'),
                                         "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")")


def upgrade():
    op.create_table('federation_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('peer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False, comment="The question's kind, e.g. seizure-alert"),
    sa.Column('reference', sa.String(length=120), nullable=False, comment="What it is about, e.g. the seizure's reference"),
    sa.Column('country_code', sa.String(length=2), nullable=True, comment='The country it is sent for'),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'sent', 'refused', name='outboxstate', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('answer', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['peer_id'], ['federation_peers.id'], name=op.f('fk_federation_outbox_peer_id_federation_peers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_outbox')),
    sa.UniqueConstraint('peer_id', 'kind', 'reference', name=op.f('uq_federation_outbox_peer_id_kind_reference'))
    )
    with op.batch_alter_table('federation_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federation_outbox_peer_id'), ['peer_id'], unique=False)

    op.create_table('seizure_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_url', sa.String(length=255), nullable=False, comment="The sending installation's base URL"),
    sa.Column('sender_name', sa.String(length=80), nullable=False, comment="The peer's name here"),
    sa.Column('reference', sa.String(length=120), nullable=False, comment="The seizure's reference at the sender"),
    sa.Column('country_code', sa.String(length=2), nullable=False, comment="This installation's country the goods belong to"),
    sa.Column('seizing_country', sa.String(length=2), nullable=False),
    sa.Column('seized_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=255), nullable=False, comment='Border post or place of the seizure, as sent'),
    sa.Column('origin_country', sa.String(length=2), nullable=True, comment='Alleged origin or exporting country'),
    sa.Column('kg', sa.Numeric(precision=14, scale=3), nullable=False, comment='Kilograms seized in total'),
    sa.Column('serials', sa.JSON(), nullable=False, comment='National serials of the cylinders'),
    sa.Column('goods', sa.JSON(), nullable=False, comment='Per substance: substance, kg, cylinders, serials'),
    sa.Column('logbook_id', sa.Integer(), nullable=True, comment='The holder of the cylinders, when registered here'),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint('kg >= 0', name=op.f('ck_seizure_alerts_kg_not_negative')),
    sa.ForeignKeyConstraint(['country_code'], ['countries.code'], name=op.f('fk_seizure_alerts_country_code_countries')),
    sa.ForeignKeyConstraint(['logbook_id'], ['logbooks.id'], name=op.f('fk_seizure_alerts_logbook_id_logbooks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seizure_alerts')),
    sa.UniqueConstraint('sender_url', 'reference', name=op.f('uq_seizure_alerts_sender_url_reference'))
    )
    with op.batch_alter_table('seizure_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seizure_alerts_country_code'), ['country_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_seizure_alerts_logbook_id'), ['logbook_id'], unique=False)

    _kinds(NEW_KINDS)


def downgrade():
    _kinds(OLD_KINDS)
    with op.batch_alter_table('seizure_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seizure_alerts_logbook_id'))
        batch_op.drop_index(batch_op.f('ix_seizure_alerts_country_code'))

    op.drop_table('seizure_alerts')
    with op.batch_alter_table('federation_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_federation_outbox_peer_id'))

    op.drop_table('federation_outbox')
