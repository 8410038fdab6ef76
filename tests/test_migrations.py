"""Migrations: the migrated schema (core + every plugin branch) equals the models;
makeplus-db's commands (upgrade, downgrade, stamp, revision); the core wheel migrates."""
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import makeplus_core
import makeplus_core.models  # noqa: F401  (the whole core schema, even when run alone)
from makeplus_core import migrate
from makeplus_core.db import Base, get_engine
from makeplus_core.plugins import installed_entry_points
from makeplus_core.scripts import db as db_script
from makeplus_core.testing import all_plugins


def test_migrated_schema_matches_models(engine):
    with engine.connect() as conn:
        # PostgreSQL-only indexes (info={"dialect": "postgresql"}) are compared on
        # PostgreSQL and skipped elsewhere: see makeplus_core.migrate.include_object.
        ctx = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_object": migrate.include_object_for(conn.dialect.name)})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


@pytest.mark.parametrize("branch", ["core", *all_plugins()])
def test_each_branch_migrations_match_its_models(engine, branch):
    """The drift test per branch: each installed plugin's migrations create exactly its
    models' tables (including a third-party plugin installed beside the core)."""
    package = "makeplus_core" if branch == "core" else installed_entry_points()[branch].module.split(".")[0]
    owned = migrate.owned_tables(package, branch)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_object": migrate.include_object_for(conn.dialect.name, owned)})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"{branch}: models and migrations differ: {diff}"


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


# --------------------------------------------------------------------------- makeplus-db


def _tmp_settings(tmp_path, plugins=""):
    return {"sqlalchemy.url": f"sqlite:///{tmp_path / 'm.sqlite'}", "makeplus.plugins": plugins}


def test_core_migrations_ship_inside_the_package():
    root = pathlib.Path(makeplus_core.__file__).resolve().parent
    assert migrate.ROOT == root / "migrations"
    assert (migrate.ROOT / "env.py").exists() and (migrate.ROOT / "versions" / "0001_core.py").exists()
    cfg = (root.parent / "setup.cfg").read_text()
    assert "migrations/versions/*.py" in cfg and "migrations/script.py.mako" in cfg


@pytest.mark.plugin("annonces")
def test_downgrade_a_plugin_branch_keeps_the_core(tmp_path, capsys):
    s = _tmp_settings(tmp_path, "annonces")
    migrate.upgrade(s)
    engine = get_engine(s)
    assert "annonces_annonces" in sa.inspect(engine).get_table_names()
    ini = tmp_path / "m.ini"
    ini.write_text(f"[app:main]\nuse = egg:makeplus-core\nsqlalchemy.url = {s['sqlalchemy.url']}\n"
                   "makeplus.plugins = annonces\n")
    assert db_script.main(["downgrade", str(ini), "annonces@base"]) == 0
    names = sa.inspect(engine).get_table_names()
    assert "annonces_annonces" not in names and "events" in names
    assert db_script.main(["downgrade", str(ini), "nosuch@base"]) == 2
    assert "no migration branch 'nosuch'" in capsys.readouterr().err
    assert db_script.main(["upgrade", str(ini)]) == 0
    assert "annonces_annonces" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_a_revision_of_an_uninstalled_plugin_is_named_and_can_be_forgotten(tmp_path, capsys):
    s = _tmp_settings(tmp_path)
    migrate.upgrade(s)
    engine = get_engine(s)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES ('0001_gone')"))
    with pytest.raises(migrate.MigrationError, match="0001_gone.*uninstalled.*downgrade"):
        migrate.upgrade(s)
    ini = tmp_path / "m.ini"
    ini.write_text(f"[app:main]\nuse = egg:makeplus-core\nsqlalchemy.url = {s['sqlalchemy.url']}\n"
                   "makeplus.plugins =\n")
    assert db_script.main(["upgrade", str(ini)]) == 2
    assert "--forget 0001_gone" in capsys.readouterr().err
    assert db_script.main(["stamp", str(ini), "--forget", "0001_gone"]) == 0
    assert migrate.upgrade(s) == ["core"]
    engine.dispose()


def test_revision_refuses_an_unknown_branch_and_a_database_behind(tmp_path):
    s = _tmp_settings(tmp_path)
    with pytest.raises(migrate.MigrationError, match="'nosuch' is not an enabled plugin"):
        migrate.revision(s, "nosuch", "x")
    with pytest.raises(migrate.MigrationError, match="not up to date.*core.*makeplus-db upgrade"):
        migrate.revision(s, "core", "x")


