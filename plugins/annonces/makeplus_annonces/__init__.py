"""MakePlus plugin ``annonces``: announcements of an event, targeted by role.

Hooks: ``makeplus_includeme`` (REST services), ``makeplus_migrations`` (its Alembic
branch), ``makeplus_demo_data``, ``makeplus_user_export`` (the annonces a user wrote),
``makeplus_search`` (annonces the caller's role may read), ``makeplus_dashboard_pages``
(the annonces page).
"""
from __future__ import annotations

from makeplus_core.plugin_api import standard_hooks

from . import models  # noqa: F401  (tables on the core's Base)

globals().update(standard_hooks(  # makeplus_includeme, _migrations, _demo_data, _dashboard_pages, …
    __name__, demo="demo:load", dashboard="dashboard:register",
    user_export=("annonces_created", "services:export_for_user"),
    search="services:search",  # annonces the caller's role may read
))
