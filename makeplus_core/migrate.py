"""Migration runner: the core's Alembic branch plus one branch per plugin.

All branches form one revision graph in one ``alembic_version`` table. The core's
revisions ship inside the package (``makeplus_core/migrations/versions``, branch label
``core``); a plugin declares its folder through the ``makeplus_migrations`` hook, its
first revision labelled with the plugin's name and ``depends_on`` :data:`CORE_BASE`.

Used by ``makeplus-db`` (:mod:`makeplus_core.scripts.db`) and the test harness:

* :func:`upgrade` brings the core, then each enabled plugin, to its head, each in its
  own transaction: a plugin that has no revision yet is skipped with a
  :class:`PendingBranch` message naming it and the command that fixes it (the core is
  never rolled back because of a plugin);
* :func:`revision` writes a new revision of one branch (the first one of a new plugin
  included: branch label, ``depends_on`` the core); autogenerate only looks at the
  tables of that branch's own models;
* :func:`downgrade` (``NAME@base`` removes a plugin's tables) and :func:`stamp`.

**Ordering across branches without ``depends_on``.** A core revision that hands data
over to a plugin (``0010_drop_plan_file`` drops ``participants.plan_file`` once the
exposants plugin copied it) lists the plugin revision in a module attribute
``run_after = ("<revision>", ...)``. When such a revision is installed (its plugin's
folder is in the revision graph) and not applied, :func:`upgrade` first brings the core
up to just below the core revision, then applies the plugin revision, then the rest of
the core (:func:`apply_prerequisites`); the core revision itself calls
:func:`check_run_after` so that a plain Alembic upgrade in the wrong order stops
instead of losing data. An Alembic ``depends_on`` from a core revision to a plugin one
is not used on purpose: it would make ``downgrade <plugin>@base`` take that core
revision and every later core revision down with it, and a plugin installed after the
core revision ran would be taken as already migrated (its tables never created).
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .db import Base, get_engine
from .plugins import disabled_plugin_migration_folders, installed_entry_points, make_plugin_manager

ROOT = pathlib.Path(__file__).resolve().parent / "migrations"
CORE_BASE = "0001_core"
CORE = "core"


class MigrationError(RuntimeError):
    """A migration command cannot run; the message says why and what to do."""


@dataclasses.dataclass
class PendingBranch:
    """An enabled plugin that has models but no revision yet."""

    name: str
    folder: pathlib.Path

    @property
    def message(self) -> str:
        return (f"plugin {self.name!r} has no migration yet (no revision labelled {self.name!r} in "
                f"{self.folder}): create its first one with `makeplus-db revision <ini> --branch "
                f"{self.name} --autogenerate -m \"{self.name} tables\"`, then run `makeplus-db upgrade "
                f"<ini>` again. The core and the other plugins were migrated.")


def plugin_folders(pm) -> dict[str, pathlib.Path]:
    folders = {}
    for name, plugin in pm.list_name_plugin():  # registration (makeplus.plugins) order
        impl = getattr(plugin, "makeplus_migrations", None)
        if impl is None:
            continue
        folder = impl()
        if folder:
            folders[name] = pathlib.Path(folder)
    return folders


def alembic_config(settings: dict, pm=None, connection=None, extra_locations=()) -> tuple[Config, dict]:
    pm = pm or make_plugin_manager(settings)
    folders = plugin_folders(pm)
    locations = [ROOT / "versions", *folders.values(), *disabled_plugin_migration_folders(settings),
                 *extra_locations]
    unique = []
    for loc in locations:
        if loc not in unique:
            unique.append(loc)
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in unique))
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


def branch_labels(script: ScriptDirectory) -> set[str]:
    labels: set[str] = set()
    for rev in script.walk_revisions():
        labels.update(rev.branch_labels or ())
    return labels


def current_revisions(conn) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


def check_known(script: ScriptDirectory, current: set[str]) -> None:
    """Stop with a clear message when the database holds a revision no installed code knows."""
    unknown = []
    for rev in sorted(current):
        try:
            script.get_revision(rev)
        except Exception:  # alembic raises ResolutionError / CommandError variants
            unknown.append(rev)
    if unknown:
        raise MigrationError(
            "the database is at revision(s) " + ", ".join(unknown) + " that no installed package holds: "
            "a plugin whose tables were migrated was uninstalled. Reinstall it (pip install …), then "
            "`makeplus-db downgrade <ini> <plugin>@base` before uninstalling it; or, to keep its tables "
            "and forget it, `makeplus-db stamp <ini> --forget " + " ".join(unknown) + "`.")


def applied_revisions(script: ScriptDirectory, heads) -> set[str]:
    """Every revision the database holds: the ``heads`` and all their ancestors."""
    applied: set[str] = set()
    for rev in heads:
        applied.update(r.revision for r in script.iterate_revisions(rev, "base"))
    return applied


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic raises ResolutionError / CommandError variants
        return False


def run_after(rev) -> tuple[str, ...]:
    """The revisions a (core) revision declares it must run after when they are installed."""
    return tuple(getattr(getattr(rev, "module", None), "run_after", None) or ())


def pending_prerequisites(script: ScriptDirectory, applied: set[str]) -> list[tuple[object, str]]:
    """``(core revision, revision to apply first)`` for each pending core revision whose
    ``run_after`` names an installed revision that is not applied yet, oldest first."""
    out = []
    for rev in reversed(list(script.iterate_revisions(f"{CORE}@head", "base"))):
        if rev.revision in applied:
            continue
        out.extend((rev, req) for req in run_after(rev) if req not in applied and _known(script, req))
    return out


def apply_prerequisites(settings: dict, engine, pm=None) -> list[str]:
    """Apply the installed revisions pending core revisions must run after (see the module
    docstring): the core up to just below such a revision, then the plugin revision, each
    in its own transaction. Returns the plugin revisions applied."""
    pm = pm or make_plugin_manager(settings)
    done: list[str] = []
    while True:
        with engine.connect() as conn:
            cfg, _ = alembic_config(settings, pm, conn)
            script = ScriptDirectory.from_config(cfg)
            applied = applied_revisions(script, current_revisions(conn))
            conn.rollback()
        todo = [(rev, req) for rev, req in pending_prerequisites(script, applied) if req not in done]
        if not todo:
            return done
        rev, req = todo[0]
        below = rev.down_revision if isinstance(rev.down_revision, tuple) else (rev.down_revision,)
        for step in [*below, req]:
            if step and step not in applied:
                with migrating(engine) as conn:
                    cfg, _ = alembic_config(settings, pm, conn)
                    command.upgrade(cfg, step)
        done.append(req)


def check_run_after(op, required) -> list[str]:
    """For a core revision's ``upgrade()``: stop (the migration rolls back) when one of the
    ``required`` revisions is installed but not applied yet. Returns those installed."""
    ctx = op.get_context()
    script = getattr(ctx, "script", None)
    if script is None:
        return []
    installed = [r for r in required if _known(script, r)]
    applied = applied_revisions(script, ctx.get_current_heads())
    missing = [r for r in installed if r not in applied]
    if missing:
        raise MigrationError(
            "revision(s) " + ", ".join(missing) + " must be applied before this core revision (it would drop "
            "data they copy): migrate with `makeplus-db upgrade <ini>`, which applies them first, or run "
            "`alembic upgrade " + " ".join(missing) + "` before upgrading the core")
    return installed


def upgrade(settings: dict, engine=None, report=None) -> list[str]:
    """Bring the core and every enabled plugin's branch to their heads.

    Each branch is migrated in its own transaction. Returns the branches migrated;
    an enabled plugin without any revision is skipped and passed to ``report`` (a
    callable taking a :class:`PendingBranch`, default: ignore). Installed plugin
    revisions that a pending core revision must run after (``run_after``) are applied
    before it, even for an installed plugin that is not enabled (its data is kept).
    """
    engine = engine or get_engine(settings)
    pm = make_plugin_manager(settings)
    applied = []
    with engine.connect() as conn:
        cfg, folders = alembic_config(settings, pm, conn)
        script = ScriptDirectory.from_config(cfg)
        check_known(script, current_revisions(conn))
        labels = branch_labels(script)
        conn.rollback()
    for target in [CORE, *folders]:
        if target not in labels:
            if report is not None:
                report(PendingBranch(target, folders[target]))
            continue
        if target == CORE:
            apply_prerequisites(settings, engine, pm)
        with migrating(engine) as conn:
            cfg, _ = alembic_config(settings, pm, conn)
            command.upgrade(cfg, f"{target}@head")
        applied.append(target)
    return applied


def downgrade(settings: dict, target: str, engine=None) -> None:
    """Downgrade to ``target`` (``NAME@base`` removes a plugin's tables, ``NAME@-1`` one step)."""
    engine = engine or get_engine(settings)
    with migrating(engine) as conn:
        cfg, _ = alembic_config(settings, connection=conn)
        script = ScriptDirectory.from_config(cfg)
        check_known(script, current_revisions(conn))
        branch = target.split("@")[0] if "@" in target else None
        if branch and branch not in branch_labels(script):
            raise MigrationError(f"no migration branch {branch!r}: is the plugin installed? "
                                 f"(branches: {', '.join(sorted(branch_labels(script)))})")
        command.downgrade(cfg, target)


def stamp(settings: dict, revisions: list[str], engine=None, forget: list[str] | None = None) -> None:
    """Record ``revisions`` as applied without running them; ``forget`` removes
    revisions (e.g. of an uninstalled plugin) from the version table."""
    engine = engine or get_engine(settings)
    with engine.begin() as conn:
        if forget:
            conn.execute(sa.text("DELETE FROM alembic_version WHERE version_num IN :revs")
                         .bindparams(sa.bindparam("revs", expanding=True)), {"revs": list(forget)})
        if revisions:
            cfg, _ = alembic_config(settings, connection=conn)
            command.stamp(cfg, revisions)


def owned_tables(package: str, branch: str | None = None) -> set[str]:
    """Names of the tables a branch owns: those mapped by models defined in ``package``
    (e.g. ``makeplus_sponsors``) plus plain ``sa.Table`` objects named ``<branch>_…``.
    The core owns every table on ``Base.metadata`` that no other package maps."""
    names, foreign = set(), set()
    for mapper in Base.registry.mappers:
        module = mapper.class_.__module__
        mine = module == package or module.startswith(package + ".")
        for table in mapper.tables:
            (names if mine else foreign).add(table.name)
    if package == "makeplus_core":
        return {t for t in Base.metadata.tables if t not in foreign}
    if branch:
        names.update(t for t in Base.metadata.tables if t.startswith(branch + "_"))
    return names


def _package_of(name: str) -> str:
    if name == CORE:
        return "makeplus_core"
    ep = installed_entry_points().get(name)
    if ep is None:
        raise MigrationError(f"no plugin {name!r} is installed")
    return ep.module.split(".")[0]


def revision(settings: dict, branch: str, message: str, autogenerate: bool = True,
             engine=None) -> list:
    """Write a new revision of ``branch`` (``core`` or an enabled plugin's name).

    A plugin's first revision gets ``branch_labels = (branch,)`` and ``depends_on``
    the core's first revision. With ``autogenerate`` the database must be migrated
    (core and every enabled plugin that has revisions); only the tables of the
    branch's own models are compared, so a revision never touches another branch's
    tables.
    """
    import makeplus_core.models  # noqa: F401  (every core table on Base.metadata)

    engine = engine or get_engine(settings)
    pm = make_plugin_manager(settings)
    folders = plugin_folders(pm)
    if branch != CORE and branch not in folders:
        enabled = [pm.get_name(p) for p in pm.get_plugins()]
        raise MigrationError(
            f"{branch!r} is not an enabled plugin with a migrations folder (enabled: "
            f"{', '.join(enabled) or 'none'}): list it in makeplus.plugins and make its "
            f"makeplus_migrations hook return its folder")
    path = ROOT / "versions" if branch == CORE else folders[branch]
    path.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        current = current_revisions(conn)
        conn.rollback()
        # Installed but disabled plugins count only when the database holds their branch.
        probe, _ = alembic_config(settings, pm, conn)
        script = ScriptDirectory.from_config(probe)
        check_known(script, current)
        disabled = []
        for folder in disabled_plugin_migration_folders(settings):
            if any(pathlib.Path(script.get_revision(r).path).parent == folder for r in current):
                disabled.append(folder)
        cfg = Config()
        cfg.set_main_option("script_location", str(ROOT))
        cfg.set_main_option("path_separator", "os")
        cfg.set_main_option("version_locations", os.pathsep.join(
            str(p) for p in [ROOT / "versions", *folders.values(), *disabled]))
        cfg.set_main_option("sqlalchemy.url", settings["sqlalchemy.url"].replace("%", "%%"))
        cfg.attributes["connection"] = conn
        cfg.attributes["owned_tables"] = owned_tables(_package_of(branch), branch)
        labels = branch_labels(ScriptDirectory.from_config(cfg))
        if branch in labels:
            kwargs = {"head": f"{branch}@head"}
        else:
            kwargs = {"head": "base", "branch_label": branch, "depends_on": CORE_BASE}
        if autogenerate:
            script = ScriptDirectory.from_config(cfg)
            applied = set()
            for rev in current:
                applied.update(r.revision for r in script.iterate_revisions(rev, "base"))
            behind = sorted(n for n in [CORE, *folders] if n in labels
                            and script.get_revision(f"{n}@head").revision not in applied)
            if behind:
                raise MigrationError(
                    "the database is not up to date (" + ", ".join(behind) + "): run `makeplus-db "
                    "upgrade <ini>` first, then create the revision")
        scripts = command.revision(cfg, message=message, autogenerate=autogenerate,
                                   version_path=str(path), **kwargs)
        conn.rollback()
    return scripts if isinstance(scripts, list) else [scripts]


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


def include_object_for(dialect_name: str, owned: set[str] | None = None):
    """:func:`include_object` bound to a dialect name (for ``context.configure``).

    With ``owned`` (table names), only those tables and their columns, indexes and
    constraints are compared: a branch's autogenerate never touches other tables.
    """

    def _include(obj, name, type_, reflected, compare_to):
        if owned is not None:
            table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
            if table is not None and table not in owned:
                return False
        return include_object(obj, name, type_, reflected, compare_to, dialect_name)

    return _include
