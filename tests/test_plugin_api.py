"""Every plugin of this repository imports the core only through the declared plugin
API ``makeplus_core.plugin_api``. Exceptions: Alembic revision files may import
``makeplus_core.db`` (the column types autogenerate writes); tests and a plugin's own
``testing.py`` helpers may import ``makeplus_core.testing`` (the harness)."""
import ast
import pathlib

import makeplus_core
from makeplus_core import plugin_api

ROOT = pathlib.Path(makeplus_core.__file__).resolve().parent.parent
API = "makeplus_core.plugin_api"


def core_imports(path: pathlib.Path):
    """``(line, module)`` of every import of a ``makeplus_core`` module in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "makeplus_core":
                for alias in node.names:
                    yield node.lineno, f"makeplus_core.{alias.name}"
            elif node.module.startswith("makeplus_core."):
                yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "makeplus_core" or alias.name.startswith("makeplus_core."):
                    yield node.lineno, alias.name


def allowed(path: pathlib.Path, module: str) -> bool:
    if module == API:
        return True
    if module == "makeplus_core.testing" and ("tests" in path.parts or path.name in ("testing.py", "conftest.py")):
        return True  # tests and a plugin's own test helpers
    return "migrations" in path.parts and module == "makeplus_core.db"


def offenders(folder: pathlib.Path) -> list[str]:
    out = []
    for path in sorted(folder.rglob("*.py")):
        for line, module in core_imports(path):
            if not allowed(path.relative_to(folder), module):
                out.append(f"{path}:{line} imports {module}")
    return out


def test_every_plugin_of_the_repository_imports_the_core_only_through_the_plugin_api():
    folders = sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml"))
    assert folders, "no plugin found under plugins/"
    problems = [o for folder in folders for o in offenders(folder)]
    assert problems == [], "\n".join(problems)


def test_the_check_catches_a_private_import(tmp_path):
    pkg = tmp_path / "makeplus_x"
    (pkg / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    (pkg / "views.py").write_text("from makeplus_core.plugin_api import service\n"
                                  "def f():\n    from makeplus_core.events.models import Event\n")
    (pkg / "migrations" / "versions" / "0001_x.py").write_text("import makeplus_core.db\n")
    (tmp_path / "tests" / "test_x.py").write_text("from makeplus_core.testing import PASSWORD\n"
                                                  "from makeplus_core import db\n")
    found = [o.split(" imports ")[1] for o in offenders(tmp_path)]
    assert found == ["makeplus_core.events.models", "makeplus_core.db"]


def test_the_api_exports_what_it_declares():
    assert sorted(set(plugin_api.__all__)) == sorted(plugin_api.__all__)
    for name in plugin_api.__all__:
        assert hasattr(plugin_api, name), name
