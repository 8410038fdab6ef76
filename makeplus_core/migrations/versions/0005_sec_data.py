"""sec-data: archived events (read-only, hidden from lists)

Revision ID: 0005_sec_data
Revises: 0004_sec_accounts
Create Date: 2026-11-29 20:00:00
"""
import sqlalchemy as sa
from alembic import op

import makeplus_core.db

revision = '0005_sec_data'
down_revision = '0004_sec_accounts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', makeplus_core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('archived_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_events_archived_by_id_users'), 'users', ['archived_by_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_events_archived_by_id_users'), type_='foreignkey')
        batch_op.drop_column('archived_by_id')
        batch_op.drop_column('archived_at')
