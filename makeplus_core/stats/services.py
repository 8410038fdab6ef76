"""Dashboard figures of an event, computed with SQL aggregates."""
from __future__ import annotations

import sqlalchemy as sa

from ..db import utcnow
from ..participants.models import Participant
from ..rooms.models import Room
from ..sessions.models import Session

LIVE, DONE, NOT_STARTED, CANCELLED = "en_cours", "termine", "pas_encore", "cancelled"


def _count_if(cond):
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def dashboard_figures(db, event_id, upcoming_limit: int = 5) -> dict:
    """Counts of participants and sessions, and the next sessions (4 queries)."""
    now = utcnow()
    p = db.execute(
        sa.select(sa.func.count(Participant.id), _count_if(Participant.is_checked_in.is_(True)))
        .where(Participant.event_id == event_id)
    ).one()
    s = db.execute(
        sa.select(sa.func.count(Session.id), _count_if(Session.status == LIVE), _count_if(Session.status == DONE),
                  _count_if(Session.status == CANCELLED), _count_if(Session.status == NOT_STARTED),
                  _count_if(Session.is_paid.is_(True)))
        .where(Session.event_id == event_id)
    ).one()
    rooms = db.scalar(sa.select(sa.func.count(Room.id)).where(Room.event_id == event_id))
    upcoming = db.execute(
        sa.select(Session, Room.name)
        .join(Room, Room.id == Session.room_id)
        .where(Session.event_id == event_id, Session.status == NOT_STARTED, Session.end_time > now)
        .order_by(Session.start_time, Session.id)
        .limit(upcoming_limit)
    ).all()
    total_participants, checked_in = int(p[0]), int(p[1])
    return {
        "total_participants": total_participants,
        "checked_in": checked_in,
        "checked_in_participants": checked_in,
        "not_checked_in": total_participants - checked_in,
        "total_sessions": int(s[0]),
        "live_sessions": int(s[1]),
        "completed_sessions": int(s[2]),
        "cancelled_sessions": int(s[3]),
        "not_started_sessions": int(s[4]),
        "paid_sessions": int(s[5]),
        "total_rooms": int(rooms or 0),
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
