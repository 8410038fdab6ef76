"""The core's modules import each other without a cycle (issue 15).

Every module of ``makeplus_core`` is parsed with ``ast``. Every ``import`` and ``from … import`` counts, at module
level and inside functions alike (an import moved into a function still makes the cycle, it only hides it until
run time); imports under ``if TYPE_CHECKING:`` do not run and do not count. Relative imports are resolved.
``from pkg import name`` where ``pkg/name.py`` exists imports the submodule ``pkg.name``; any other name
is read from ``pkg`` (its ``__init__``).

A package is its ``__init__`` module: ``makeplus_core.events`` is ``makeplus_core/events/__init__.py``. Importing
``makeplus_core.events.services`` also runs ``makeplus_core.events`` and ``makeplus_core`` first; those implicit
parent imports are not edges here, because every ``__init__`` would otherwise sit in a cycle with its own children
as soon as it includes them (``config.include``) — what matters is which module names which.
"""

import ast
from pathlib import Path

import makeplus_core

ROOT = Path(makeplus_core.__file__).resolve().parent
PACKAGE = "makeplus_core"


def module_name(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        if "scaffold_template" in path.parts:
            continue
        found[module_name(path)] = path
    return found


def is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_nodes(tree):
    """Every import statement of the module, wherever it sits, except under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def resolve_from(name, path, node):
    if not node.level:
        return node.module or ""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    if node.level > 1:
        package = package[: len(package) - (node.level - 1)]
    base = ".".join(package)
    return f"{base}.{node.module}" if node.module else base


def imported_modules(name, path, known):
    """The makeplus_core modules this module imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    targets = set()
    for node in import_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE):
                    targets.add(alias.name)
            continue
        base = resolve_from(name, path, node)
        if not base.startswith(PACKAGE):
            continue
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            # ``from pkg import submodule`` imports the submodule; any other name is read from ``pkg`` itself.
            targets.add(candidate if candidate in known else base)
    resolved = set()
    for target in targets:
        # ``import makeplus_core.a.b`` of a name that is not a module (an attribute) means its closest module.
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            resolved.add(target)
    return resolved


def import_graph():
    known = modules()
    return {name: imported_modules(name, path, known) for name, path in known.items()}


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan), each with one cycle through it."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [(sorted(component), one_cycle(graph, component)) for component in components]


def one_cycle(graph, component):
    """A shortest cycle through the component's first module, as a list of module names (first == last)."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & component):
            if target == start:
                return paths[node] + [start]
            if target not in paths:
                paths[target] = paths[node] + [target]
                queue.append(target)
    return [start]


def describe(found):
    lines = []
    for members, cycle in found:
        lines.append(f"{len(members)} modules in a cycle: " + " -> ".join(cycle))
        lines.append("    all of them: " + ", ".join(members))
    return "\n".join(lines)


def test_the_graph_sees_imports_inside_functions_and_relative_imports(tmp_path):
    known = {"makeplus_core", "makeplus_core.a", "makeplus_core.a.b", "makeplus_core.c"}
    package = tmp_path / "makeplus_core" / "a"
    package.mkdir(parents=True)
    source = package / "__init__.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "if TYPE_CHECKING:\n"
        "    from makeplus_core import c\n"
        "def f():\n"
        "    from ..c import thing\n",
        encoding="utf-8",
    )
    assert imported_modules("makeplus_core.a", source, known) == {"makeplus_core.a.b", "makeplus_core.c"}


def test_the_cycle_finder_reports_every_cycle():
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    found = cycles(graph)
    assert sorted(members for members, _ in found) == [["a", "b"], ["c", "d", "e"]]
    assert ["c", "d", "e", "c"] in [cycle for _, cycle in found]


def test_makeplus_core_has_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles in makeplus_core (imports inside functions count):\n" + describe(found)
