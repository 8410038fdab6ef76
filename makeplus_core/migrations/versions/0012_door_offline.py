"""door-offline: exits and occupancy, revoked badges for offline scanners

* ``rooms.tracks_exits`` (exits are scanned: occupancy = people inside) and
  ``rooms.door_direction`` (``entry``/``exit``: the direction of a scan naming none);
* ``room_access.direction`` (``entry``/``exit``; existing rows are entries);
* ``room_admissions.inside`` (rooms that track exits; existing rows: inside);
* ``revoked_badges``: badge ids replaced by a re-issue (the scanner manifest lists them).

Revision ID: 0012_door_offline
Revises: 0010_drop_plan_file
Create Date: 2026-11-29 23:00:00
"""
import sqlalchemy as sa
from alembic import op

import makeplus_core.db

revision = '0012_door_offline'
down_revision = '0010_drop_plan_file'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('revoked_badges',
    sa.Column('badge_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('revoked_at', makeplus_core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_revoked_badges_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('badge_id', name=op.f('pk_revoked_badges'))
    )
    with op.batch_alter_table('revoked_badges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_badges_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracks_exits', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('door_direction', sa.String(length=5), server_default='entry',
                                      nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_rooms_door_direction_valid'),
                                         "door_direction IN ('entry', 'exit')")
    with op.batch_alter_table('room_access', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=5), server_default='entry', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_room_access_direction_valid'),
                                         "direction IN ('entry', 'exit')")
    with op.batch_alter_table('room_admissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inside', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('room_admissions', schema=None) as batch_op:
        batch_op.drop_column('inside')
    with op.batch_alter_table('room_access', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_room_access_direction_valid'), type_='check')
        batch_op.drop_column('direction')
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_rooms_door_direction_valid'), type_='check')
        batch_op.drop_column('door_direction')
        batch_op.drop_column('tracks_exits')
    with op.batch_alter_table('revoked_badges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_badges_user_id'))
    op.drop_table('revoked_badges')
