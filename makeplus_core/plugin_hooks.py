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
