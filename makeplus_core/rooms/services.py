"""Room domain functions."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .. import errors
from ..db import icontains
from ..sessions.models import Session
from .models import Room

FIELDS = ("name", "capacity", "description", "location", "is_active", "tracks_exits", "door_direction")


def room_occupancy(db, rooms) -> dict:
    """``{room_id: occupancy}`` for the rooms given (Room objects or ids), a few queries.

    Rooms that track exits: the people inside now (``makeplus_core.access.presence``,
    O(1) counters). Others: today's rule, distinct holders granted in the room during the
    current window (``makeplus_core.access.occupancy``); ``occupancy_rule`` in the room
    JSON says which.
    """
    from ..access.occupancy import room_occupancy as scan_occupancy
    from ..access.presence import inside_counts
    from ..db import utcnow

    rooms = list(rooms)
    if rooms and not isinstance(rooms[0], Room):  # ids
        rooms = db.scalars(sa.select(Room).where(Room.id.in_(rooms))).all()
    now = utcnow()
    out = scan_occupancy(db, [r.id for r in rooms if not r.tracks_exits], now)
    out.update(inside_counts(db, rooms, now))
    return out


def occupancy_percentage(occupancy, capacity):
    if not capacity:
        return None
    return round(100.0 * (occupancy or 0) / capacity, 1)


def list_query(event_id, is_active=None, search=None):
    stmt = sa.select(Room).where(Room.event_id == event_id)
    if is_active is not None:
        stmt = stmt.where(Room.is_active.is_(is_active))
    if search:
        stmt = stmt.where(icontains(search, Room.name, Room.description, Room.location))
    return stmt.order_by(Room.name, Room.id)


def _check_name(db, event_id, name, exclude_id=None):
    stmt = sa.select(Room.id).where(Room.event_id == event_id, Room.name == name)
    if exclude_id is not None:
        stmt = stmt.where(Room.id != exclude_id)
    if db.scalar(stmt) is not None:
        raise errors.Conflict(f"name: a room named {name!r} already exists in this event", field="name")


def _flush(db):
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:  # a concurrent create with the same name
        raise errors.Conflict("name: a room with this name already exists in this event", field="name") from None


def create(db, event_id, user_id, data: dict) -> Room:
    _check_name(db, event_id, data["name"])
    room = Room(event_id=event_id, created_by_id=user_id, **{k: data[k] for k in FIELDS if k in data})
    db.add(room)
    _flush(db)
    return room


def update(db, room: Room, data: dict) -> dict:
    changes = {}
    if "name" in data and data["name"] != room.name:
        _check_name(db, room.event_id, data["name"], exclude_id=room.id)
    for key in FIELDS:
        if key in data and getattr(room, key) != data[key]:
            changes[key] = (getattr(room, key), data[key])
            setattr(room, key, data[key])
    _flush(db)
    return changes


def delete(db, room: Room) -> None:
    """Delete an empty room; 409 while sessions are still held in it."""
    n = db.scalar(sa.select(sa.func.count()).select_from(Session).where(Session.room_id == room.id))
    if n:
        raise errors.Conflict(f"This room still holds {n} session(s): move or delete them first",
                              field="sessions")
    db.delete(room)
    db.flush()
