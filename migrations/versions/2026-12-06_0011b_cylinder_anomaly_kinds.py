"""anomaly reviews: the cylinder anomaly kinds

``report_anomaly_reviews.kind`` may also be ``closed_cylinder_scanned``, ``non_refillable_refill``
and ``cylinder_idle`` (certreg.reports.cylinder_anomalies).

Revision ID: 0011b
Revises: 0011f
Create Date: 2026-12-06 11:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011b'
down_revision = '0011f'
branch_labels = None
depends_on = None


OLD_KINDS = ('tamper', 'import_without_proof', 'used_without_source', 'mass_balance', 'import_surge',
             'refused_attempts', 'unconfirmed_transfer', 'chronic_leaker', 'late_entry', 'inspection_finding')
NEW_KINDS = (*OLD_KINDS, 'closed_cylinder_scanned', 'non_refillable_refill', 'cylinder_idle')


def _kinds(kinds):
    with op.batch_alter_table('report_anomaly_reviews', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_report_anomaly_reviews_anomalykind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_report_anomaly_reviews_anomalykind'),
                                         "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")")


def upgrade():
    _kinds(NEW_KINDS)


def downgrade():
    _kinds(OLD_KINDS)
