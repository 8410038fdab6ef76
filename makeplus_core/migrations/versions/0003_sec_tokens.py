"""sec-tokens: auth_sessions.kind (server-side record of the temporary select-event token)

Revision ID: 0003_sec_tokens
Revises: 0002_insights
Create Date: 2026-11-29 20:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_sec_tokens'
down_revision = '0002_insights'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='api', nullable=False))
        batch_op.create_check_constraint(op.f('ck_auth_sessions_kind_valid'), "kind IN ('api', 'select')")


def downgrade():
    op.execute("DELETE FROM auth_sessions WHERE kind <> 'api'")
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_auth_sessions_kind_valid'), type_='check')
        batch_op.drop_column('kind')
