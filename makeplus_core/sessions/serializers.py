"""JSON of sessions (batch), the one serializer of a session wherever it appears (lists,
the agenda, recommendations, rooms with ``?include=sessions``, the dashboard figures).

``room`` is always the room's id as a string (the app needs a scalar), with ``room_id``
and ``room_name`` beside it. ``price`` is always a string with two decimals, ``"0.00"``
for a free session or one whose price is unset (the client contract types ``price`` as a
string or number when present: never ``null``).
"""
from __future__ import annotations

import decimal

import sqlalchemy as sa

from .. import api
from ..modules import extend_json
from ..rooms.models import Room
from ..storage import file_url

NO_PRICE = decimal.Decimal("0.00")


def serialize_sessions(request, sessions, rooms: dict | None = None, named_rows: bool = False) -> list[dict]:
    """``sessions``: Session objects, or rows with the same attribute names (the list's page).
    ``rooms``: ``{room id: Room}`` already loaded (their names are then not queried);
    ``named_rows``: each of ``sessions`` carries its room's name as ``room_name``."""
    sessions = list(sessions)
    names = {}
    if not named_rows:
        names = {rid: r.name for rid, r in (rooms or {}).items()}
        missing = {s.room_id for s in sessions} - names.keys()
        if missing:
            names.update(request.dbsession.execute(sa.select(Room.id, Room.name).where(Room.id.in_(missing))).all())
    text = _Text()
    out = []
    for s in sessions:
        event, room = text[s.event_id], text[s.room_id]
        out.append({
            "id": str(s.id),
            "event": event,
            "event_id": event,
            "room": room,
            "room_id": room,
            "room_name": s.room_name if named_rows else names.get(s.room_id),
            "title": s.title,
            "description": s.description,
            "speaker_name": s.speaker_name,
            "speaker_title": s.speaker_title,
            "speaker_bio": s.speaker_bio,
            "speaker_photo_url": file_url(request, s.speaker_photo_url),
            "start_time": s.start_time,
            "end_time": s.end_time,
            "duration_minutes": int((s.end_time - s.start_time).total_seconds() // 60)
            if s.start_time and s.end_time else None,
            "theme": s.theme,
            "status": s.status,
            "is_live": s.status == "en_cours",
            "session_type": s.session_type,
            "is_paid": bool(s.is_paid),
            "price": api.money(s.price if s.price is not None else NO_PRICE),
            "capacity": s.capacity,
            "cover_image": file_url(request, s.cover_image),
            "metadata": s.meta or {},
            "created_by": s.created_by_id,
            "created_at": s.created_at,
            "updated_at": s.updated_at,
        })
    extend_json(request, "session", sessions, out)  # plugins switched off for the event skip
    return out


class _Text(dict):
    """``str`` of UUIDs, each computed once: every session of a page repeats its event's id and
    many its room's."""

    def __missing__(self, key):
        value = self[key] = str(key)
        return value
