"""MakePlus plugin ``qa``: questions asked by event members about sessions.

Hooks: ``makeplus_includeme`` (REST services), ``makeplus_migrations`` (its Alembic
branch), ``makeplus_permissions`` (gestionnaires answer questions, participants ask),
``makeplus_demo_data``, ``makeplus_user_export`` (a user's questions),
``makeplus_event_statistics`` (question counts), ``makeplus_dashboard_pages`` (the
questions page). See docs/qa.md.
"""
from __future__ import annotations

from makeplus_core.plugin_api import standard_hooks

from . import models  # noqa: F401  (tables on the core's Base)

globals().update(standard_hooks(  # makeplus_includeme, _migrations, _demo_data, _dashboard_pages, …
    __name__, demo="demo:load", dashboard="dashboard:register",
    permissions={"gestionnaire_des_salles": ["answer_questions"], "participant": ["ask_questions"]},
    user_export=("qa_questions", "services:export_for_user"),
    # Question counts: nothing private in them, the same for every role.
    event_statistics=("qa", "services:event_statistics"),
))
