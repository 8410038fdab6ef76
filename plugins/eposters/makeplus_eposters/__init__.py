"""MakePlus plugin ``eposters``: scientific contributions — call for contributions,
public submission, committee review, final poster by secret link, gallery, export.

Hooks: ``makeplus_includeme`` (REST services under ``/api/eposter/``),
``makeplus_migrations`` (its Alembic branch), ``makeplus_rate_limits`` (the
``public_submit`` bucket, setting ``makeplus.ratelimit.public_submit``),
``makeplus_demo_data``, ``makeplus_dashboard_pages`` (new submissions in the event
page's recent activity), ``makeplus_user_export``, ``makeplus_search`` (accepted
contributions for members; every submission for gestionnaires, admins and the
committee), ``makeplus_event_records`` (an event with submissions cannot be deleted).
Settings: ``makeplus.eposters.abstract_max_chars`` (default 2000),
``makeplus.eposters.final_link_days`` (default 30). See docs/eposters.md.
"""
from __future__ import annotations

from makeplus_core.plugin_api import demo_data_hook, hookimpl, includeme_hook, migrations_hook, returns

from . import models  # noqa: F401  (tables on the core's Base)

makeplus_includeme = includeme_hook(__name__)
makeplus_migrations = migrations_hook(__name__)
makeplus_rate_limits = returns({"public_submit": "10/60"})
makeplus_demo_data = demo_data_hook(__name__)


@hookimpl
def makeplus_dashboard_pages(dashboard):
    """No page of its own yet: new submissions appear in the event page's recent activity."""
    def submission(entry):
        return (entry.changes or {}).get("title", [None, ""])[1] or ""

    dashboard.add_activity("eposters_submissions", "Submission", describe=submission)


@hookimpl
def makeplus_user_export(dbsession, user):
    from .services import export_for_user

    return export_for_user(dbsession, user)


@hookimpl
def makeplus_search(dbsession, event_id, query, role, user_id, limit):
    from .services import search

    return search(dbsession, event_id, query, role, user_id, limit)


@hookimpl
def makeplus_event_records(dbsession, event_id):
    """Submissions are the authors' work: an event that received some cannot be deleted."""
    import sqlalchemy as sa

    from .models import Submission

    n = dbsession.scalar(sa.select(sa.func.count(Submission.id)).where(Submission.event_id == event_id))
    return {"eposter_submissions": int(n or 0)}
