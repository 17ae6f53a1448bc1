"""users.totp_secret sealed at rest (AES-256-GCM, certreg/sealed.py)

The column grows to hold the sealed form, and the secrets already stored are sealed with the
installation's key (``DATA_ENCRYPTION_KEY``, or the key derived from ``SECRET_KEY``); downgrading
opens them again.

Revision ID: 0011h
Revises: 0010b
Create Date: 2026-12-06 11:00:00

"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

from certreg import sealed

# revision identifiers, used by Alembic.
revision = '0011h'
down_revision = '0010b'
branch_labels = None
depends_on = None

CONTEXT = "users.totp_secret"
users = sa.table("users", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _rewrite(transform):
    bind = op.get_bind()
    rows = bind.execute(sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))).all()
    for row_id, value in rows:
        bind.execute(users.update().where(users.c.id == row_id).values(totp_secret=transform(value)))


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=127),
                              existing_nullable=True)
    config = current_app.config
    _rewrite(lambda v: v if v.startswith(sealed.PREFIX) else sealed.seal(v, CONTEXT, config))


def downgrade():
    config = current_app.config
    _rewrite(lambda v: sealed.unseal(v, CONTEXT, config))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=127), type_=sa.String(length=64),
                              existing_nullable=True)
