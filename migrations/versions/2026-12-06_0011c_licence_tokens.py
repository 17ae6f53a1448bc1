"""licences: the signed licence token printed in the document's QR, and its key

``licences.token``: the signed token (certreg.licences.token), null until the document is first
printed (or after the licence's terms change); ``licences.kid``: the key that signed it (how long
a retired key stays in the trust list).

Revision ID: 0011c
Revises: 0011i
Create Date: 2026-12-06 11:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011c'
down_revision = '0011i'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.Text(), nullable=True, comment="Signed licence token (certreg.licences.token) printed in the document's QR; null: not yet signed"))
        batch_op.add_column(sa.Column('kid', sa.String(length=16), nullable=True, comment='base64url kid of the signing key'))
        batch_op.create_index(batch_op.f('ix_licences_kid'), ['kid'], unique=False)


def downgrade():
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licences_kid'))
        batch_op.drop_column('kid')
        batch_op.drop_column('token')
