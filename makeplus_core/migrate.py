"""Migration runner: the core's Alembic branch plus one branch per enabled plugin.

All branches form one revision graph in one ``alembic_version`` table. The core's
revisions live in ``migrations/versions`` (branch label ``core``); a plugin declares
its folder through the ``makeplus_migrations`` hook, its first revision labelled with
the plugin's name and ``depends_on`` :data:`CORE_BASE`.
"""
from __future__ import annotations

import contextlib
import pathlib

from alembic import command
from alembic.config import Config

from .db import get_engine
from .plugins import disabled_plugin_migration_folders, make_plugin_manager

ROOT = pathlib.Path(__file__).resolve().parent.parent / "migrations"
CORE_BASE = "0001_core"


def plugin_folders(pm) -> dict[str, pathlib.Path]:
    folders = {}
    for plugin in pm.get_plugins():
        name = pm.get_name(plugin)
        impl = getattr(plugin, "makeplus_migrations", None)
        if impl is None:
            continue
        folder = impl()
        if folder:
            folders[name] = pathlib.Path(folder)
    return folders


def alembic_config(settings: dict, pm=None, connection=None) -> tuple[Config, dict]:
    pm = pm or make_plugin_manager(settings)
    folders = plugin_folders(pm)
    locations = [ROOT / "versions", *folders.values(), *disabled_plugin_migration_folders(settings)]
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT))
    cfg.set_main_option("path_separator", "os")
    import os

    cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    cfg.set_main_option("sqlalchemy.url", settings["sqlalchemy.url"].replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg, folders


@contextlib.contextmanager
def migrating(engine):
    """One transaction to run migrations in.

    On SQLite, foreign keys are switched off while it runs and checked before it
    commits: Alembic's batch mode rebuilds a table by "move and copy", and dropping the
    old table with foreign keys on would cascade into every row that references it
    (adding a column to ``events`` would empty ``rooms``). The PRAGMA must be issued
    outside a transaction, hence on the driver connection before ``begin``.
    """
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left rows that break foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


def upgrade(settings: dict, engine=None) -> list[str]:
    """Bring the core and every enabled plugin's branch to their heads."""
    engine = engine or get_engine(settings)
    pm = make_plugin_manager(settings)
    applied = []
    with migrating(engine) as conn:
        cfg, folders = alembic_config(settings, pm, conn)
        command.upgrade(cfg, "core@head")
        applied.append("core")
        for name in folders:
            command.upgrade(cfg, f"{name}@head")
            applied.append(name)
    return applied


def include_object(obj, name, type_, reflected, compare_to, dialect_name: str | None = None):
    """Alembic ``include_object`` filter: skip dialect-specific schema items elsewhere.

    An index declared with ``info={"dialect": "postgresql"}`` (GIN, trigram and
    full-text indexes: :mod:`makeplus_core.search.models`) exists only on
    PostgreSQL: its migration creates it there and nowhere else. On other dialects,
    autogenerate and the migration-drift test ignore it; on PostgreSQL it is compared
    like any other index.
    """
    if type_ == "index" and not reflected and dialect_name is not None:
        wanted = (getattr(obj, "info", None) or {}).get("dialect")
        if wanted and wanted != dialect_name:
            return False
    return True


def include_object_for(dialect_name: str):
    """:func:`include_object` bound to a dialect name (for ``context.configure``)."""

    def _include(obj, name, type_, reflected, compare_to):
        return include_object(obj, name, type_, reflected, compare_to, dialect_name)

    return _include
