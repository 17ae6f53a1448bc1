"""logbook settings: a company certificate for trading, and limits on late entries

``logbook_settings.company_certificate_required``: importing, exporting and selling need a valid
company certificate on the entry's date. ``late_entry_days`` / ``approval_days``: entries dated
more days before they are recorded need a reason / a certifying officer's approval (null: the
server's LOGBOOK_LATE_ENTRY_DAYS / LOGBOOK_APPROVAL_DAYS). Anomaly reviews: the ``late_entry`` kind.

Revision ID: 0010b
Revises: 0009c
Create Date: 2026-12-06 09:05:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010b'
down_revision = '0009c'
branch_labels = None
depends_on = None


OLD_KINDS = ('tamper', 'import_without_proof', 'used_without_source', 'mass_balance', 'import_surge',
             'refused_attempts', 'unconfirmed_transfer', 'chronic_leaker')
NEW_KINDS = (*OLD_KINDS, 'late_entry')


def _kinds(batch_op, kinds):
    batch_op.drop_constraint(batch_op.f('ck_report_anomaly_reviews_anomalykind'), type_='check')
    batch_op.create_check_constraint(batch_op.f('ck_report_anomaly_reviews_anomalykind'),
                                     "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")")


def upgrade():
    with op.batch_alter_table('report_anomaly_reviews', schema=None) as batch_op:
        _kinds(batch_op, NEW_KINDS)
    with op.batch_alter_table('logbook_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_certificate_required', sa.Boolean(), server_default=sa.false(),
                                      nullable=False, comment="Importing, exporting and selling need a valid company certificate on the entry's date"))
        batch_op.add_column(sa.Column('late_entry_days', sa.Integer(), nullable=True,
                                      comment='Entries dated more than this many days before recording need a reason; null: the LOGBOOK_LATE_ENTRY_DAYS setting'))
        batch_op.add_column(sa.Column('approval_days', sa.Integer(), nullable=True,
                                      comment="Entries dated more than this many days before recording need an officer's approval; null: the LOGBOOK_APPROVAL_DAYS setting"))
        batch_op.create_check_constraint(batch_op.f('ck_logbook_settings_late_entry_days_not_negative'),
                                         'late_entry_days IS NULL OR late_entry_days >= 0')
        batch_op.create_check_constraint(batch_op.f('ck_logbook_settings_approval_days_not_negative'),
                                         'approval_days IS NULL OR approval_days >= 0')


def downgrade():
    with op.batch_alter_table('report_anomaly_reviews', schema=None) as batch_op:
        _kinds(batch_op, OLD_KINDS)
    with op.batch_alter_table('logbook_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_logbook_settings_approval_days_not_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_logbook_settings_late_entry_days_not_negative'), type_='check')
        batch_op.drop_column('approval_days')
        batch_op.drop_column('late_entry_days')
        batch_op.drop_column('company_certificate_required')
