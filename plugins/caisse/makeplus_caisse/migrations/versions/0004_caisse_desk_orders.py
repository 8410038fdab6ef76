"""caisse: a sale line may collect another plugin's order (caisse_transaction_items.order_ref)

Revision ID: 0004_caisse_desk_orders
Revises: 0003_caisse_door_tickets
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_caisse_desk_orders'
down_revision = '0003_caisse_door_tickets'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('caisse_transaction_items') as batch:
        batch.add_column(sa.Column('order_ref', sa.String(length=64), nullable=True))
        batch.create_index(batch.f('ix_caisse_transaction_items_order_ref'), ['order_ref'], unique=False)


def downgrade():
    with op.batch_alter_table('caisse_transaction_items') as batch:
        batch.drop_index(batch.f('ix_caisse_transaction_items_order_ref'))
        batch.drop_column('order_ref')
