"""REST: a session's live stream (/api/sessions/{id}/live/, alias /api/live/sessions/{id}/)
and the live screen of the app (/api/live/)."""
from __future__ import annotations

from makeplus_core.plugin_api import api, errors

from . import schemas, services


def _member(request):
    ident = api.identity(request)
    event_id = api.require_event(request)
    if not ident.is_admin and api.role_in_event(request, event_id) is None:
        raise errors.Forbidden("You are not a member of this event")
    return ident, event_id


def _payload(session, stream) -> dict:
    return {"session": str(session.id), "session_id": str(session.id), **services.describe(stream)}


live = api.service("youtube_live_now", "/api/live/",
                   "Sessions of my event that are en_cours and have a YouTube live stream")


@live.get()
def list_live(request):
    ident, event_id = _member(request)
    results = services.live_sessions(request.dbsession, event_id)
    return {"count": len(results), "next": None, "previous": None, "results": results}


session_live = api.service("youtube_live_session", f"/api/sessions/{api.UUID_ID}/live/",
                           "A session's YouTube live stream (gestionnaires set and clear it)")


session_live_alias = api.service("youtube_live_session_alias", f"/api/live/sessions/{api.UUID_ID}/",
                                 "Alias of /api/sessions/{id}/live/")


@session_live_alias.get()
@session_live.get()
def get_live(request):
    ident, event_id = _member(request)
    session = services.get_session(request.dbsession, request.matchdict["id"], event_id)
    return _payload(session, services.get_stream(request.dbsession, session.id))


@session_live_alias.put(schema=api.doc(schemas.LiveUrlSchema))
@session_live.put(schema=api.doc(schemas.LiveUrlSchema))
@session_live_alias.post(schema=api.doc(schemas.LiveUrlSchema))
@session_live.post(schema=api.doc(schemas.LiveUrlSchema))
def set_live(request):
    ident, event_id = _member(request)
    session = services.get_session(request.dbsession, request.matchdict["id"], event_id)
    api.require_gestionnaire(request, event_id=event_id)
    body = api.json_body(request)
    if services.FIELD not in body:
        raise errors.Invalid(f"{services.FIELD}: required (null removes the stream)", field=services.FIELD)
    stream = services.set_url(request.dbsession, session, body[services.FIELD], ident.user_id)
    return _payload(session, stream)


@session_live_alias.delete()
@session_live.delete()
def delete_live(request):
    ident, event_id = _member(request)
    session = services.get_session(request.dbsession, request.matchdict["id"], event_id)
    api.require_gestionnaire(request, event_id=event_id)
    services.clear(request.dbsession, session)
    return api.no_content()
