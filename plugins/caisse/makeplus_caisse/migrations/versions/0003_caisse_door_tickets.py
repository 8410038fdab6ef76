"""caisse: an item may be the ticket of a room's door (caisse_items.room_id)

Revision ID: 0003_caisse_door_tickets
Revises: 0002_caisse_keep_sales
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_caisse_door_tickets'
down_revision = '0002_caisse_keep_sales'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('caisse_items') as batch:
        batch.add_column(sa.Column('room_id', sa.Uuid(), nullable=True))
        batch.create_index(batch.f('ix_caisse_items_room_id'), ['room_id'], unique=False)
        batch.create_foreign_key(batch.f('fk_caisse_items_room_id_rooms'), 'rooms', ['room_id'], ['id'],
                                 ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('caisse_items') as batch:
        batch.drop_constraint(batch.f('fk_caisse_items_room_id_rooms'), type_='foreignkey')
        batch.drop_index(batch.f('ix_caisse_items_room_id'))
        batch.drop_column('room_id')
