"""logbook settings: a company certificate for trading, and limits on late entries

``logbook_settings.company_certificate_required``: importing, exporting and selling need a valid
company certificate on the entry's date. ``late_entry_days`` / ``approval_days``: entries dated
more days before they are recorded need a reason / a certifying officer's approval (null: the
server's LOGBOOK_LATE_ENTRY_DAYS / LOGBOOK_APPROVAL_DAYS). Anomaly reviews: the ``late_entry`` kind.
``licences``: the licence register (import/export licences per company, scope, cap, validity, status).

Revision ID: 0010b
Revises: 0010a
Create Date: 2026-12-06 09:05:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010b'
down_revision = '0010a'
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
    op.create_table('licences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False, comment='As printed; unique within the country'),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.Enum('import', 'export', name='licencedirection', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('scope', sa.JSON(), nullable=False, comment='Substance codes and/or control groups (e.g. HCFC-22, C/I)'),
    sa.Column('hs_codes', sa.JSON(), nullable=False, comment='HS codes covered; empty: any'),
    sa.Column('partner_countries', sa.JSON(), nullable=False, comment='ISO codes of partner countries; empty: any'),
    sa.Column('cap_kg', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('cap_odp_t', sa.Numeric(precision=18, scale=6), nullable=True, comment='Annexes A, B, C, E: ODP tonnes'),
    sa.Column('cap_co2e_t', sa.Numeric(precision=18, scale=6), nullable=True, comment='Annex F: CO2-equivalent tonnes'),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('issuing_authority', sa.String(length=255), nullable=False),
    sa.Column('status', sa.Enum('active', 'suspended', 'revoked', 'expired', name='licencestatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('cap_kg > 0', name=op.f('ck_licences_cap_positive')),
    sa.CheckConstraint('valid_until >= valid_from', name=op.f('ck_licences_validity_ordered')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_licences_company_id_companies')),
    sa.ForeignKeyConstraint(['country_code'], ['countries.code'], name=op.f('fk_licences_country_code_countries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licences')),
    sa.UniqueConstraint('country_code', 'number', name='uq_licences_country_number')
    )
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licences_company_id'), ['company_id'], unique=False)
    with op.batch_alter_table('report_anomaly_reviews', schema=None) as batch_op:
        _kinds(batch_op, NEW_KINDS)
    with op.batch_alter_table('logbook_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_certificate_required', sa.Boolean(), server_default=sa.false(),
                                      nullable=False, comment="Importing, exporting and selling need a valid company certificate on the entry's date"))
        batch_op.add_column(sa.Column('licences_required', sa.Boolean(), server_default=sa.false(), nullable=False,
                                      comment='An import must name a licence of the licence register (else any licence text is taken)'))
        batch_op.add_column(sa.Column('late_entry_days', sa.Integer(), nullable=True,
                                      comment='Entries dated more than this many days before recording need a reason; null: the LOGBOOK_LATE_ENTRY_DAYS setting'))
        batch_op.add_column(sa.Column('approval_days', sa.Integer(), nullable=True,
                                      comment="Entries dated more than this many days before recording need an officer's approval; null: the LOGBOOK_APPROVAL_DAYS setting"))
        batch_op.create_check_constraint(batch_op.f('ck_logbook_settings_late_entry_days_not_negative'),
                                         'late_entry_days IS NULL OR late_entry_days >= 0')
        batch_op.create_check_constraint(batch_op.f('ck_logbook_settings_approval_days_not_negative'),
                                         'approval_days IS NULL OR approval_days >= 0')


def downgrade():
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licences_company_id'))
    op.drop_table('licences')
    with op.batch_alter_table('report_anomaly_reviews', schema=None) as batch_op:
        _kinds(batch_op, OLD_KINDS)
    with op.batch_alter_table('logbook_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_logbook_settings_approval_days_not_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_logbook_settings_late_entry_days_not_negative'), type_='check')
        batch_op.drop_column('approval_days')
        batch_op.drop_column('late_entry_days')
        batch_op.drop_column('licences_required')
        batch_op.drop_column('company_certificate_required')
