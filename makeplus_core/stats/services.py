"""Dashboard figures of an event, computed with SQL aggregates."""
from __future__ import annotations

import sqlalchemy as sa

from ..db import utcnow
from ..rooms.models import Room
from ..sessions.models import Session

NOT_STARTED = "pas_encore"


def dashboard_figures(db, event_id, upcoming_limit: int = 5) -> dict:
    """The event's counts (shared with the event statistics) and its next sessions."""
    from ..events.services import event_counts

    c = event_counts(db, event_id)
    upcoming = db.execute(
        sa.select(Session, Room.name)
        .join(Room, Room.id == Session.room_id)
        .where(Session.event_id == event_id, Session.status == NOT_STARTED, Session.end_time > utcnow())
        .order_by(Session.start_time, Session.id)
        .limit(upcoming_limit)
    ).all()
    return {
        "total_participants": c["participants"],
        "checked_in": c["checked_in"],
        "checked_in_participants": c["checked_in"],
        "not_checked_in": c["participants"] - c["checked_in"],
        "total_sessions": c["sessions"],
        "live_sessions": c["live"],
        "completed_sessions": c["completed"],
        "cancelled_sessions": c["cancelled"],
        "not_started_sessions": c["not_started"],
        "paid_sessions": c["paid_sessions"],
        "total_rooms": c["rooms"],
        "upcoming_sessions": [_session_json(session, room_name) for session, room_name in upcoming],
    }


def _session_json(session: Session, room_name: str) -> dict:
    from ..api import money

    return {
        "id": str(session.id),
        "event": str(session.event_id),
        "title": session.title,
        "speaker_name": session.speaker_name,
        "theme": session.theme,
        "room": str(session.room_id),
        "room_id": str(session.room_id),
        "room_name": room_name,
        "start_time": session.start_time,
        "end_time": session.end_time,
        "status": session.status,
        "session_type": session.session_type,
        "is_paid": bool(session.is_paid),
        "price": money(session.price),
    }
