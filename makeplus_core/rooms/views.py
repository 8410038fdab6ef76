"""REST: /api/rooms/ (seed "Room Management Endpoints").

Reads: any member of the token's event. Writes: its gestionnaire des salles (or a
platform admin). Room statistics/participants/verify_access belong to the access
domain.
"""
from __future__ import annotations

from .. import api
from ..events.schemas import drop_nulls
from ..events.scoping import scoped_event
from . import schemas, services
from .models import Room
from .serializers import serialize_rooms

ID = api.UUID_ID


def _include_sessions(request) -> bool:
    return "sessions" in (request.GET.get("include") or "").split(",")


def _one(request, obj):
    return serialize_rooms(request, [obj], include_sessions=_include_sessions(request))[0]


rooms = api.service("rooms", "/api/rooms/", "Rooms of my event (?include=sessions to embed sessions)")


@rooms.get(schema=api.doc(querystring=schemas.RoomQuery))
def list_rooms(request):
    event_id = api.require_event(request)
    q = api.validate(schemas.RoomQuery(), dict(request.GET), partial=True)
    stmt = services.list_query(event_id, is_active=q.get("is_active"), search=q.get("search"))
    include = _include_sessions(request)
    return api.paginate(request, stmt, lambda rows: serialize_rooms(request, rows, include_sessions=include))


@rooms.post(schema=api.doc(schemas.RoomSchema))
def create_room(request):
    ident = api.identity(request)
    raw = drop_nulls(api.json_body(request))
    event_id = scoped_event(request, raw.get("event") or raw.get("event_id"))
    api.require_gestionnaire(request, event_id=event_id)
    data = api.validate(schemas.RoomSchema(), raw)
    obj = services.create(request.dbsession, event_id, ident.user_id, data)
    request.response.status = 201
    return _one(request, obj)


room = api.service("room", f"/api/rooms/{ID}/", "One room")


@room.get()
def get_room(request):
    return _one(request, api.load_in_scope(request, Room))


@room.put(schema=api.doc(schemas.RoomSchema))
@room.patch(schema=api.doc(schemas.RoomSchema))
def update_room(request):
    obj = api.load_in_scope(request, Room, write=True)
    raw = drop_nulls(api.json_body(request))
    for key in ("event", "event_id", "id"):
        raw.pop(key, None)
    data = api.validate(schemas.RoomSchema(), raw, partial=request.method == "PATCH")
    services.update(request.dbsession, obj, data)
    return _one(request, obj)


@room.delete()
def delete_room(request):
    services.delete(request.dbsession, api.load_in_scope(request, Room, write=True))
    return api.no_content()


def includeme(config):
    config.scan(__name__)
