"""The public surface of ``makeplus_core.api`` and ``makeplus_core.plugin_api`` stays the same (issue 15).

``api.py`` became a package of submodules, one per job; every name views and plugins used as
``api.<name>`` is still there, re-exported by ``makeplus_core/api/__init__.py`` — and by nothing
else: a module that imports an api name from somewhere other than the api package (or the
plugin API, the SDK facade that re-exports it on purpose) would make a second home for it.
"""
import ast
import importlib
import inspect
import pathlib
import types

import makeplus_core
from makeplus_core import api, plugin_api

ROOT = pathlib.Path(makeplus_core.__file__).resolve().parent.parent

#: Every public name of makeplus_core/api.py before it became a package.
API_NAMES = [
    "UUID", "UUID_ID", "cornice_error_handler", "doc", "error_response", "errors", "forbidden_view",
    "get_or_404", "identity", "includeme", "isoformat", "json_body", "json_dumps", "json_renderer",
    "json_response", "money", "no_content", "notfound_view", "page_params", "paginate", "param",
    "parse_bool", "parse_uuid", "path_int", "request_id", "require_event", "require_gestionnaire",
    "require_role", "role_in_event", "server_error_response", "service", "validate",
]

#: makeplus_core.plugin_api.__all__ before the split (plugins may rely on every one of them).
PLUGIN_API_NAMES = [
    "hookimpl", "Base", "Money", "UTCDateTime", "get_engine", "get_session_factory", "icontains", "new_uuid",
    "utcnow", "api", "doc", "get_or_404", "identity", "isoformat", "json_body", "json_response", "money",
    "no_content", "paginate", "param", "parse_bool", "parse_uuid", "require_event", "require_gestionnaire",
    "require_role", "role_in_event", "service", "validate", "errors", "Conflict", "DomainError", "Forbidden",
    "Invalid", "NotAuthenticated", "NotFound", "PaymentRequired", "RateLimited", "TooLarge", "schema", "roles",
    "BADGE_ROLES", "CONTROLLEUR", "EXPOSANT", "GESTIONNAIRE", "PARTICIPANT", "ROLES", "STAFF_ROLES",
    "RoomAccess", "SessionAccess", "User", "EVENT_STATUSES", "Event", "UserEventAssignment", "Participant",
    "Room", "SESSION_STATUSES", "SESSION_TYPES", "Session", "RoomAssignment", "access_pipeline",
    "access_services", "badge_policy", "recent_audit_entries", "badges", "invitations", "passwords", "throttle",
    "sees_finances", "auth_services", "event_json", "event_archive", "event_schemas", "event_services",
    "file_url", "participant_services", "room_schemas", "room_services", "Matcher", "parse_query",
    "session_schemas", "session_services", "staff_schemas", "staff_services", "event_modules",
    "participant_importer", "participants_sheet", "scan_journal_sheet", "events_report_sheet",
    "sessions_report_sheet", "enrolment", "jobs", "issue_token", "plugin_fields", "token_principal", "storage",
    "web", "WEB", "send_mail", "qr_images", "Sheet", "xlsx_response", "i18n", "N_", "translate", "demo",
    "migrate", "make_plugin_manager",
]

#: The modules allowed to hand api names on: the package itself and the declared plugin API.
FACADES = {"makeplus_core.api", "makeplus_core.plugin_api"}
#: Helpers that had twins; one definition each, in the api package.
ONE_DEFINITION = {"no_content", "isoformat", "json_dumps", "json_default", "json_response", "json_renderer"}


def test_every_api_name_of_before_is_importable():
    assert [name for name in API_NAMES if not hasattr(api, name)] == []


def test_every_plugin_api_name_of_before_is_importable():
    assert [name for name in PLUGIN_API_NAMES if not hasattr(plugin_api, name)] == []
    assert set(PLUGIN_API_NAMES) <= set(plugin_api.__all__)
    assert plugin_api.api is api


def test_all_lists_each_name_once_and_says_where_it_lives():
    assert len(api.__all__) == len(set(api.__all__))
    assert set(API_NAMES) - {"includeme"} <= set(api.__all__)
    for name in api.__all__:
        obj = getattr(api, name)
        if isinstance(obj, types.ModuleType):
            assert obj is api.errors, name
            continue
        if callable(obj):
            home = obj.__module__
            assert home.startswith("makeplus_core.api."), f"{name} is defined in {home}"
            submodule = home.rpartition(".")[2]
            assert f"``{name}``" in api.__doc__, f"the api package docstring does not list {name}"
            assert f"``{submodule}``" in api.__doc__, f"the api package docstring does not list {submodule}"


def test_each_api_submodule_says_what_it_holds():
    folder = pathlib.Path(api.__file__).parent
    for path in sorted(folder.glob("*.py")):
        module = importlib.import_module(f"makeplus_core.api.{path.stem}" if path.stem != "__init__" else
                                         "makeplus_core.api")
        assert (module.__doc__ or "").strip(), f"{path.name} has no module docstring"


def _python_files():
    for folder in [ROOT / "makeplus_core", ROOT / "tests", *sorted((ROOT / "plugins").glob("*"))]:
        for path in sorted(folder.rglob("*.py")):
            if "scaffold_template" not in path.parts and ".venv" not in path.parts:
                yield path


def _module_name(path: pathlib.Path) -> str | None:
    rel = path.relative_to(ROOT)
    parts = list(rel.with_suffix("").parts)
    if parts[0] == "plugins":
        parts = parts[2:]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) if parts else None


def _absolute(module: str | None, path: pathlib.Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    package = package[: len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


def _api_objects() -> dict[int, str]:
    """id -> name of every function or class the api package exports."""
    out = {}
    for name in api.__all__:
        obj = getattr(api, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            out[id(obj)] = name
    return out


def second_homes() -> list[str]:
    """Imports of an api name from a module that is neither the api package nor its defining submodule."""
    exported = _api_objects()
    found = []
    for path in _python_files():
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.ImportFrom):
                continue
            source = _absolute(module, path, node)
            if not source.startswith("makeplus_core") or source in FACADES:
                continue
            imported = importlib.import_module(source)
            for alias in node.names:
                obj = getattr(imported, alias.name, None)
                if id(obj) in exported and getattr(obj, "__module__", None) != source:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name} from {source}")
    return found


def twins() -> list[str]:
    """Definitions, outside the api package, of the helpers that must have one definition."""
    found = []
    api_folder = pathlib.Path(api.__file__).parent
    for path in _python_files():
        if path.parent == api_folder or "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in tree.body:
            names = []
            if isinstance(node, ast.FunctionDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            found += [f"{path.relative_to(ROOT)}:{node.lineno} defines {n}" for n in names
                      if n.lstrip("_") in ONE_DEFINITION]
    return found


def test_no_module_but_the_api_package_hands_api_names_on():
    assert second_homes() == []


def test_the_helpers_that_had_twins_are_defined_once():
    assert twins() == []
