"""MakePlus plugin ``caisse``: cash desks selling paid ateliers and extras.

Hooks implemented: ``makeplus_includeme`` (REST services and the point-of-sale
page ``/caisse/``), ``makeplus_migrations``
(its Alembic branch), ``makeplus_demo_data``, ``makeplus_session_changed`` (one
payable item per paid atelier, kept in step), ``makeplus_event_statistics``,
``makeplus_user_export``, ``makeplus_dashboard_pages`` and ``makeplus_search`` (sales by
buyer name/e-mail or id, gestionnaires and admins only). See docs/caisse.md.
"""
from __future__ import annotations

import pathlib

from makeplus_core.plugin_api import hookimpl

from . import models  # noqa: F401  (tables on the core's Base)


@hookimpl
def makeplus_includeme(config):
    config.scan("makeplus_caisse.views")
    config.include("makeplus_caisse.pages")  # the point-of-sale web page /caisse/


@hookimpl
def makeplus_migrations():
    return pathlib.Path(__file__).parent / "migrations" / "versions"


@hookimpl
def makeplus_token_kinds():
    from .auth import TOKEN_TYPE, load_token

    return {TOKEN_TYPE: load_token}


@hookimpl
def makeplus_demo_data(dbsession, demo):
    from .demo import load

    load(dbsession, demo)


@hookimpl
def makeplus_session_changed(dbsession, session, action, changes):
    from .services import sync_session_item

    sync_session_item(dbsession, session, deleted=action == "deleted")


@hookimpl
def makeplus_event_statistics(dbsession, event_id, role):
    """Cash-desk revenue and payment splits: gestionnaires and admins only."""
    from makeplus_core.plugin_api import sees_finances

    from .services import event_statistics

    if not sees_finances(role):
        return None
    return {"caisse": event_statistics(dbsession, event_id)}


@hookimpl
def makeplus_event_records(dbsession, event_id):
    """Sales are never deleted: an event that has any cannot be deleted (archive it)."""
    from .services import transaction_count

    return {"caisse_transactions": transaction_count(dbsession, event_id)}


@hookimpl
def makeplus_user_export(dbsession, user):
    from .services import export_for_caisse_user

    return {"caisse_purchases": export_for_caisse_user(dbsession, user)}


@hookimpl
def makeplus_dashboard_pages(dashboard):
    from .dashboard import register

    register(dashboard)


@hookimpl
def makeplus_search(dbsession, event_id, query, role, user_id, limit):
    from .services import search

    return search(dbsession, event_id, query, role, limit)
