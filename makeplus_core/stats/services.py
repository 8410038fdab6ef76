"""Dashboard figures of an event, computed with SQL aggregates."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm

from ..db import utcnow
from ..events.services import event_counts
from ..sessions.models import Session
from ..sessions.services import NOT_STARTED


def dashboard_figures(db, event_id) -> dict:
    """The event's counts (shared with the event statistics)."""
    c = event_counts(db, event_id)
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
    }


def upcoming_sessions(db, event_id, limit: int = 5) -> list[Session]:
    """The next sessions not started yet and not over, their room loaded (one query)."""
    return db.scalars(
        sa.select(Session).join(Session.room).options(sa.orm.contains_eager(Session.room))
        .where(Session.event_id == event_id, Session.status == NOT_STARTED, Session.end_time > utcnow())
        .order_by(Session.start_time, Session.id)
        .limit(limit)
    ).all()
