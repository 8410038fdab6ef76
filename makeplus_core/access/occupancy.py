"""Current occupancy of rooms, from the scan records.

Definition (the same one the scan pipeline enforces against ``Room.capacity``):
the number of distinct badge holders granted in the room during the current
window: since the start of the session running in the room now, or since the
start of the current UTC day when no session runs. Exits are not scanned, so this
is "admitted in this window", an upper bound of the people inside.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..db import UTCDateTime, utcnow
from ..sessions.models import Session
from .models import RoomAccess


def _day_start(now):
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def room_occupancy(db, room_ids, now=None) -> dict:
    """``{room_id: int}`` for every id in ``room_ids`` (0 when nobody), one query."""
    ids = list(dict.fromkeys(room_ids))
    if not ids:
        return {}
    now = now or utcnow()
    from ..rooms.models import Room

    # Each room's window first (a few rows), then the journal joined on it: the window's start
    # is a constant per room, so the journal is read by an index range on (room_id, access_time)
    # from the window's start, never the room's whole history (a correlated window per journal
    # row scanned every row of the room: 1.6 s for 1,000,000 rows).
    session_start = (
        sa.select(sa.func.max(Session.start_time))
        .where(Session.room_id == Room.id, Session.start_time <= now, Session.end_time > now,
               Session.status.in_(("pas_encore", "en_cours")))
        .scalar_subquery()
    )
    windows = (sa.select(Room.id.label("room_id"),
                         sa.func.coalesce(session_start, sa.literal(_day_start(now), UTCDateTime)).label("since"))
               .where(Room.id.in_(ids)).cte("windows"))
    rows = db.execute(
        sa.select(windows.c.room_id, sa.func.count(sa.distinct(RoomAccess.user_id)))
        .join(RoomAccess, sa.and_(RoomAccess.room_id == windows.c.room_id, RoomAccess.access_time >= windows.c.since))
        .where(RoomAccess.status == "granted", RoomAccess.direction == "entry")
        .group_by(windows.c.room_id)
    ).all()
    found = dict(rows)
    return {rid: int(found.get(rid, 0)) for rid in ids}
