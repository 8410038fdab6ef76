"""youtube_live: channel/live links without a video id (video_id nullable, longer url)

Revision ID: 0002_youtube_live_links
Revises: 0001_youtube_live
"""
import sqlalchemy as sa
from alembic import op

revision = '0002_youtube_live_links'
down_revision = '0001_youtube_live'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('youtube_live_streams') as batch:
        batch.alter_column('url', existing_type=sa.String(length=200), type_=sa.String(length=500),
                           existing_nullable=False)
        batch.alter_column('video_id', existing_type=sa.String(length=11), nullable=True)


def downgrade():
    op.execute("DELETE FROM youtube_live_streams WHERE video_id IS NULL")
    with op.batch_alter_table('youtube_live_streams') as batch:
        batch.alter_column('video_id', existing_type=sa.String(length=11), nullable=False)
        batch.alter_column('url', existing_type=sa.String(length=500), type_=sa.String(length=200),
                           existing_nullable=False)
