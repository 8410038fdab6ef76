"""perf-scan: O(1) capacity admission (room_admissions, room_admission_counts)

A capped room used to count ``DISTINCT user_id`` over its whole journal window under a
room lock on every scan; admission is now one row per holder and window plus a
counter row updated by one conditional upsert. The upgrade fills both tables for the
window open right now (the session running in each capped room, else the UTC day),
from the granted journal rows, so an upgrade during an event admits nobody twice.

Revision ID: 0006_perf_scan
Revises: 0005_sec_data
Create Date: 2026-11-29 20:00:00
"""
import uuid

import sqlalchemy as sa
from alembic import op

import makeplus_core.db

revision = '0006_perf_scan'
down_revision = '0005_sec_data'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('room_admission_counts',
    sa.Column('room_id', sa.Uuid(), nullable=False),
    sa.Column('window_start', makeplus_core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('admitted', sa.Integer(), nullable=False),
    sa.CheckConstraint('admitted >= 0', name=op.f('ck_room_admission_counts_admitted_positive')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_room_admission_counts_room_id_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_id', 'window_start', name=op.f('pk_room_admission_counts'))
    )
    op.create_table('room_admissions',
    sa.Column('room_id', sa.Uuid(), nullable=False),
    sa.Column('window_start', makeplus_core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('admitted_at', makeplus_core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_room_admissions_room_id_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_room_admissions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_id', 'window_start', 'user_id', name=op.f('pk_room_admissions'))
    )
    with op.batch_alter_table('room_admissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_admissions_user_id'), ['user_id'], unique=False)
    _backfill_open_windows()


def _backfill_open_windows():
    from makeplus_core.access.window import current_window_start

    bind = op.get_bind()
    now = makeplus_core.db.utcnow()
    utc = makeplus_core.db.UTCDateTime()
    rooms = bind.execute(sa.text("SELECT id FROM rooms WHERE capacity IS NOT NULL")).scalars().all()
    admissions = sa.table('room_admissions', sa.column('room_id', sa.Uuid()), sa.column('window_start', utc),
                          sa.column('user_id', sa.Integer()), sa.column('admitted_at', utc))
    counts = sa.table('room_admission_counts', sa.column('room_id', sa.Uuid()),
                      sa.column('window_start', utc), sa.column('admitted', sa.Integer()))
    access = sa.table('room_access', sa.column('room_id', sa.Uuid()), sa.column('user_id', sa.Integer()),
                      sa.column('status', sa.String()), sa.column('access_time', utc))
    for room_id in rooms:
        room_id = uuid.UUID(room_id) if isinstance(room_id, str) else room_id
        since = current_window_start(bind, room_id, now)
        users = bind.execute(sa.select(access.c.user_id).distinct().where(
            access.c.room_id == room_id, access.c.status == 'granted', access.c.access_time >= since,
            access.c.user_id.is_not(None))).scalars().all()
        if users:
            bind.execute(admissions.insert(), [{'room_id': room_id, 'window_start': since, 'user_id': u,
                                                'admitted_at': now} for u in users])
            bind.execute(counts.insert().values(room_id=room_id, window_start=since, admitted=len(users)))


def downgrade():
    with op.batch_alter_table('room_admissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_admissions_user_id'))
    op.drop_table('room_admissions')
    op.drop_table('room_admission_counts')
