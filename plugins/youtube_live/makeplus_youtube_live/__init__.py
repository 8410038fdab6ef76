"""MakePlus plugin ``youtube_live``: a YouTube live stream per session.

Hooks implemented: ``makeplus_includeme`` (REST services), ``makeplus_migrations``,
``makeplus_extend_json`` (``youtube_live_url``, ``youtube_video_id`` and
``youtube_embed_url`` in every session JSON), ``makeplus_session_changed`` (the
``youtube_live_url`` field of the core's session create/update body) and
``makeplus_demo_data``. See docs/youtube_live.md.
"""
from __future__ import annotations

import pathlib

from makeplus_core import hookimpl

from . import models  # noqa: F401  (tables on the core's Base)


@hookimpl
def makeplus_includeme(config):
    config.scan("makeplus_youtube_live.views")


@hookimpl
def makeplus_migrations():
    return pathlib.Path(__file__).parent / "migrations" / "versions"


@hookimpl
def makeplus_extend_json(kind, objects, payloads, request):
    if kind != "session" or not objects:
        return
    from .services import extend_sessions

    db = request.dbsession if request is not None else None
    if db is None:
        from sqlalchemy.orm import object_session

        db = object_session(objects[0])
    if db is None:
        return
    extend_sessions(db, objects, payloads)


@hookimpl
def makeplus_session_changed(dbsession, session, action, changes, request):
    from . import services

    if action == "deleted":
        services.clear(dbsession, session)
        return
    if action not in ("created", "updated") or request is None:
        return
    body = _json_object(request)
    if body is not None and services.FIELD in body:
        user = getattr(getattr(request, "identity", None), "user_id", None)
        services.set_url(dbsession, session, body[services.FIELD], user)


def _json_object(request):
    """The request's JSON object or form fields, parsed once by the core (None if there is none)."""
    from makeplus_core import api, errors

    try:
        return api.json_body(request)
    except (errors.DomainError, AttributeError):
        return None


@hookimpl
def makeplus_demo_data(dbsession, demo):
    from .demo import load

    load(dbsession, demo)


@hookimpl
def makeplus_dashboard_pages(dashboard):
    """The session form of the dashboard gets the ``youtube_live_url`` field (saved by
    ``makeplus_session_changed`` above, which reads it from the posted form)."""
    from . import services

    def current(request, session):
        return services.describe(services.get_stream(request.dbsession, session.id)).get(services.FIELD)

    dashboard.add_field("session", services.FIELD, "YouTube live URL", value=current,
                        help="https://www.youtube.com/watch?v=… (blank: no live stream)", input_type="url")
