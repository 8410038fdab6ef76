"""REST: the seed's remaining paths around the door (seed 001 "QR Code", "Room" and
"Room Assignment" endpoints), each built on an existing domain function.

| path | what it is |
|------|------------|
| ``POST /api/qr/verify/`` ``{qr_data, room?/room_id?, session?}`` | with a room: that room's door (``verify_access``); without: the event scanner (``participants/scan``) |
| ``POST /api/participants/verify_qr/`` ``{qr_data}`` | the event scanner (``participants/scan``) |
| ``GET /api/participants/{id}/access_rooms/`` | the rooms the participant may enter |
| ``POST /api/participants/{id}/grant_room_access/`` ``{room | room_id | rooms}`` | add rooms to the participant's allowed rooms |
| ``GET /api/rooms/{id}/sessions/`` | the room's sessions (session JSON) |
| ``GET /api/rooms/{id}/current-staff/`` | staff assigned to the room now (room-assignment JSON) |
"""
from __future__ import annotations

import sqlalchemy as sa

from .. import api, errors
from ..db import utcnow
from ..participants import services as participant_services
from ..participants.models import Participant, participant_allowed_rooms
from ..roles import BADGE_ROLES, CONTROLLEUR, GESTIONNAIRE
from ..rooms.models import Room
from ..staff.models import RoomAssignment
from . import pipeline
from .schemas import GrantRoomSchema, QrVerifySchema, ScanSchema

# duplicates: deliberate — Cornice service declarations (name, route, doc): alike in shape, distinct routes.
qr_verify = api.service("qr-verify", "/api/qr/verify/",
                        "Verify a badge QR: at a room's door when a room is given, else the event check-in")
verify_qr = api.service("participants-verify-qr", "/api/participants/verify_qr/",
                        "Alias of /api/participants/scan/ (seed)")
access_rooms = api.service("participant-access-rooms", f"/api/participants/{api.UUID_ID}/access_rooms/",
                           "The rooms a participant may enter")
grant_room = api.service("participant-grant-room-access", f"/api/participants/{api.UUID_ID}/grant_room_access/",
                         "Add rooms to a participant's allowed rooms")
room_sessions = api.service("room-sessions", f"/api/rooms/{api.UUID_ID}/sessions/", "The sessions of a room")
room_staff = api.service("room-current-staff", f"/api/rooms/{api.UUID_ID}/current-staff/",
                         "Staff assigned to the room now")
pipeline.door_services(qr_verify, verify_qr)  # doors: pipeline.handle applies the key


# --------------------------------------------------------------------------- scans


def _door_named_in(body):
    """``/api/qr/verify/``: the room's door when the body names a room, else the event scanner."""
    raw_room = body.get("room") or body.get("room_id")
    if raw_room in (None, ""):
        return pipeline.EventDoor()
    if isinstance(raw_room, dict):
        raw_room = raw_room.get("id")
    return pipeline.RoomDoor(api.parse_uuid(raw_room, "room"))


@qr_verify.post(schema=api.doc(QrVerifySchema))
def qr_verify_view(request):
    return pipeline.handle(request, _door_named_in)


@verify_qr.post(schema=api.doc(ScanSchema))
def verify_qr_view(request):
    return pipeline.handle(request, pipeline.EventDoor())


# --------------------------------------------------------------------------- participants' rooms


def _participant(request, *roles):
    ident = api.identity(request)
    event_id = api.require_event(request)
    participant = api.get_or_404(request.dbsession, Participant, request.matchdict["id"], event_id,
                                 label="Participant")
    role = "admin" if ident.is_admin else api.role_in_event(request, event_id)
    if role in ("admin", *roles):
        return participant
    if role in BADGE_ROLES and participant.user_id == ident.user_id and "self" in roles:
        return participant
    if role in BADGE_ROLES:  # another participant's row does not exist for them
        raise errors.NotFound("Participant not found", field="id")
    raise errors.Forbidden("You do not have permission to perform this action")


