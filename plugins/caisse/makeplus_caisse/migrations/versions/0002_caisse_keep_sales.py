"""caisse: sales are never deleted, not even with their event (ON DELETE RESTRICT)

``caisse_transactions.event_id`` and ``caisse_transaction_items.transaction_id`` were
``ON DELETE CASCADE``: deleting the event destroyed its sales. Both are RESTRICT now,
so the database refuses it even if a code path tried (the API answers 409 first).

Revision ID: 0002_caisse_keep_sales
Revises: 0001_caisse
Create Date: 2026-11-29 20:00:00
"""
from alembic import op

revision = '0002_caisse_keep_sales'
down_revision = '0001_caisse'
branch_labels = None
depends_on = None

FKS = [
    ('caisse_transactions', 'fk_caisse_transactions_event_id_events', 'events', 'event_id'),
    ('caisse_transaction_items', 'fk_caisse_transaction_items_transaction_id_caisse_transactions',
     'caisse_transactions', 'transaction_id'),
]


def _set(ondelete):
    for table, name, target, column in FKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_='foreignkey')
            batch_op.create_foreign_key(name, target, [column], ['id'], ondelete=ondelete)


def upgrade():
    _set('RESTRICT')


def downgrade():
    _set('CASCADE')
