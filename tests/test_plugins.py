"""The plugin contract: loading from the INI, hook documentation, the core/plugin boundary."""
import pathlib
import re
import subprocess
import sys

import pytest

import makeplus_core
from makeplus_core import hookspecs, main
from makeplus_core.plugins import PluginNotInstalled, installed_entry_points
from makeplus_core.testing import all_plugins, plugin_roots

ROOT = pathlib.Path(makeplus_core.__file__).resolve().parent.parent


def test_no_plugin_boots_and_plugin_routes_vanish(make_app):
    app = make_app(**{"makeplus.plugins": ""})
    assert app.get("/api/health/").json["plugins"] == []
    assert app.get("/api/").json["capabilities"] == {}
    r = app.get("/api/annonces/", status=404)
    assert r.json["error"] == "not_found"


def test_enabled_plugins_are_capabilities(make_app):
    app = make_app(**{"makeplus.plugins": "annonces"})
    caps = app.get("/api/").json["capabilities"]
    assert caps == {"annonces": {"version": "0.1.0"}}


def test_unknown_plugin_stops_startup(settings):
    with pytest.raises(PluginNotInstalled, match="nosuchplugin"):
        main({}, **{**settings, "makeplus.plugins": "annonces nosuchplugin"})


def test_installed_but_unlisted_plugin_is_never_imported(settings, tmp_path):
    """In a fresh interpreter, an app without plugins imports no plugin module."""
    code = (
        "import sys, makeplus_core\n"
        f"app = makeplus_core.main({{}}, **{{**{settings!r}, 'makeplus.plugins': ''}})\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('makeplus_') and m != 'makeplus_core'"
        " and not m.startswith('makeplus_core.'))\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_core_imports_no_plugin():
    pattern = re.compile(r"^\s*(from|import)\s+makeplus_(?!core\b)\w+", re.M)
    offenders = [str(p) for p in (ROOT / "makeplus_core").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def hook_names():
    return sorted(n for n in dir(hookspecs) if n.startswith("makeplus_"))


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_documented(hook):
    docs = (ROOT / "docs" / "plugins.md").read_text()
    assert re.search(rf"^### {hook}\(", docs, re.M), f"{hook} is missing from docs/plugins.md"
    # (its arguments are compared with the spec in tests/test_plugin_docs.py)
    spec = getattr(hookspecs, hook)
    doc = (spec.__doc__ or "").lower()
    assert "called" in doc and ("return" in doc), f"{hook} needs a docstring: when it is called, what it returns"


def test_documented_hooks_exist():
    docs = (ROOT / "docs" / "plugins.md").read_text()
    documented = re.findall(r"^### (makeplus_\w+)\(", docs, re.M)
    assert sorted(documented) == hook_names()


def test_every_plugin_of_this_repository_is_an_installed_distribution_with_tests():
    """Plugins under plugins/ are distributions with tests; plugins installed from
    elsewhere (a third party's) are allowed and only need a distribution."""
    installed = installed_entry_points()
    for folder in sorted((ROOT / "plugins").glob("*/pyproject.toml")):
        name = folder.parent.name
        assert (folder.parent / "tests").is_dir(), name
        if name in installed:
            assert plugin_roots()[name] == folder.parent.resolve(), name
    for name, ep in installed.items():
        assert ep.dist is not None, f"plugin {name} is an entry point without a distribution"


@pytest.mark.parametrize("plugins", [""] + all_plugins() + [" ".join(all_plugins())])
def test_plugin_matrix_boots(make_app, plugins):
    """The app boots with no plugin, each plugin alone, and all plugins."""
    app = make_app(**{"makeplus.plugins": plugins})
    health = app.get("/api/health/").json
    assert health["status"] == "ok"
    assert health["plugins"] == plugins.split()
