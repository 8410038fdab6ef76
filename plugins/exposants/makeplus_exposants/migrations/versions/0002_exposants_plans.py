"""exposants_plans: booth plans move from the core's participants.plan_file to the plugin

Creates ``exposants_plans`` (one row per participant that has a plan) and COPIES every
non-empty ``participants.plan_file`` into it while that core column exists. The core's
revision ``0010_drop_plan_file`` drops the column afterwards: it names this revision in
its ``run_after``, so ``makeplus-db upgrade`` applies this one first (and the core
revision refuses to drop plan data while this one is installed but not applied). On a
database whose core already dropped the column (exposants installed later), the table
starts empty. Copied rows get the migration time as ``uploaded_at`` and no uploader.

Downgrade: the plans are copied back into ``participants.plan_file`` when that column
exists again (the core below 0010), then the table is dropped.

Revision ID: 0002_exposants_plans
Revises: 0001_exposants
Create Date: 2026-11-29 23:00:00
"""
import sqlalchemy as sa
from alembic import op

import makeplus_core.db

revision = '0002_exposants_plans'
down_revision = '0001_exposants'
branch_labels = None
depends_on = None


def _has_plan_file(bind) -> bool:
    return any(c["name"] == "plan_file" for c in sa.inspect(bind).get_columns("participants"))


def _tables():
    utc = makeplus_core.db.UTCDateTime()
    participants = sa.table('participants', sa.column('id', sa.Uuid()), sa.column('plan_file', sa.String()))
    plans = sa.table('exposants_plans', sa.column('participant_id', sa.Uuid()), sa.column('file', sa.String()),
                     sa.column('uploaded_at', utc), sa.column('uploaded_by_id', sa.Integer()))
    return participants, plans, utc


def upgrade():
    op.create_table('exposants_plans',
    sa.Column('participant_id', sa.Uuid(), nullable=False),
    sa.Column('file', sa.String(length=300), nullable=False),
    sa.Column('uploaded_at', makeplus_core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_exposants_plans_participant_id_participants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_exposants_plans_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('participant_id', name=op.f('pk_exposants_plans'))
    )
    with op.batch_alter_table('exposants_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exposants_plans_uploaded_by_id'), ['uploaded_by_id'], unique=False)

    bind = op.get_bind()
    if _has_plan_file(bind):
        participants, plans, utc = _tables()
        now = sa.literal(makeplus_core.db.utcnow(), utc)
        bind.execute(sa.insert(plans).from_select(
            ['participant_id', 'file', 'uploaded_at'],
            sa.select(participants.c.id, participants.c.plan_file, now)
            .where(participants.c.plan_file.is_not(None), participants.c.plan_file != '')))


def downgrade():
    bind = op.get_bind()
    if _has_plan_file(bind):
        participants, plans, _ = _tables()
        stored = (sa.select(plans.c.file).where(plans.c.participant_id == participants.c.id)
                  .scalar_subquery())
        bind.execute(sa.update(participants).values(plan_file=stored)
                     .where(participants.c.id.in_(sa.select(plans.c.participant_id))))
    with op.batch_alter_table('exposants_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exposants_plans_uploaded_by_id'))

    op.drop_table('exposants_plans')
