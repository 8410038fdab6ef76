"""MakePlus plugin ``qa``: questions asked by event members about sessions.

Hooks: ``makeplus_includeme`` (REST services), ``makeplus_migrations`` (its Alembic
branch), ``makeplus_permissions`` (gestionnaires answer questions, participants ask),
``makeplus_demo_data``, ``makeplus_user_export`` (a user's questions),
``makeplus_event_statistics`` (question counts), ``makeplus_dashboard_pages`` (the
questions page). See docs/qa.md.
"""
from __future__ import annotations

from makeplus_core.plugin_api import (
    dashboard_pages_hook,
    demo_data_hook,
    hookimpl,
    includeme_hook,
    migrations_hook,
    returns,
)

from . import models  # noqa: F401  (tables on the core's Base)

makeplus_includeme = includeme_hook(__name__)
makeplus_migrations = migrations_hook(__name__)
makeplus_permissions = returns({"gestionnaire_des_salles": ["answer_questions"], "participant": ["ask_questions"]})
makeplus_demo_data = demo_data_hook(__name__)
makeplus_dashboard_pages = dashboard_pages_hook(__name__)


@hookimpl
def makeplus_user_export(dbsession, user):
    from .services import export_for_user

    return {"qa_questions": export_for_user(dbsession, user)}


@hookimpl
def makeplus_event_statistics(dbsession, event_id, role):
    """Question counts: nothing private in them, the same for every role."""
    from .services import event_statistics

    return {"qa": event_statistics(dbsession, event_id)}
