"""REST: /api/sessions/ (seed "Session Management Endpoints" + the app's swap-times).

Reads: any member of the token's event. Writes and status actions: its
gestionnaire des salles (or a platform admin). Status actions answer the session
JSON plus a ``message``: start/mark_live -> en_cours, end/mark_completed ->
termine, cancel -> pas_encore (as the seed and the app expect).
"""
from __future__ import annotations

from .. import api, errors, extensions
from ..events.models import Event
from ..events.schemas import drop_nulls
from ..events.scoping import scoped_event
from . import schemas, services
from .models import Session
from .serializers import serialize_sessions

ID = api.UUID_ID

ACTIONS = {
    "mark_live": (services.LIVE, "Session is now live"),
    "start": (services.LIVE, "Session is now live"),
    "mark_completed": (services.DONE, "Session completed"),
    "end": (services.DONE, "Session completed"),
    "cancel": (services.NOT_STARTED, "Session reset to not started"),
}
# Module-level names: venusian only finds services that are module attributes.
mark_live = api.service("session-mark_live", f"/api/sessions/{ID}/mark_live/", "Start a session (en_cours)")
start = api.service("session-start", f"/api/sessions/{ID}/start/", "Start a session (app alias of mark_live)")
mark_completed = api.service("session-mark_completed", f"/api/sessions/{ID}/mark_completed/",
                             "End a session (termine)")
end = api.service("session-end", f"/api/sessions/{ID}/end/", "End a session (app alias of mark_completed)")
cancel = api.service("session-cancel", f"/api/sessions/{ID}/cancel/", "Reset a session to pas_encore")
action_services = {"mark_live": mark_live, "start": start, "mark_completed": mark_completed, "end": end,
                   "cancel": cancel}


def _one(request, obj):
    return serialize_sessions(request, [obj])[0]


def _body(request) -> dict:
    raw = drop_nulls(api.json_body(request))
    if "room" not in raw and "room_id" in raw:
        raw["room"] = raw["room_id"]
    if isinstance(raw.get("room"), dict):  # an object with an id
        raw["room"] = raw["room"].get("id")
    if "event" not in raw and "event_id" in raw:
        raw["event"] = raw["event_id"]
    for key in ("price", "capacity"):
        if raw.get(key) == "":
            raw.pop(key)
    return raw


sessions = api.service("sessions", "/api/sessions/", "Sessions of my event")
# built once (no clone per request); every parameter is optional (missing: dropped)
QUERY = schemas.SessionQuery()


@sessions.get(schema=api.doc(querystring=schemas.SessionQuery))
def list_sessions(request):
    event_id = api.require_event(request)
    q = api.validate(QUERY, dict(request.GET))
    room = q.get("room") or q.get("room_id")
    filters = {"room_id": api.parse_uuid(room, "room") if room else None, "status": q.get("status"),
               "session_type": q.get("session_type"), "is_paid": q.get("is_paid"), "search": q.get("search"),
               "ordering": q.get("ordering")}
    # the room's name and the list's length ride along in the page's rows: one statement
    return api.paginate_rows(
        request, lambda limit, offset: services.list_page(request.dbsession, event_id, limit=limit, offset=offset,
                                                          **filters),
        lambda rows: serialize_sessions(request, rows, named_rows=True))


@sessions.post(schema=api.doc(schemas.SessionSchema))
def create_session(request):
    ident = api.identity(request)
    raw = _body(request)
    event_id = scoped_event(request, raw.get("event"))
    api.require_gestionnaire(request, event_id=event_id)
    data = api.validate(schemas.SessionSchema(), raw)
    extensions.validate_fields(request, "session")  # plugins' fields (makeplus_schema_fields)
    event = request.dbsession.get(Event, event_id)
    if event is None:
        raise errors.NotFound("Event not found", field="event")
    obj = services.create(request.dbsession, event, data, ident.user_id, pm=request.plugins, request=request)
    request.response.status = 201
    return _one(request, obj)


# duplicates: deliberate — rooms/views.py's REST shape for another resource; shared work: api.load_in_scope.
session = api.service("session", f"/api/sessions/{ID}/", "One session")


@session.get()
def get_session(request):
    return _one(request, api.load_in_scope(request, Session))


@session.put(schema=api.doc(schemas.SessionSchema))
@session.patch(schema=api.doc(schemas.SessionSchema))
def update_session(request):
    obj = api.load_in_scope(request, Session, write=True)
    raw = _body(request)
    for key in ("event", "event_id", "id"):
        raw.pop(key, None)
    data = api.validate(schemas.SessionSchema(), raw, partial=request.method == "PATCH")
    extensions.validate_fields(request, "session")
    services.update(request.dbsession, obj, data, pm=request.plugins, request=request)
    return _one(request, obj)


images = api.service("session-images", f"/api/sessions/{ID}/images/",
                     "Upload the speaker's photo and/or the cover image (multipart speaker_photo, cover_image: "
                     "PNG or JPEG, checked by content); the session's speaker_photo_url / cover_image then "
                     "hold the files' URLs")


@images.post()
def upload_images(request):
    obj = api.load_in_scope(request, Session, write=True)
    services.set_images(request.dbsession, obj, services.read_images(request, required=True))
    return _one(request, obj)


@session.delete()
def delete_session(request):
    services.delete(request.dbsession, api.load_in_scope(request, Session, write=True), pm=request.plugins, request=request)
    return api.no_content()


def _make_action(name):
    status, message = ACTIONS[name]

    def action(request):
        obj = api.load_in_scope(request, Session, write=True)
        services.set_status(request.dbsession, obj, status, pm=request.plugins, request=request)
        return {**_one(request, obj), "message": message}

    action.__name__ = f"session_{name}"
    return action


for _name, _service in action_services.items():
    _service.add_view("POST", _make_action(_name))
del _name, _service  # one module attribute per service, or venusian registers it twice


swap = api.service("sessions-swap-times", "/api/sessions/swap-times/",
                   "Exchange the time slots of two sessions of my event")


swap_alias = api.service("sessions-swap-times-alias", "/api/sessions/swap_times/", "Alias of swap-times")


@swap.post(schema=api.doc(schemas.SwapSchema))
@swap_alias.post(schema=api.doc(schemas.SwapSchema))
def swap_times(request):
    event_id = api.require_event(request)
    api.require_gestionnaire(request, event_id=event_id)
    data = api.validate(schemas.SwapSchema(), _body(request))
    pair = services.swap_times(request.dbsession, event_id, data["session_1_id"], data["session_2_id"],
                               pm=request.plugins, request=request)
    return {"success": True, "message": "Session times swapped", "sessions": serialize_sessions(request, pair)}


def includeme(config):
    config.scan(__name__)
