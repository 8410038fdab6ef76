"""The whole documented path of a third-party plugin (docs/plugins.md), command by command:

scaffold ``sponsors`` outside the repository, pip install it into this virtualenv,
enable it, migrate, load demo data, serve it, run its own tests (SQLite, and PostgreSQL
when ``MAKEPLUS_TEST_DATABASE_URL`` is set, in a database of its own), change its model
and write the next revision, create a first revision from scratch, disable it (routes
gone, module not imported), downgrade its branch, pip uninstall it: the core still
upgrades and starts.

It installs into and uninstalls from the running virtualenv, so it only runs when
``MAKEPLUS_SDK_PATH=1`` (``.ci/run`` sets it); ``make test`` skips it.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

import makeplus_core
from makeplus_core.plugins import installed_entry_points

ROOT = pathlib.Path(makeplus_core.__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent
NAME = "sponsors"

pytestmark = pytest.mark.skipif(os.environ.get("MAKEPLUS_SDK_PATH") != "1",
                                reason="installs a plugin into the virtualenv: set MAKEPLUS_SDK_PATH=1 (.ci/run does)")


def run(*args, cwd=None, env=None, ok=(0,)):
    full = {k: v for k, v in os.environ.items() if k != "MAKEPLUS_PLUGINS"}  # the INI decides
    out = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                         env={**full, **(env or {})}, timeout=600)
    assert out.returncode in ok, f"{args} -> {out.returncode}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out


def doc_commands() -> str:
    return (ROOT / "docs" / "plugins.md").read_text()


def free_port() -> int:
    for port in range(7870, 7900):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 7870-7899")


def get(url, token=None, data=None):
    req = urllib.request.Request(url, data=json.dumps(data).encode() if data is not None else None,
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def serve(ini: pathlib.Path, check):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MAKEPLUS_PLUGINS"}
    proc = subprocess.Popen([str(BIN / "pserve"), str(ini), f"http_port={port}"], cwd=ini.parent, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://localhost:{port}"
        for _ in range(120):
            try:
                if get(base + "/api/health/")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if proc.poll() is not None:
                raise AssertionError("pserve stopped: " + proc.stderr.read()[-3000:])
            time.sleep(0.5)
        else:
            raise AssertionError("pserve did not answer")
        check(base)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def other_postgres_database(url: str, suffix: str):
    """A fresh database next to the suite's (its tests drop and recreate their schema)."""
    base = sa.engine.make_url(url)
    name = f"{base.database}_{suffix}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return admin, name, base.set(database=name).render_as_string(hide_password=False)


def test_the_documented_plugin_path(tmp_path):
    assert NAME not in installed_entry_points(), "uninstall makeplus-sponsors before this test"
    # 1. scaffold, install, enable
    run(BIN / "makeplus-plugin", "new", NAME, "--dest", tmp_path)
    dist = tmp_path / "makeplus-sponsors"
    assert (dist / "makeplus_sponsors" / "migrations" / "versions" / "0001_sponsors.py").exists()
    run(BIN / "pip", "install", "-q", "-e", dist)
    try:
        _installed_path(tmp_path, dist)
    finally:
        run(BIN / "pip", "uninstall", "-y", "-q", "makeplus-sponsors", ok=(0, 1))
    assert NAME not in _entry_points_in_a_fresh_interpreter()
    docs = doc_commands()
    for command in ("makeplus-plugin new sponsors --dest", "pip install -e", "makeplus-db upgrade",
                    "makeplus-db revision", "--branch sponsors --autogenerate", "pserve",
                    "python -m pytest", "makeplus-db downgrade", "sponsors@base", "pip uninstall",
                    "    level: Mapped[str | None] = mapped_column(sa.String(20))\n"):
        assert command in docs, f"docs/plugins.md does not show `{command}`"


def _entry_points_in_a_fresh_interpreter() -> list[str]:
    out = run(sys.executable, "-c", "from makeplus_core.plugins import installed_entry_points as e; "
                                    "print(' '.join(sorted(e())))")
    return out.stdout.split()


