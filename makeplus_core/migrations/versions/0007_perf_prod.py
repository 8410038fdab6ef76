"""perf_prod: export_jobs (large exports built by a background job)

Revision ID: 0007_perf_prod
Revises: 0006_perf_scan
Create Date: 2026-11-29 20:00:00
"""
import sqlalchemy as sa
from alembic import op

import makeplus_core.db

revision = '0007_perf_prod'
down_revision = '0006_perf_scan'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_jobs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', makeplus_core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', makeplus_core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'running', 'done', 'failed')",
                       name=op.f('ck_export_jobs_status_valid')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_export_jobs_event_id_events'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_export_jobs_requested_by_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs'))
    )
    op.create_index('ix_export_jobs_event_created', 'export_jobs', ['event_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_export_jobs_event_created', table_name='export_jobs')
    op.drop_table('export_jobs')
