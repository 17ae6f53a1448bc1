"""logbook: stored perfect subtrees of the Merkle logs

``logbook_log_nodes``: the root of every perfect subtree of at least 1,024 leaves, written
by the append that completes it, so an inclusion proof reads stored nodes and a few
thousand leaves instead of the whole log. Subtrees completed before this migration are not
stored: proofs over them hash their leaves, as before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 11:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('logbook_log_nodes',
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.ForeignKeyConstraint(['country_code'], ['countries.code'], name=op.f('fk_logbook_log_nodes_country_code_countries')),
    sa.PrimaryKeyConstraint('country_code', 'level', 'position', name=op.f('pk_logbook_log_nodes'))
    )


def downgrade():
    op.drop_table('logbook_log_nodes')
