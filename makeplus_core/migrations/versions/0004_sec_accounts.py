"""sec_accounts: e-mail verification, account tokens (invitations, verification),
event-level contact details of participants

Existing accounts are marked verified at their creation time (they cannot be told
apart after the fact; docs/security.md says so). Existing participants get the
account's phone and organisation copied as their event-level values, so organisers
see what they saw before.

Revision ID: 0004_sec_accounts
Revises: 0003_sec_tokens
"""
import sqlalchemy as sa
from alembic import op

import makeplus_core.db

revision = '0004_sec_accounts'
down_revision = '0003_sec_tokens'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', makeplus_core.db.UTCDateTime(timezone=True),
                                      nullable=True))
    op.execute("UPDATE users SET email_verified_at = created_at")

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('organization', sa.String(length=200), nullable=True))
    op.execute("UPDATE participants SET phone = (SELECT users.phone FROM users WHERE users.id = participants.user_id), "
               "organization = (SELECT users.organization FROM users WHERE users.id = participants.user_id)")

    op.create_table('account_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', makeplus_core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', makeplus_core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', makeplus_core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("purpose IN ('invitation', 'verify_email')", name=op.f('ck_account_tokens_purpose_valid')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_account_tokens_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_account_tokens_event_id_events'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash'))
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_account_tokens_user_purpose', ['user_id', 'purpose'], unique=False)


def downgrade():
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_account_tokens_user_purpose')
    op.drop_table('account_tokens')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('organization')
        batch_op.drop_column('phone')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
