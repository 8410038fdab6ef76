"""drop_plan_file: the exposant booth plan leaves the core (participants.plan_file)

Booth plans belong to the exposants plugin (its table ``exposants_plans``, its upload
route ``POST /api/participants/{id}/upload_plan/`` and the ``plan_file`` field it adds to
participant JSON). The plugin's revision ``0002_exposants_plans`` copies the values of
this column; it must run first, so it is listed in ``run_after`` (not ``depends_on``:
see ``makeplus_core.migrate``): ``makeplus-db upgrade`` applies it before this revision
whenever the exposants plugin is installed, enabled or not.

Without the exposants plugin installed the column is simply dropped: the stored paths are
lost (the PDF files stay under ``makeplus.storage_root``/plans/), and a warning says how
many. Install the plugin before upgrading to keep them. While the plugin is installed
but its revision is not applied yet, this revision refuses to drop non-empty values.

Downgrade re-adds the column (empty; the exposants revision's downgrade copies the plans
back when it runs after this one).

Revision ID: 0010_drop_plan_file
Revises: 0007_perf_prod
Create Date: 2026-11-29 23:00:00
"""
import logging

import sqlalchemy as sa
from alembic import op

from makeplus_core import migrate

revision = '0010_drop_plan_file'
down_revision = '0007_perf_prod'
branch_labels = None
depends_on = None
# Installed plugin revisions applied before this one (makeplus_core.migrate.apply_prerequisites).
run_after = ('0002_exposants_plans',)


def upgrade():
    bind = op.get_bind()
    kept = bind.execute(sa.text("SELECT count(*) FROM participants WHERE plan_file IS NOT NULL "
                                "AND plan_file <> ''")).scalar()
    if kept:
        if not migrate.check_run_after(op, run_after):
            logging.getLogger("alembic.runtime.migration").warning(
                "0010_drop_plan_file: %d booth plan path(s) in participants.plan_file are dropped: the exposants "
                "plugin, which keeps them, is not installed", kept)
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('plan_file')


def downgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_file', sa.String(length=300), nullable=True))
