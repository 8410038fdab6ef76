"""The capacity window of a room: the one definition of "the session running now".

A session runs in its room at ``now`` when it is live (``en_cours``, even past its end
time: a talk that overruns still holds the room) or scheduled (``pas_encore``) with
``start_time <= now < end_time``; when several do, the live one wins, then the latest
start. A room's capacity window opens at the start of the session running in it, else at
the start of the current UTC day. The door's capacity check (:mod:`.admission`, read by
the pipeline's statement), the room occupancy (:mod:`.occupancy`) and the room's people
(:mod:`.journal`) all use the clauses below.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..db import utcnow
from ..sessions.models import SESSION_STATUSES, Session


def day_start(now: dt.datetime | None = None) -> dt.datetime:
    now = now or utcnow()
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


SCHEDULED, LIVE = SESSION_STATUSES[0], SESSION_STATUSES[1]  # "pas_encore", "en_cours"


def running_session_filter(now, S=Session):
    """SQL: the session ``S`` runs in its room at ``now``."""
    # constants rendered in the SQL (no per-execution expansion of an IN parameter)
    live, scheduled = sa.literal_column(f"'{LIVE}'"), sa.literal_column(f"'{SCHEDULED}'")
    return sa.or_(S.status == live, sa.and_(S.start_time <= now, S.end_time > now, S.status.in_([scheduled, live])))


def running_session_order(S=Session):
    """The order that picks one running session: the live one first, then the latest start."""
    return ((S.status == LIVE).desc(), S.start_time.desc())


def running_session(room_id, now, column=None, S=None):
    """SQL scalar subquery: ``column`` (default the id) of the session running in the room
    ``room_id`` (a column, correlated, or a value) at ``now``; NULL when none."""
    S = S if S is not None else sa.orm.aliased(Session)
    column = getattr(S, column or "id")
    return (sa.select(column).where(S.room_id == room_id, running_session_filter(now, S))
            .order_by(*running_session_order(S)).limit(1).correlate_except(S).scalar_subquery())


def window_start(session, now: dt.datetime) -> dt.datetime:
    """The capacity window a scan falls in: its session's start, else the UTC day's."""
    return session.start_time if session is not None else day_start(now)


def current_window_start(conn, room_id, now: dt.datetime) -> dt.datetime:
    """The window open in ``room_id`` at ``now`` (its running session, else the day)."""
    start = conn.execute(sa.select(running_session(room_id, now, "start_time"))).scalar()
    return start if start is not None else day_start(now)
