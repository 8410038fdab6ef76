"""MakePlus plugin ``exposants``: exhibitors scan visitors' badges at their booth (leads).

Hooks: ``makeplus_includeme`` (REST services, the booth-plan upload included),
``makeplus_migrations`` (its Alembic branch), ``makeplus_permissions`` (exposants scan
visitors), ``makeplus_extend_json`` (``plan_file`` in participant JSON,
``total_exhibitors`` in event JSON), ``makeplus_demo_data``, ``makeplus_user_export``,
``makeplus_event_statistics``, ``makeplus_event_records`` (an event with leads cannot be
deleted), ``makeplus_search``, ``makeplus_dashboard_pages`` (leads page with export).
See docs/exposants.md.
"""
from __future__ import annotations

from makeplus_core.plugin_api import hookimpl, standard_hooks

from . import models  # noqa: F401  (tables on the core's Base)

globals().update(standard_hooks(  # makeplus_includeme, _migrations, _demo_data, _dashboard_pages, …
    __name__, demo="demo:load", dashboard="dashboard:register",
    permissions={"exposant": ["scan_visitors"]},
    user_export="services:export_for_user",
    # Lead scans belong to the exposants: an event that has some cannot be deleted.
    event_records=("exposant_leads", "services:lead_count"),
))


@hookimpl
def makeplus_extend_json(kind, objects, payloads, request):
    """Participants carry their booth plan (``plan_file``), as the app has always read it;
    events carry ``total_exhibitors`` (seed 001 Event). One query per response each."""
    if request is None or not objects:
        return
    if kind == "participant":
        from .services import extend_participants

        extend_participants(request, objects, payloads)
        return
    if kind != "event":
        return
    from .services import exhibitor_totals

    totals = exhibitor_totals(request.dbsession, [getattr(o, "id", None) for o in objects])
    for obj, payload in zip(objects, payloads, strict=False):
        payload["total_exhibitors"] = totals.get(getattr(obj, "id", None), 0)


@hookimpl
def makeplus_event_statistics(dbsession, event_id, role):
    """Leads and the top booths for gestionnaires and admins; others see visit totals."""
    from makeplus_core.plugin_api import sees_finances

    from .services import event_statistics

    figures = event_statistics(dbsession, event_id, per_booth=sees_finances(role))
    return {"exposants": figures}


@hookimpl
def makeplus_search(dbsession, event_id, query, role, user_id, limit):
    from .services import search

    return search(dbsession, event_id, query, role, user_id, limit)
