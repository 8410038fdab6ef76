"""MakePlus plugin ``youtube_live``: a YouTube live stream per session.

Hooks: ``makeplus_includeme`` (REST services), ``makeplus_migrations`` (its Alembic
branch), ``makeplus_extend_json`` (``youtube_live_url``, ``youtube_video_id`` and
``youtube_embed_url`` in every session JSON), ``makeplus_schema_fields`` and
``makeplus_session_changed`` (the ``youtube_live_url`` field of the core's session
create/update body, validated by the core), ``makeplus_demo_data``,
``makeplus_dashboard_pages`` (the same field in the dashboard's session form).
See docs/youtube_live.md.
"""
from __future__ import annotations

from makeplus_core.plugin_api import demo_data_hook, hookimpl, includeme_hook, migrations_hook, plugin_fields

from . import models  # noqa: F401  (tables on the core's Base)

makeplus_includeme = includeme_hook(__name__)
makeplus_migrations = migrations_hook(__name__)
makeplus_demo_data = demo_data_hook(__name__)


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
    fields = plugin_fields(request, "session")  # validated by the core (makeplus_schema_fields)
    if services.FIELD in fields:
        user = getattr(getattr(request, "identity", None), "user_id", None)
        services.set_url(dbsession, session, fields[services.FIELD], user)


@hookimpl
def makeplus_schema_fields(schema):
    if schema == "session":
        from . import services

        return [services.url_node()]


@hookimpl
def makeplus_dashboard_pages(dashboard):
    """The session form of the dashboard gets the ``youtube_live_url`` field (saved by
    ``makeplus_session_changed`` above, which reads it from the posted form)."""
    from . import services

    def current(request, session):
        return services.describe(services.get_stream(request.dbsession, session.id)).get(services.FIELD)

    dashboard.add_field("session", services.FIELD, "YouTube live URL", value=current,
                        help="https://www.youtube.com/watch?v=… (blank: no live stream)", input_type="url")
