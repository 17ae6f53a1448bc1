"""shipments and iPIC

``shipments``: shipments expected at the border (declaration, importer, goods, HS code, substance, kg,
cylinders, licence, exporter, countries, transport, border post), customs' decision and the import entry a
release recorded, the importer's confirmation. ``ipic_questions``: iPIC questions and answers, each kept
as its signed document.

Revision ID: 0011e
Revises: 0011g
Create Date: 2026-12-06 10:40:55.024295

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011e'
down_revision = '0011g'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ipic_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asking_country', sa.String(length=2), nullable=False, comment="The exporting country's ozone unit"),
    sa.Column('answering_country', sa.String(length=2), nullable=False, comment="The importing country's register"),
    sa.Column('importer_registration', sa.String(length=64), nullable=False),
    sa.Column('substance_code', sa.String(length=32), nullable=False),
    sa.Column('kg', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('question_token', sa.Text(), nullable=False, comment="COSE_Sign1, base32: the asking country's key"),
    sa.Column('answer', sa.Enum('yes', 'no', 'unknown_importer', name='ipicanswer', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('licence_number', sa.String(length=64), nullable=True),
    sa.Column('remaining_kg', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('answer_token', sa.Text(), nullable=False, comment="COSE_Sign1, base32: the answering country's key"),
    sa.Column('asked_by_label', sa.String(length=255), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint('kg > 0', name=op.f('ck_ipic_questions_kg_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ipic_questions'))
    )
    with op.batch_alter_table('ipic_questions', schema=None) as batch_op:
        batch_op.create_index('ix_ipic_questions_lookup', ['answering_country', 'importer_registration', 'substance_code', 'year'], unique=False)

    op.create_table('shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False, comment='The importing country'),
    sa.Column('declaration_number', sa.String(length=64), nullable=False, comment='Customs declaration number; unique in the country'),
    sa.Column('importer_id', sa.Integer(), nullable=False),
    sa.Column('goods', sa.Enum('substance', 'equipment', 'extinguisher', name='goods', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('product_description', sa.String(length=255), nullable=True, comment='Of equipment or extinguishers'),
    sa.Column('units', sa.Integer(), nullable=True, comment='Pieces of equipment or extinguishers'),
    sa.Column('hs_code', sa.String(length=32), nullable=False, comment='As declared (digits, with or without dots)'),
    sa.Column('substance_code', sa.String(length=32), nullable=False),
    sa.Column('kg', sa.Numeric(precision=14, scale=3), nullable=False, comment='Kilograms of the substance (contained, for products)'),
    sa.Column('cylinder_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cylinder_serials', sa.JSON(), nullable=False, comment='Serials as on the cylinders'),
    sa.Column('import_licence', sa.String(length=64), nullable=False),
    sa.Column('exporter_name', sa.String(length=255), nullable=False),
    sa.Column('exporting_country', sa.String(length=2), nullable=False),
    sa.Column('origin_country', sa.String(length=2), nullable=False),
    sa.Column('transport_mode', sa.Enum('road', 'rail', 'sea', 'air', 'post', name='transportmode', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('border_post', sa.String(length=120), nullable=False),
    sa.Column('expected_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('expected', 'released', 'held', 'refused', 'seized', name='shipmentstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_label', sa.String(length=255), nullable=True),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='The import entry the release recorded'),
    sa.Column('receipt', sa.Enum('pending', 'confirmed', 'disputed', name='receipt', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('receipt_note', sa.Text(), nullable=True),
    sa.Column('receipt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('receipt_by_label', sa.String(length=255), nullable=True),
    sa.Column('recorded_by_label', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('cylinder_count >= 0', name=op.f('ck_shipments_cylinders_not_negative')),
    sa.CheckConstraint('kg > 0', name=op.f('ck_shipments_kg_positive')),
    sa.ForeignKeyConstraint(['country_code'], ['countries.code'], name=op.f('fk_shipments_country_code_countries')),
    sa.ForeignKeyConstraint(['entry_id'], ['logbook_entries.id'], name=op.f('fk_shipments_entry_id_logbook_entries')),
    sa.ForeignKeyConstraint(['importer_id'], ['companies.id'], name=op.f('fk_shipments_importer_id_companies')),
    sa.ForeignKeyConstraint(['substance_code'], ['substances.code'], name=op.f('fk_shipments_substance_code_substances')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments')),
    sa.UniqueConstraint('country_code', 'declaration_number', name='uq_shipments_country_declaration')
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index('ix_shipments_country_status', ['country_code', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_importer_id'), ['importer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_importer_id'))
        batch_op.drop_index('ix_shipments_country_status')

    op.drop_table('shipments')
    with op.batch_alter_table('ipic_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_ipic_questions_lookup')

    op.drop_table('ipic_questions')