def _installed_path(tmp_path, dist):
    ini = tmp_path / "sponsors.ini"
    text = (ROOT / "development.ini").read_text()
    plugins = re.search(r"^makeplus.plugins = (.*)$", text, re.M).group(1)
    enabled = f"{plugins} {NAME}"
    ini.write_text(text.replace(f"makeplus.plugins = {plugins}", f"makeplus.plugins = {enabled}"))
    (tmp_path / "var").mkdir()

    # 2. migrate (core, then each plugin; sponsors' shipped first revision), demo data
    out = run(BIN / "makeplus-db", "upgrade", ini)
    assert out.stdout.strip().endswith(NAME)
    db = sa.create_engine(f"sqlite:///{tmp_path / 'var' / 'makeplus.sqlite'}")
    assert "sponsors_items" in sa.inspect(db).get_table_names()
    run(BIN / "makeplus-demo", ini)

    # 3. serve: capabilities, the demo row for the demo gestionnaire, role checks
    def check_on(base):
        assert NAME in get(base + "/api/")[1]["capabilities"]
        status, body = get(base + "/api/auth/token/", data={"email": "gestionnaire@makeplus.demo",
                                                             "password": "makeplus2025"})
        assert status == 200, body
        token = body["access"]
        status, items = get(base + "/api/sponsors/", token)
        assert status == 200 and [i["name"] for i in items["results"]] == ["Sponsors demo"]
        assert get(base + "/api/sponsors/", token, data={"name": "Gold"})[0] == 201
        assert get(base + "/api/sponsors/")[0] == 401
        _, body = get(base + "/api/auth/token/", data={"email": "participant@makeplus.demo",
                                                       "password": "makeplus2025"})
        assert get(base + "/api/sponsors/", body["access"], data={"name": "X"})[0] == 403

    serve(ini, check_on)

    # 4. its own tests, on SQLite and (when the suite runs on it) PostgreSQL
    out = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", cwd=dist,
              env={"MAKEPLUS_TEST_DATABASE_URL": ""})
    assert re.search(r"\b7 passed\b", out.stdout), out.stdout[-2000:]
    pg = os.environ.get("MAKEPLUS_TEST_DATABASE_URL")
    if pg:
        admin, name, url = other_postgres_database(pg, "sponsors")
        try:
            out = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", cwd=dist,
                      env={"MAKEPLUS_TEST_DATABASE_URL": url})
            assert re.search(r"\b7 passed\b", out.stdout), out.stdout[-2000:]
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    # 5. change the model, write the next revision, upgrade
    models = dist / "makeplus_sponsors" / "models.py"
    models.write_text(models.read_text().replace(
        '    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")\n',
        '    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")\n'
        '    level: Mapped[str | None] = mapped_column(sa.String(20))\n'))
    run(BIN / "makeplus-db", "revision", ini, "--branch", NAME, "--autogenerate", "-m", "sponsor level")
    versions = dist / "makeplus_sponsors" / "migrations" / "versions"
    second = [p for p in versions.glob("*.py") if p.name != "0001_sponsors.py"]
    assert len(second) == 1
    code = second[0].read_text()
    assert "add_column" in code and "'level'" in code and "down_revision = '0001_sponsors'" in code
    assert "users" not in code.split("def upgrade")[1]  # only the branch's own tables
    run(BIN / "makeplus-db", "upgrade", ini)
    assert "level" in {c["name"] for c in sa.inspect(db).get_columns("sponsors_items")}

    # 6. a first revision from scratch: without one, upgrade names the plugin and keeps the core
    run(BIN / "makeplus-db", "downgrade", ini, f"{NAME}@base")
    for p in versions.glob("*.py"):
        p.unlink()
    out = run(BIN / "makeplus-db", "upgrade", ini, ok=(3,))
    assert "plugin 'sponsors' has no migration yet" in out.stderr and "--branch sponsors" in out.stderr
    assert "core" in out.stdout
    run(BIN / "makeplus-db", "revision", ini, "--branch", NAME, "--autogenerate", "-m", "sponsors tables")
    [first] = list(versions.glob("*.py"))
    code = first.read_text()
    assert "branch_labels = ('sponsors',)" in code and "depends_on = '0001_core'" in code
    assert "create_table('sponsors_items'" in code and "'level'" in code
    run(BIN / "makeplus-db", "upgrade", ini)
    assert "sponsors_items" in sa.inspect(db).get_table_names()

    # 7. disable: routes gone, module never imported
    ini.write_text(ini.read_text().replace(f"makeplus.plugins = {enabled}", f"makeplus.plugins = {plugins}"))

    def check_off(base):
        assert NAME not in get(base + "/api/")[1]["capabilities"]
        assert get(base + "/api/sponsors/")[0] == 404

    serve(ini, check_off)
    code = ("import sys; from pyramid.paster import get_app; get_app(sys.argv[1]); "
            "print('makeplus_sponsors' in sys.modules)")
    assert run(sys.executable, "-c", code, ini).stdout.split()[-1] == "False"

    # 8. downgrade its branch (tables dropped), then pip uninstall (by the caller): the core upgrades and starts
    run(BIN / "makeplus-db", "downgrade", ini, f"{NAME}@base")
    assert "sponsors_items" not in sa.inspect(db).get_table_names()
    run(BIN / "pip", "uninstall", "-y", "-q", "makeplus-sponsors")
    run(BIN / "makeplus-db", "upgrade", ini)
    serve(ini, lambda base: None)
    db.dispose()
