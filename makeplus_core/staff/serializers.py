"""User assignments and room assignments as JSON, a page at a time in a fixed number of queries."""
from __future__ import annotations

import sqlalchemy as sa

from ..auth.models import User
from ..events.models import Event
from ..rooms.models import Room
from .services import relevant_room_assignments


def _users(db, objs) -> dict:
    return {u.id: u for u in db.scalars(sa.select(User).where(User.id.in_({o.user_id for o in objs})))}


def _assignment(o, user) -> dict:
    """What both kinds of assignment share: who, in which event, which role, given by whom."""
    return {
        "id": str(o.id),
        "user": o.user_id,
        "user_id": o.user_id,
        "user_name": user.full_name if user else None,
        "user_email": user.email if user else None,
        "event": str(o.event_id),
        "event_id": str(o.event_id),
        "role": o.role,
        "is_active": bool(o.is_active),
        "assigned_by": o.assigned_by_id,
        "assigned_at": o.assigned_at,
    }


def serialize_room_assignments(request, objs) -> list[dict]:
    """Room assignments with the user and the room name (two queries)."""
    objs = list(objs)
    if not objs:
        return []
    db = request.dbsession
    rooms = dict(db.execute(sa.select(Room.id, Room.name).where(Room.id.in_({o.room_id for o in objs}))).all())
    users = _users(db, objs)
    return [{**_assignment(o, users.get(o.user_id)),
             "room": str(o.room_id), "room_id": str(o.room_id), "room_name": rooms.get(o.room_id),
             "start_time": o.start_time, "end_time": o.end_time} for o in objs]


def serialize_user_assignments(request, objs) -> list[dict]:
    """User assignments with the user, the event name and the nested ``room_assignment``
    (current, else next, else latest): three queries whatever the page size."""
    objs = list(objs)
    if not objs:
        return []
    db = request.dbsession
    users = _users(db, objs)
    events = dict(db.execute(sa.select(Event.id, Event.name)
                             .where(Event.id.in_({o.event_id for o in objs}))).all())
    rooms = relevant_room_assignments(db, {(o.user_id, o.event_id) for o in objs})
    out = []
    for o in objs:
        room_assignment = None
        if (o.user_id, o.event_id) in rooms:
            r, room_name = rooms[(o.user_id, o.event_id)]
            room_assignment = {"id": str(r.id), "room_id": str(r.room_id), "room": str(r.room_id),
                               "room_name": room_name, "role": r.role, "start_time": r.start_time,
                               "end_time": r.end_time, "is_active": bool(r.is_active)}
        out.append({**_assignment(o, users.get(o.user_id)), "event_name": events.get(o.event_id),
                    "room_assignment": room_assignment})
    return out
