"""door_a: events.location_details; session_access.payment_status may be 'free'
(a confirmed registration for a free atelier)

Revision ID: 0013_door_a
Revises: 0012_door_offline
Create Date: 2026-11-29 23:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_door_a'
down_revision = '0012_door_offline'
branch_labels = None
depends_on = None

CK = 'ck_session_access_payment_status_valid'


def upgrade():
    with op.batch_alter_table('events') as batch:
        batch.add_column(sa.Column('location_details', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('events') as batch:
        batch.alter_column('location_details', server_default=None, existing_type=sa.Text(),
                           existing_nullable=False)
    with op.batch_alter_table('session_access') as batch:
        batch.drop_constraint(op.f(CK), type_='check')
        batch.create_check_constraint(
            op.f(CK), "payment_status IN ('pending', 'paid', 'free', 'refunded')")


def downgrade():
    op.execute("DELETE FROM session_access WHERE payment_status = 'free'")
    with op.batch_alter_table('session_access') as batch:
        batch.drop_constraint(op.f(CK), type_='check')
        batch.create_check_constraint(op.f(CK), "payment_status IN ('pending', 'paid', 'refunded')")
    with op.batch_alter_table('events') as batch:
        batch.drop_column('location_details')
