"""Current occupancy of rooms that do not track exits, from the visitor roll-up or the journal.

The number of distinct badge holders granted entry in the room during its current
capacity window (:mod:`.window`: since the start of the session running in the room now,
else since the start of the current UTC day), the window the door's capacity check
admits holders in (:mod:`.admission`): occupancy and admission count the same holders.
Exits are not scanned in such rooms, so this is "admitted in this window", an upper bound
of the people inside. Rooms that track exits count the people inside (:mod:`.presence`);
``rooms/services.room_occupancy`` picks one or the other per room.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..db import utcnow
from ..rooms.models import Room
from .models import RoomAccess, RoomDayVisitor
from .window import day_start, running_session


def room_occupancy(db, room_ids, now=None) -> dict:
    """``{room_id: int}`` for every id in ``room_ids`` (0 when nobody), one query."""
    ids = list(dict.fromkeys(room_ids))
    if not ids:
        return {}
    now = now or utcnow()
    # Each room's running session first (a few rows), then one count per room:
    # * no session: the window is the UTC day, and its holders are the day's visitors with a
    #   first granted entry (room_day_visitors.first_entry_at, kept by the journal's triggers,
    #   revision 0015_stats_first_entry): O(visitors), whatever the number of scans. Days after
    #   today are included, as the journal's ``access_time >= midnight`` would;
    # * a session: its holders are those with a granted entry since its start, read from the
    #   journal by an index range on (room_id, access_time) from that start (bounded by the
    #   session; a visitor's first entry of the day may come before the session's start).
    # The CASE evaluates only the branch that applies.
    windows = (sa.select(Room.id.label("room_id"), running_session(Room.id, now, "start_time").label("since"))
               .where(Room.id.in_(ids)).cte("windows"))
    w = windows.c
    v = RoomDayVisitor
    by_day = (sa.select(sa.func.count(sa.distinct(v.user_id)))
              .where(v.room_id == w.room_id, v.day >= day_start(now).date(), v.first_entry_at.is_not(None))
              .scalar_subquery())
    by_session = (sa.select(sa.func.count(sa.distinct(RoomAccess.user_id)))
                  .where(RoomAccess.room_id == w.room_id, RoomAccess.access_time >= w.since,
                         RoomAccess.status == "granted", RoomAccess.direction == "entry")
                  .scalar_subquery())
    rows = db.execute(sa.select(w.room_id, sa.case((w.since.is_(None), by_day), else_=by_session))).all()
    found = dict(rows)
    return {rid: int(found.get(rid) or 0) for rid in ids}