def _rooms_answer(db, participant) -> dict:
    allowed = set(db.scalars(sa.select(participant_allowed_rooms.c.room_id)
                             .where(participant_allowed_rooms.c.participant_id == participant.id)))
    rooms = db.scalars(sa.select(Room).where(Room.event_id == participant.event_id)
                       .order_by(Room.name, Room.id)).all()
    results = [{"id": str(r.id), "room_id": str(r.id), "name": r.name, "room_name": r.name,
                "capacity": r.capacity, "location": r.location, "is_active": r.is_active}
               for r in rooms if not allowed or r.id in allowed]
    return {"participant": str(participant.id), "participant_id": str(participant.id),
            "all_rooms": not allowed, "count": len(results), "next": None, "previous": None,
            "results": results}


@access_rooms.get()
def access_rooms_view(request):
    """``all_rooms`` true: no restriction (every room of the event, the pipeline's rule)."""
    participant = _participant(request, GESTIONNAIRE, CONTROLLEUR, "self")
    return _rooms_answer(request.dbsession, participant)


@grant_room.post(schema=api.doc(GrantRoomSchema))
def grant_room_view(request):
    """Add rooms to the participant's allowed rooms. A participant without a list may
    already enter every room: nothing changes (``all_rooms`` stays true); restrict
    someone with ``PATCH /api/participants/{id}/`` ``{allowed_rooms: [...]}``."""
    participant = _participant(request, GESTIONNAIRE)
    body = api.validate(GrantRoomSchema(), api.json_body(request))
    wanted = list(body.get("rooms") or [])
    if body.get("room") or body.get("room_id"):
        wanted.append(body.get("room") or body.get("room_id"))
    if not wanted:
        raise errors.Invalid("room: required (or rooms: [ids])", field="room")
    db = request.dbsession
    try:
        rooms = participant_services.check_rooms(db, participant.event_id, wanted)
    except errors.Invalid as exc:
        raise errors.Invalid(exc.message.replace("allowed_rooms", "room"), field="room") from None
    current = list(db.scalars(sa.select(participant_allowed_rooms.c.room_id)
                              .where(participant_allowed_rooms.c.participant_id == participant.id)))
    added = []
    if current:
        added = [r for r in rooms if r not in current]
        if added:
            participant_services.set_allowed_rooms(db, participant, current + added)
    answer = _rooms_answer(db, participant)
    answer["granted"] = [str(r) for r in rooms]
    answer["added"] = [str(r) for r in added]
    answer["message"] = ("Room access granted" if added else
                         "The participant may already enter every room" if not current else
                         "The participant already had access to these rooms")
    return answer


# --------------------------------------------------------------------------- rooms


def _room_of_my_event(request) -> Room:
    event_id = api.require_event(request)
    ident = api.identity(request)
    if not ident.is_admin and api.role_in_event(request, event_id) is None:
        raise errors.Forbidden("You are not a member of this event")
    return api.get_or_404(request.dbsession, Room, request.matchdict["id"], event_id, label="Room")


@room_sessions.get()
def room_sessions_view(request):
    from ..sessions import services as session_services
    from ..sessions.serializers import serialize_sessions

    room = _room_of_my_event(request)
    stmt = session_services.list_query(room.event_id, room_id=room.id)
    return api.paginate(request, stmt, lambda rows: serialize_sessions(request, rows, rooms={room.id: room}))


@room_staff.get()
def room_current_staff_view(request):
    from ..staff.serializers import serialize_room_assignments

    room = _room_of_my_event(request)
    api.require_role(request, GESTIONNAIRE, CONTROLLEUR, event_id=room.event_id)
    now = utcnow()
    rows = request.dbsession.scalars(
        sa.select(RoomAssignment).where(RoomAssignment.room_id == room.id, RoomAssignment.is_active.is_(True),
                                        RoomAssignment.start_time <= now, RoomAssignment.end_time > now)
        .order_by(RoomAssignment.start_time, RoomAssignment.id)).all()
    results = serialize_room_assignments(request, rows)
    return {"room": {"id": str(room.id), "name": room.name}, "count": len(results), "next": None,
            "previous": None, "results": results}


def includeme(config):
    config.scan(__name__)
