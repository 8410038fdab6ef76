"""docs/plugins.md is executable: its code blocks are the scaffold's files, its hook
headings carry the exact arguments of hookspecs.py, it names every plugin API export."""
import inspect
import pathlib
import re

import pytest

import makeplus_core
from makeplus_core import hookspecs, plugin_api, scaffold

ROOT = pathlib.Path(makeplus_core.__file__).resolve().parent.parent
DOC = ROOT / "docs" / "plugins.md"


def file_blocks():
    text = DOC.read_text()
    return re.findall(r"<!-- file: (\S+) -->\n```python\n(.*?)```", text, re.S)


def test_the_tutorial_shows_the_files_the_scaffold_writes(tmp_path):
    blocks = file_blocks()
    assert {path for path, _ in blocks} >= {"makeplus_sponsors/__init__.py", "makeplus_sponsors/models.py",
                                            "makeplus_sponsors/views.py", "makeplus_sponsors/services.py",
                                            "makeplus_sponsors/dashboard.py"}
    dist = scaffold.write("sponsors", tmp_path)
    for path, code in blocks:
        assert (dist / path).read_text() == code, f"docs/plugins.md shows another {path} than the scaffold"


def test_the_tutorial_code_compiles_and_imports_only_the_plugin_api():
    for path, code in file_blocks():
        compile(code, path, "exec")
        for module in re.findall(r"^\s*(?:from|import) (makeplus_core\S*)", code, re.M):
            assert module == "makeplus_core.plugin_api" or code.count("from makeplus_core import plugin_api"), \
                f"{path} imports {module}"


def hooks():
    return sorted(n for n in dir(hookspecs) if n.startswith("makeplus_"))


@pytest.mark.parametrize("hook", hooks())
def test_hook_headings_carry_the_spec_arguments(hook):
    documented = dict(re.findall(r"^### (makeplus_\w+)\((.*?)\)$", DOC.read_text(), re.M))
    assert hook in documented, f"{hook} is missing from docs/plugins.md"
    args = [a.strip() for a in documented[hook].split(",") if a.strip()]
    assert args == list(inspect.signature(getattr(hookspecs, hook)).parameters), \
        f"docs/plugins.md documents {hook}({documented[hook]}), hookspecs.py says otherwise"


def test_every_plugin_api_name_is_documented():
    text = DOC.read_text()
    missing = [n for n in plugin_api.__all__ if f"`{n}`" not in text]
    assert missing == []


def test_testing_doc_names_every_fixture_and_factory():
    from makeplus_core import testing

    text = (ROOT / "docs" / "testing.md").read_text()
    for name in ("app", "make_app", "db", "f", "count_queries", "settings", "engine", "live_server", "page",
                 "MAKEPLUS_TEST_PLUGINS", "MAKEPLUS_TEST_DATABASE_URL", "@pytest.mark.plugin("):
        assert f"`{name}" in text, name
    factories = [n for n, _ in inspect.getmembers(testing.Factories, inspect.isfunction) if not n.startswith("_")]
    for name in factories:
        assert f"`f.{name}(" in text, f"factory {name} is not in docs/testing.md"
