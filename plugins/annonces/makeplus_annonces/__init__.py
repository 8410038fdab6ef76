"""MakePlus plugin ``annonces``: announcements of an event, targeted by role.

Hooks: ``makeplus_includeme`` (REST services), ``makeplus_migrations`` (its Alembic
branch), ``makeplus_demo_data``, ``makeplus_user_export`` (the annonces a user wrote),
``makeplus_search`` (annonces the caller's role may read), ``makeplus_dashboard_pages``
(the annonces page).
"""
from __future__ import annotations

from makeplus_core.plugin_api import dashboard_pages_hook, demo_data_hook, hookimpl, includeme_hook, migrations_hook

from . import models  # noqa: F401  (tables on the core's Base)

makeplus_includeme = includeme_hook(__name__)
makeplus_migrations = migrations_hook(__name__)
makeplus_demo_data = demo_data_hook(__name__)
makeplus_dashboard_pages = dashboard_pages_hook(__name__)


@hookimpl
def makeplus_user_export(dbsession, user):
    from .services import export_for_user

    return {"annonces_created": export_for_user(dbsession, user)}


@hookimpl
def makeplus_search(dbsession, event_id, query, role, user_id, limit):
    from .services import search

    return search(dbsession, event_id, query, role, limit)
