"""The hooks every plugin declares the same way, each made by one call.

A plugin's ``__init__.py`` keeps the hooks that hold its own logic as decorated functions
and declares the routine ones in one line each (docs/plugins.md, "5. The code")::

    makeplus_includeme = includeme_hook(__name__)          # config.scan("<package>.views")
    makeplus_migrations = migrations_hook(__name__)        # <package>/migrations/versions
    makeplus_demo_data = demo_data_hook(__name__)          # <package>.demo.load(dbsession, demo)
    makeplus_dashboard_pages = dashboard_pages_hook(__name__)  # <package>.dashboard.register(dashboard)
    makeplus_rate_limits = returns({"my_bucket": "5/60"})

Each returns a ``hookimpl`` function with the spec's arguments; the modules named are
imported when the hook is first called, as a hand-written hook would import them.

:func:`standard_hooks` makes all of a plugin's routine hooks in ONE call and returns them
by hook name; the plugin binds them as module attributes (pluggy reads those)::

    globals().update(standard_hooks(
        __name__, demo="demo:load", dashboard="dashboard:register",
        permissions={"participant": ["ask_questions"]},
        user_export=("qa_questions", "services:export_for_user"),
    ))

Exported by :mod:`makeplus_core.plugin_api`.
"""
from __future__ import annotations

import importlib
import pathlib

from .hookspecs import hookimpl


def _function(package: str, target: str):
    """``"module:function"`` inside ``package``, imported now."""
    module, name = target.split(":")
    return getattr(importlib.import_module(f"{package}.{module}"), name)


def includeme_hook(package: str, *, views: str = "views", include: tuple[str, ...] = ()):
    """``makeplus_includeme``: scan ``<package>.<views>`` (its Cornice services), then
    ``config.include`` each ``<package>.<name>`` of ``include`` (e.g. web pages)."""
    @hookimpl
    def makeplus_includeme(config):
        config.scan(f"{package}.{views}")
        for name in include:
            config.include(f"{package}.{name}")

    return makeplus_includeme


def migrations_hook(package: str):
    """``makeplus_migrations``: the package's ``migrations/versions`` folder (its Alembic branch)."""
    @hookimpl
    def makeplus_migrations():
        return pathlib.Path(importlib.import_module(package).__file__).parent / "migrations" / "versions"

    return makeplus_migrations


def demo_data_hook(package: str, target: str = "demo:load"):
    """``makeplus_demo_data``: call ``<package>.<module>.<function>(dbsession, demo)``."""
    @hookimpl
    def makeplus_demo_data(dbsession, demo):
        _function(package, target)(dbsession, demo)

    return makeplus_demo_data


def dashboard_pages_hook(package: str, target: str = "dashboard:register"):
    """``makeplus_dashboard_pages``: call ``<package>.<module>.<function>(dashboard)``."""
    @hookimpl
    def makeplus_dashboard_pages(dashboard):
        _function(package, target)(dashboard)

    return makeplus_dashboard_pages


def returns(value):
    """A hook without arguments that answers ``value`` (``makeplus_rate_limits``,
    ``makeplus_permissions``, ``makeplus_capabilities``)."""
    @hookimpl
    def constant():
        return value

    return constant


def user_export_hook(package: str, target: str, key: str | None = None):
    """``makeplus_user_export``: ``<target>(dbsession, user)``, under ``key`` when one is given."""
    @hookimpl
    def makeplus_user_export(dbsession, user):
        found = _function(package, target)(dbsession, user)
        return found if key is None else {key: found}

    return makeplus_user_export


def event_records_hook(package: str, key: str, target: str):
    """``makeplus_event_records``: ``{key: <target>(dbsession, event_id)}`` (rows that keep the event)."""
    @hookimpl
    def makeplus_event_records(dbsession, event_id):
        return {key: _function(package, target)(dbsession, event_id)}

    return makeplus_event_records


def event_statistics_hook(package: str, key: str, target: str, *, finances_only: bool = False):
    """``makeplus_event_statistics``: ``{key: <target>(dbsession, event_id)}``; with
    ``finances_only``, None for the roles that do not see finances (``sees_finances``)."""
    @hookimpl
    def makeplus_event_statistics(dbsession, event_id, role):
        from .events.services import sees_finances

        if finances_only and not sees_finances(role):
            return None
        return {key: _function(package, target)(dbsession, event_id)}

    return makeplus_event_statistics


def search_hook(package: str, target: str = "services:search"):
    """``makeplus_search``: ``<target>(dbsession, event_id, query, role, limit)``."""
    @hookimpl
    def makeplus_search(dbsession, event_id, query, role, limit):
        return _function(package, target)(dbsession, event_id, query, role, limit)

    return makeplus_search


def standard_hooks(package: str, *, views: str | None = "views", include: tuple[str, ...] = (),
                   migrations: bool = True, demo: str | None = None, dashboard: str | None = None,
                   rate_limits: dict | None = None, permissions: dict | None = None,
                   capabilities: dict | None = None, user_export: str | tuple[str, str] | None = None,
                   event_records: tuple[str, str] | None = None,
                   event_statistics: tuple[str, str] | None = None, finances_only: bool = False,
                   search: str | None = None) -> dict:
    """A plugin's routine hooks, by hook name, made by the makers above; bind them with
    ``globals().update(standard_hooks(__name__, ...))``. Each argument left out (None,
    ``views=None``, ``migrations=False``) makes no hook: the plugin writes it by hand or has none.

    ``views``/``include``: :func:`includeme_hook`; ``migrations``: :func:`migrations_hook`;
    ``demo``, ``dashboard``: ``"module:function"`` of :func:`demo_data_hook` and
    :func:`dashboard_pages_hook`; ``rate_limits``, ``permissions``, ``capabilities``: the
    value :func:`returns` answers; ``user_export``: ``"module:function"`` or
    ``(key, "module:function")`` (:func:`user_export_hook`); ``event_records`` and
    ``event_statistics``: ``(key, "module:function")`` (:func:`event_records_hook`,
    :func:`event_statistics_hook` with ``finances_only``); ``search``: :func:`search_hook`.
    """
    hooks = {}
    if views is not None:
        hooks["makeplus_includeme"] = includeme_hook(package, views=views, include=include)
    if migrations:
        hooks["makeplus_migrations"] = migrations_hook(package)
    if demo is not None:
        hooks["makeplus_demo_data"] = demo_data_hook(package, demo)
    if dashboard is not None:
        hooks["makeplus_dashboard_pages"] = dashboard_pages_hook(package, dashboard)
    for name, value in (("rate_limits", rate_limits), ("permissions", permissions), ("capabilities", capabilities)):
        if value is not None:
            hooks[f"makeplus_{name}"] = returns(value)
    if user_export is not None:
        key, target = user_export if isinstance(user_export, tuple) else (None, user_export)
        hooks["makeplus_user_export"] = user_export_hook(package, target, key)
    if event_records is not None:
        hooks["makeplus_event_records"] = event_records_hook(package, *event_records)
    if event_statistics is not None:
        hooks["makeplus_event_statistics"] = event_statistics_hook(package, *event_statistics,
                                                                   finances_only=finances_only)
    if search is not None:
        hooks["makeplus_search"] = search_hook(package, search)
    return hooks
