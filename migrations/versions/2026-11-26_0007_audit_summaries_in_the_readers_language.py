"""audit summaries in the reader's language

``audit_entries.summary_msgid`` and ``summary_params``: the summary as a translatable message
and its values (``certreg.audit.services.msg``); ``summary`` keeps the English text for search
and export. Rows written before keep their text as it is.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 10:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary_msgid', sa.Text(), nullable=True,
                                      comment="The summary's translatable message (shown in the reader's language), if any"))
        batch_op.add_column(sa.Column('summary_params', sa.JSON(), nullable=True, comment="The message's values"))
        batch_op.alter_column('summary', existing_type=sa.String(length=255), comment='In English, for search and export',
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('summary', existing_type=sa.String(length=255), comment=None, existing_nullable=False)
        batch_op.drop_column('summary_params')
        batch_op.drop_column('summary_msgid')
