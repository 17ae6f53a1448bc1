"""anomaly reviews: the custody gap anomaly kind

``report_anomaly_reviews.kind`` may also be ``custody_gap`` (certreg.reports.cylinder_anomalies):
a holder's stock count misses cylinders it holds. The table has no triggers, so the batch
rebuild on SQLite loses nothing.

Revision ID: 0012c
Revises: 0011b
Create Date: 2026-12-06 12:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012c'
down_revision = '0011b'
branch_labels = None
depends_on = None


OLD_KINDS = ('tamper', 'import_without_proof', 'used_without_source', 'mass_balance', 'import_surge',
             'refused_attempts', 'unconfirmed_transfer', 'chronic_leaker', 'late_entry', 'inspection_finding',
             'closed_cylinder_scanned', 'non_refillable_refill', 'cylinder_idle')
NEW_KINDS = (*OLD_KINDS, 'custody_gap')


def _kinds(kinds):
    with op.batch_alter_table('report_anomaly_reviews', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_report_anomaly_reviews_anomalykind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_report_anomaly_reviews_anomalykind'),
                                         "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")")


def upgrade():
    _kinds(NEW_KINDS)


def downgrade():
    _kinds(OLD_KINDS)
