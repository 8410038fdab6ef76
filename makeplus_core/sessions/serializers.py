"""JSON of sessions (batch): ``room`` is always the room's id as a string (the app
needs a scalar), with ``room_id`` and ``room_name`` beside it."""
from __future__ import annotations

import sqlalchemy as sa

from .. import api
from ..storage import file_url


def serialize_sessions(request, sessions, rooms: dict | None = None) -> list[dict]:
    from ..rooms.models import Room

    sessions = list(sessions)
    names = {rid: r.name for rid, r in (rooms or {}).items()}
    missing = {s.room_id for s in sessions} - set(names)
    if missing:
        names.update(request.dbsession.execute(sa.select(Room.id, Room.name).where(Room.id.in_(missing))).all())
    out = []
    for s in sessions:
        out.append({
            "id": str(s.id),
            "event": str(s.event_id),
            "event_id": str(s.event_id),
            "room": str(s.room_id),
            "room_id": str(s.room_id),
            "room_name": names.get(s.room_id),
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
            "price": api.money(s.price if s.price is not None else 0),
            "capacity": s.capacity,
            "cover_image": file_url(request, s.cover_image),
            "metadata": s.meta or {},
            "created_by": s.created_by_id,
            "created_at": s.created_at,
            "updated_at": s.updated_at,
        })
    from ..modules import extend_json

    extend_json(request, "session", sessions, out)  # plugins switched off for the event skip
    return out
