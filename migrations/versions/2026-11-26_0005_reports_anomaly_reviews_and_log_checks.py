"""reports: anomaly reviews and tamper-check results

``report_anomaly_reviews``: anomalies an administrator marked as reviewed, with a note
(identified by the fingerprint of the anomaly and its evidence). ``report_log_checks``:
each run of the tamper check over a country's log, with its report. Everything else the
reports show is computed from the logbooks.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 05:05:40.680094

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_log_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('entries', sa.BigInteger(), nullable=False, comment='Entries read'),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('checked_by_label', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['country_code'], ['countries.code'], name=op.f('fk_report_log_checks_country_code_countries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_log_checks'))
    )
    with op.batch_alter_table('report_log_checks', schema=None) as batch_op:
        batch_op.create_index('ix_report_log_checks_country_id', ['country_code', 'id'], unique=False)

    op.create_table('report_anomaly_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('kind', sa.Enum('tamper', 'import_without_proof', 'used_without_source', 'mass_balance', 'import_surge', 'refused_attempts', 'unconfirmed_transfer', 'chronic_leaker', name='anomalykind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('logbook_id', sa.Integer(), nullable=True, comment="The holder; null for a country's log as a whole"),
    sa.Column('equipment_id', sa.Integer(), nullable=True, comment='Chronic leakers: the equipment'),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False, comment='The period the anomaly was found in'),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('score', sa.Numeric(precision=8, scale=1), nullable=False, comment='The score when reviewed'),
    sa.Column('facts', sa.JSON(), nullable=False, comment="The anomaly's figures when reviewed"),
    sa.Column('note', sa.Text(), nullable=False, comment='What the reviewer found or decided'),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('reviewed_by_user_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by_label', sa.String(length=255), nullable=False),
    sa.CheckConstraint('period_to >= period_from', name=op.f('ck_report_anomaly_reviews_period_in_order')),
    sa.ForeignKeyConstraint(['country_code'], ['countries.code'], name=op.f('fk_report_anomaly_reviews_country_code_countries')),
    sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'], name=op.f('fk_report_anomaly_reviews_equipment_id_equipment')),
    sa.ForeignKeyConstraint(['logbook_id'], ['logbooks.id'], name=op.f('fk_report_anomaly_reviews_logbook_id_logbooks')),
    sa.ForeignKeyConstraint(['reviewed_by_user_id'], ['users.id'], name=op.f('fk_report_anomaly_reviews_reviewed_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_anomaly_reviews')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_report_anomaly_reviews_fingerprint'))
    )
    with op.batch_alter_table('report_anomaly_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_report_anomaly_reviews_country_kind', ['country_code', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_anomaly_reviews_logbook_id'), ['logbook_id'], unique=False)


def downgrade():
    with op.batch_alter_table('report_anomaly_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_anomaly_reviews_logbook_id'))
        batch_op.drop_index('ix_report_anomaly_reviews_country_kind')

    op.drop_table('report_anomaly_reviews')
    with op.batch_alter_table('report_log_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_report_log_checks_country_id')

    op.drop_table('report_log_checks')
