"""Capacity admission in O(1): who entered a capped room in its current window.

A room with a ``capacity`` admits at most that many distinct holders per window (the
session running in the room, since its start; else the current UTC day: :mod:`.window`). Instead of
counting the journal (``count(DISTINCT user_id)`` over every granted row of the window,
under a lock on the room row, which grows with every scan and serialises the door),
admission keeps two small tables:

* ``room_admissions`` — one row per (room, window, holder): a re-entry finds it (the
  scan pipeline reads it in its main query) and takes no lock at all;
* ``room_admission_counts`` — one counter per (room, window), raised by one conditional
  upsert ``… ON CONFLICT DO UPDATE SET admitted = admitted + 1 WHERE admitted < capacity
  RETURNING admitted``. The database serialises concurrent upserts on that one row
  (READ COMMITTED re-checks the condition on the newest version), so the room never
  admits more than its capacity, across threads and processes alike; the lock lasts
  from the upsert to the commit, and only first entries take it.

A first entry costs two statements (insert the admission, raise the counter); a
re-entry none. :func:`release` undoes an admission whose scan was denied afterwards
(a plugin's denial), so a denied scan never holds a seat.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from zope.sqlalchemy import mark_changed

from ..db import dialect_insert
from .models import RoomAdmission, RoomAdmissionCount

ADMISSIONS = RoomAdmission.__table__
COUNTS = RoomAdmissionCount.__table__


def admit(db, room_id, capacity: int, window: dt.datetime, user_id: int, now: dt.datetime) -> bool:
    """Admit ``user_id`` in the room's ``window``; False when the room is full.

    True too when the holder was admitted concurrently by another scan (a re-entry).
    """
    first = db.execute(
        dialect_insert(db, ADMISSIONS).values(room_id=room_id, window_start=window, user_id=user_id, admitted_at=now)
        .on_conflict_do_nothing().returning(ADMISSIONS.c.user_id)).first()
    mark_changed(db)
    if first is None:
        return True  # admitted by a concurrent scan of the same holder, now committed
    up = dialect_insert(db, COUNTS).values(room_id=room_id, window_start=window, admitted=1)
    up = up.on_conflict_do_update(
        index_elements=[COUNTS.c.room_id, COUNTS.c.window_start],
        set_={"admitted": COUNTS.c.admitted + 1},
        where=COUNTS.c.admitted < capacity,
    ).returning(COUNTS.c.admitted)
    if capacity >= 1 and db.execute(up).first() is not None:
        return True
    _delete_admission(db, room_id, window, user_id)
    return False


def release(db, room_id, window: dt.datetime, user_id: int) -> None:
    """Give back the seat taken by :func:`admit` in this transaction (the scan was denied)."""
    if _delete_admission(db, room_id, window, user_id):
        db.execute(sa.update(COUNTS).where(COUNTS.c.room_id == room_id, COUNTS.c.window_start == window,
                                           COUNTS.c.admitted > 0)
                   .values(admitted=COUNTS.c.admitted - 1))


def _delete_admission(db, room_id, window, user_id) -> bool:
    result = db.execute(sa.delete(ADMISSIONS).where(ADMISSIONS.c.room_id == room_id,
                                                    ADMISSIONS.c.window_start == window,
                                                    ADMISSIONS.c.user_id == user_id))
    mark_changed(db)
    return result.rowcount == 1


def admitted_clause(room_id_col, user_id_col, window_col):
    """SQL: the holder already has an admission in the room's window (for the scan's main query)."""
    return sa.exists().where(ADMISSIONS.c.room_id == room_id_col, ADMISSIONS.c.user_id == user_id_col,
                             ADMISSIONS.c.window_start == window_col)
