"""MakePlus plugin ``qa``: questions asked by event members about sessions.

Hooks implemented: ``makeplus_includeme`` (REST services), ``makeplus_migrations``
(its Alembic branch), ``makeplus_demo_data``, ``makeplus_user_export``,
``makeplus_event_statistics``. See docs/qa.md.
"""
from __future__ import annotations

import pathlib

from makeplus_core.plugin_api import hookimpl

from . import models  # noqa: F401  (tables on the core's Base)


@hookimpl
def makeplus_includeme(config):
    config.scan("makeplus_qa.views")


@hookimpl
def makeplus_migrations():
    return pathlib.Path(__file__).parent / "migrations" / "versions"


@hookimpl
def makeplus_permissions():
    return {"gestionnaire_des_salles": ["answer_questions"], "participant": ["ask_questions"]}


@hookimpl
def makeplus_demo_data(dbsession, demo):
    from .demo import load

    load(dbsession, demo)


@hookimpl
def makeplus_user_export(dbsession, user):
    from .services import export_for_user

    return {"qa_questions": export_for_user(dbsession, user)}


@hookimpl
def makeplus_event_statistics(dbsession, event_id, role):
    """Question counts: nothing private in them, the same for every role."""
    from .services import event_statistics

    return {"qa": event_statistics(dbsession, event_id)}


@hookimpl
def makeplus_dashboard_pages(dashboard):
    from .dashboard import register

    register(dashboard)
