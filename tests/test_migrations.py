"""Migrations: the migrated schema (core + every plugin branch) equals the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from makeplus_core import migrate
from makeplus_core.db import Base


def test_migrated_schema_matches_models(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_is_idempotent(settings, engine):
    applied = migrate.upgrade(settings, engine)
    assert applied[0] == "core"


def test_each_plugin_branch_depends_on_core(settings):
    from alembic.script import ScriptDirectory

    cfg, folders = migrate.alembic_config(settings)
    script = ScriptDirectory.from_config(cfg)
    for name in folders:
        base = [r for r in script.walk_revisions() if name in (r.branch_labels or ()) and r.down_revision is None]
        assert base, f"{name} has no labelled first revision"
        assert migrate.CORE_BASE in (base[0].dependencies if isinstance(base[0].dependencies, tuple)
                                     else (base[0].dependencies,))
