"""JSON of rooms (batch)."""
from __future__ import annotations

import sqlalchemy as sa

from ..modules import extend_json
from ..sessions.models import Session
from ..sessions.serializers import serialize_sessions
from .services import occupancy_percentage, room_occupancy


def serialize_rooms(request, rooms, include_sessions: bool = False) -> list[dict]:
    rooms = list(rooms)
    db = request.dbsession
    occupancy = room_occupancy(db, rooms)
    out = [{
        "id": str(r.id),
        "event": str(r.event_id),
        "event_id": str(r.event_id),
        "name": r.name,
        "capacity": r.capacity,
        "description": r.description,
        "location": r.location,
        "is_active": r.is_active,
        "current_participants": int(occupancy.get(r.id, 0)),
        "occupancy": int(occupancy.get(r.id, 0)),
        "occupancy_percentage": occupancy_percentage(occupancy.get(r.id, 0), r.capacity),
        "tracks_exits": bool(r.tracks_exits),
        "occupancy_rule": "inside" if r.tracks_exits else "admitted_in_window",
        "door_direction": r.door_direction,
        "created_by": r.created_by_id,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    } for r in rooms]
    if include_sessions and rooms:
        sessions = db.scalars(sa.select(Session).where(Session.room_id.in_([r.id for r in rooms]))
                              .order_by(Session.start_time, Session.id)).all()
        payloads = serialize_sessions(request, sessions, rooms={r.id: r for r in rooms})
        by_room = {}
        for s, p in zip(sessions, payloads, strict=False):
            by_room.setdefault(s.room_id, []).append(p)
        for r, data in zip(rooms, out, strict=False):
            data["sessions"] = by_room.get(r.id, [])
    extend_json(request, "room", rooms, out)  # plugins switched off for the event skip
    return out
