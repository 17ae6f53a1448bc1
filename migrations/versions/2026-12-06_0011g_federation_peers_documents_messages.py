"""federation: the federation key, peers, their last good documents, publications, questions

``federation_keys``: this installation's federation key (public half; the private key is a file).
``federation_peers``: peer installations with their pinned fingerprint. ``federation_peer_documents``:
the last good copy of each document a peer publishes. ``federation_publications``: what this
installation published (sequence numbers). ``federation_messages``: signed questions, both ways
(one answered nonce per peer and direction: replay protection).

Revision ID: 0011g
Revises: 0011a
Create Date: 2026-12-06 10:41:49.755642

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011g'
down_revision = '0011a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('federation_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=16), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False, comment='RFC 7638 SHA-256 thumbprint, 64 hex digits'),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_keys')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_federation_keys_fingerprint')),
    sa.UniqueConstraint('kid', name=op.f('uq_federation_keys_kid'))
    )
    op.create_table('federation_peers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False, comment="What users see, e.g. 'Kazakhstan (Astana)'"),
    sa.Column('base_url', sa.String(length=255), nullable=False, comment='https://host[:port][/path], no trailing slash'),
    sa.Column('fingerprint', sa.String(length=64), nullable=False, comment='Pinned federation key, RFC 7638 SHA-256 hex'),
    sa.Column('status', sa.Enum('active', 'suspended', 'removed', name='peerstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True, comment='Last sync or question tried'),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True, comment='Last time the peer answered well'),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_peers')),
    sa.UniqueConstraint('base_url', name=op.f('uq_federation_peers_base_url'))
    )
    op.create_table('federation_publications',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False, comment='Grows by one with each new content'),
    sa.Column('content_hash', sa.String(length=64), nullable=False, comment='SHA-256 of what the content says (not of its signatures)'),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed', sa.LargeBinary(), nullable=False, comment='The COSE_Sign1 document as served'),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_federation_publications'))
    )
    op.create_table('federation_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('peer_id', sa.Integer(), nullable=True),
    sa.Column('direction', sa.Enum('in', 'out', name='direction', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False, comment='The question handler, e.g. certificate-status'),
    sa.Column('nonce', sa.String(length=32), nullable=False, comment="Hex of the request's 16 random bytes"),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('outcome', sa.Enum('answered', 'refused', 'no_answer', name='outcome', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('question', sa.JSON(), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['peer_id'], ['federation_peers.id'], name=op.f('fk_federation_messages_peer_id_federation_peers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_messages'))
    )
    with op.batch_alter_table('federation_messages', schema=None) as batch_op:
        batch_op.create_index('ix_federation_messages_peer_at', ['peer_id', 'direction', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_federation_messages_peer_id'), ['peer_id'], unique=False)
        batch_op.create_index('uq_federation_messages_nonce', ['peer_id', 'direction', 'nonce'], unique=True, sqlite_where=sa.text("outcome = 'answered'"), postgresql_where=sa.text("outcome = 'answered'"))

    op.create_table('federation_peer_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('peer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False, comment='trust-list, status/certificates, ...'),
    sa.Column('sequence', sa.BigInteger(), nullable=False, comment="The peer's sequence number of this document"),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False, comment='When the peer signed it'),
    sa.Column('etag', sa.String(length=80), nullable=True),
    sa.Column('body', sa.JSON(), nullable=False, comment='The verified content (JSON)'),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False, comment='When this copy was fetched'),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False, comment='Last time the peer said it is still current'),
    sa.ForeignKeyConstraint(['peer_id'], ['federation_peers.id'], name=op.f('fk_federation_peer_documents_peer_id_federation_peers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_peer_documents')),
    sa.UniqueConstraint('peer_id', 'kind', name=op.f('uq_federation_peer_documents_peer_id_kind'))
    )


def downgrade():
    op.drop_table('federation_peer_documents')
    with op.batch_alter_table('federation_messages', schema=None) as batch_op:
        batch_op.drop_index('uq_federation_messages_nonce', sqlite_where=sa.text("outcome = 'answered'"), postgresql_where=sa.text("outcome = 'answered'"))
        batch_op.drop_index(batch_op.f('ix_federation_messages_peer_id'))
        batch_op.drop_index('ix_federation_messages_peer_at')

    op.drop_table('federation_messages')
    op.drop_table('federation_publications')
    op.drop_table('federation_peers')
    op.drop_table('federation_keys')