def test_autogenerate_compares_only_the_branch_tables():
    owned_core = migrate.owned_tables("makeplus_core")
    assert {"users", "events", "participant_allowed_rooms"} <= owned_core
    assert not any(t.startswith("annonces_") for t in owned_core)
    include = migrate.include_object_for("sqlite", {"events"})
    events, users = Base.metadata.tables["events"], Base.metadata.tables["users"]
    assert include(events, "events", "table", False, None) is True
    assert include(users, "users", "table", False, None) is False
    assert include(users.c.email, "email", "column", False, None) is False


@pytest.mark.skipif(not os.environ.get("MAKEPLUS_TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="needs MAKEPLUS_TEST_DATABASE_URL (PostgreSQL)")
def test_the_core_wheel_migrates_a_fresh_postgresql_database(tmp_path):
    """Build the core's wheel, install it alone in a fresh virtualenv (no access to this
    checkout) and migrate an empty PostgreSQL database with its makeplus-db."""
    root = pathlib.Path(makeplus_core.__file__).resolve().parent.parent
    wheels, src = tmp_path / "wheels", tmp_path / "src"
    src.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):  # a copy: building writes build/ beside it
        shutil.copy(root / name, src / name)
    shutil.copytree(root / "makeplus_core", src / "makeplus_core",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(src)], check=True, capture_output=True, timeout=600)
    [wheel] = wheels.glob("makeplus_core-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    assert "makeplus_core/migrations/env.py" in names and "makeplus_core/migrations/versions/0001_core.py" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    site = subprocess.run([str(venv / "bin" / "python"), "-c", "import site; print(site.getsitepackages()[0])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The wheel's files in the new environment; its dependencies from ours (read-only, no makeplus_*).
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    deps = pathlib.Path(sa.__file__).resolve().parent.parent
    (pathlib.Path(site) / "deps.pth").write_text(str(deps) + "\n")
    base = sa.engine.make_url(os.environ["MAKEPLUS_TEST_DATABASE_URL"])
    name = f"{base.database}_wheel"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = base.set(database=name).render_as_string(hide_password=False)
        ini = tmp_path / "w.ini"
        ini.write_text(f"[app:main]\nuse = egg:makeplus-core\nsqlalchemy.url = {url}\nmakeplus.plugins =\n")
        code = ("import sys, makeplus_core; assert '/venv/' in makeplus_core.__file__, makeplus_core.__file__; "
                "from makeplus_core.scripts.db import main; sys.exit(main(['upgrade', sys.argv[1]]))")
        out = subprocess.run([str(venv / "bin" / "python"), "-c", code, str(ini)], capture_output=True,
                             text=True, timeout=600, cwd=tmp_path, env={"PATH": os.environ.get("PATH", "")})
        assert out.returncode == 0, out.stderr[-3000:]
        engine = sa.create_engine(url)
        assert {"users", "events", "rooms", "alembic_version"} <= set(sa.inspect(engine).get_table_names())
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM alembic_version")) == 1
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_drop_plan_file_without_the_exposants_plugin(tmp_path, monkeypatch):
    """A deployment without the exposants plugin: ``0010_drop_plan_file`` is a plain drop (no
    plugin revision to apply first) and its downgrade re-adds the column. The copy into the
    plugin is tested in plugins/exposants/tests/test_booth_plans.py."""
    from alembic import command
    from alembic.script import ScriptDirectory

    monkeypatch.setattr(migrate, "disabled_plugin_migration_folders", lambda settings: [])
    s = _tmp_settings(tmp_path)
    engine = get_engine(s)
    cfg, _ = migrate.alembic_config(s)
    script = ScriptDirectory.from_config(cfg)
    below = script.get_revision("0010_drop_plan_file").down_revision
    assert migrate.run_after(script.get_revision("0010_drop_plan_file")) == ("0002_exposants_plans",)
    with migrate.migrating(engine) as conn:
        command.upgrade(migrate.alembic_config(s, connection=conn)[0], below)
    columns = lambda: {c["name"] for c in sa.inspect(engine).get_columns("participants")}  # noqa: E731
    assert "plan_file" in columns()
    assert migrate.pending_prerequisites(script, migrate.applied_revisions(script, {below})) == []
    assert migrate.apply_prerequisites(s, engine) == []
    assert migrate.upgrade(s, engine) == ["core"]
    assert "plan_file" not in columns()
    with migrate.migrating(engine) as conn:
        command.downgrade(migrate.alembic_config(s, connection=conn)[0], below)
    assert "plan_file" in columns()
    engine.dispose()
