"""Finding and loading plugins.

Installed plugins are entry points of the group ``makeplus``. Only the names listed
in the INI setting ``makeplus.plugins`` (space or comma separated, in that order) are
imported and registered; a listed name that is not installed stops start-up.
"""
from __future__ import annotations

import importlib.metadata as md
import importlib.util
import pathlib

import pluggy

from . import hookspecs

GROUP = "makeplus"


class PluginNotInstalled(RuntimeError):
    pass


def installed_entry_points() -> dict[str, md.EntryPoint]:
    return {ep.name: ep for ep in md.entry_points(group=GROUP)}


def enabled_names(settings: dict) -> list[str]:
    raw = settings.get("makeplus.plugins", "") or ""
    names = [n.strip() for n in raw.replace(",", " ").split() if n.strip()]
    seen: list[str] = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


def make_plugin_manager(settings: dict) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    available = installed_entry_points()
    names = enabled_names(settings)
    missing = [n for n in names if n not in available]
    if missing:
        raise PluginNotInstalled(
            "makeplus.plugins lists plugin(s) that are not installed: " + ", ".join(missing)
            + f" (installed: {', '.join(sorted(available)) or 'none'})"
        )
    for name in names:
        module = available[name].load()
        pm.register(module, name=name)
    pm.check_pending()
    return pm


def plugin_version(name: str) -> str | None:
    ep = installed_entry_points().get(name)
    if ep is None or ep.dist is None:
        return None
    return ep.dist.version


def disabled_plugin_migration_folders(settings: dict) -> list[pathlib.Path]:
    """Migration folders of plugins that are installed but not enabled.

    Found by convention (``<package>/migrations/versions``) without importing the
    plugin, so Alembic can still read a revision graph that mentions them.
    """
    enabled = set(enabled_names(settings))
    folders = []
    for name, ep in installed_entry_points().items():
        if name in enabled:
            continue
        spec = importlib.util.find_spec(ep.module.split(".")[0])
        if spec is None or not spec.submodule_search_locations:
            continue
        folder = pathlib.Path(list(spec.submodule_search_locations)[0]) / "migrations" / "versions"
        if folder.is_dir():
            folders.append(folder)
    return folders
