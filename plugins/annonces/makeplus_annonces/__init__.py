"""MakePlus plugin ``annonces``: announcements of an event, targeted by role.

Hooks implemented: ``makeplus_includeme`` (REST services), ``makeplus_migrations``
(its Alembic branch), ``makeplus_demo_data``, ``makeplus_user_export``,
``makeplus_search`` (annonces the caller's role may read).
"""
from __future__ import annotations

import pathlib

from makeplus_core.plugin_api import hookimpl

from . import models  # noqa: F401  (tables on the core's Base)


@hookimpl
def makeplus_includeme(config):
    config.scan("makeplus_annonces.views")


@hookimpl
def makeplus_migrations():
    return pathlib.Path(__file__).parent / "migrations" / "versions"


@hookimpl
def makeplus_demo_data(dbsession, demo):
    from .demo import load

    load(dbsession, demo)


@hookimpl
def makeplus_user_export(dbsession, user):
    from .services import export_for_user

    return {"annonces_created": export_for_user(dbsession, user)}


@hookimpl
def makeplus_search(dbsession, event_id, query, role, user_id, limit):
    from .services import search

    return search(dbsession, event_id, query, role, limit)


@hookimpl
def makeplus_dashboard_pages(dashboard):
    from .dashboard import register

    register(dashboard)
