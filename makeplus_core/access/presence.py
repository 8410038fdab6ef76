"""Exits and live occupancy for rooms that track exits (``rooms.tracks_exits``).

Occupancy is the number of distinct people inside: a holder is inside after a granted
entry and outside after an exit. It is kept in O(1) in the same two tables as capacity
admission (:mod:`.admission`), keyed by the **event day** instead of the session window:

* ``room_admissions`` (room, day, holder) with ``inside``: an entry inserts it (or sets
  ``inside`` back to true), an exit sets it to false with
  ``UPDATE … SET inside = false WHERE … AND inside = true`` — one row, locked by the
  database: of two concurrent exits of the same holder (two phones, two processes) only
  one changes it, and only that one lowers the counter, exactly once;
* ``room_admission_counts`` (room, day) ``admitted`` = people inside: an entry raises it
  with the conditional upsert ``WHERE admitted < capacity`` (a new person is admitted only
  while occupancy < capacity), an exit lowers it.

**Daily reset without a cron:** the key is the start of the current day in the event's
timezone (``events.timezone``). At local midnight a new key begins with nobody inside, so
a forgotten exit scan never blocks a room the next day; yesterday's rows just stay behind
(history). No job has to run.
"""
from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

import sqlalchemy as sa
from zope.sqlalchemy import mark_changed

from ..db import UTCDateTime, dialect_insert
from .models import RoomAdmission, RoomAdmissionCount

ADMISSIONS = RoomAdmission.__table__
COUNTS = RoomAdmissionCount.__table__


def _tz(name):
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def event_day_start(tz_name: str | None, now: dt.datetime) -> dt.datetime:
    """Midnight of ``now``'s day in the event's timezone, as a UTC datetime."""
    local = now.astimezone(_tz(tz_name))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(dt.UTC)


def _dialect(db) -> str:
    return db.get_bind().dialect.name


def _key():
    return sa.and_(ADMISSIONS.c.room_id == sa.bindparam("p_room", type_=sa.Uuid),
                   ADMISSIONS.c.window_start == sa.bindparam("p_day", type_=UTCDateTime),
                   ADMISSIONS.c.user_id == sa.bindparam("p_user", type_=sa.Integer))


_BUILT: dict = {}  # dialect name -> statements


def _statements(db) -> dict:
    """Built once per dialect; each scan only binds parameters (no statement construction)."""
    name = _dialect(db)
    if name not in _BUILT:
        _BUILT[name] = _build(functools.partial(dialect_insert, db))
    return _BUILT[name]


def _build(insert) -> dict:
    room, day = sa.bindparam("p_room", type_=sa.Uuid), sa.bindparam("p_day", type_=UTCDateTime)
    user, now = sa.bindparam("p_user", type_=sa.Integer), sa.bindparam("p_now", type_=UTCDateTime)
    counter = insert(COUNTS).values(room_id=room, window_start=day, admitted=1)
    raise_ = {"admitted": COUNTS.c.admitted + 1}
    index = [COUNTS.c.room_id, COUNTS.c.window_start]
    counter_key = sa.and_(COUNTS.c.room_id == room, COUNTS.c.window_start == day)
    return {
        "insert": insert(ADMISSIONS).values(room_id=room, window_start=day, user_id=user, admitted_at=now,
                                            inside=True).on_conflict_do_nothing().returning(ADMISSIONS.c.user_id),
        "back_in": sa.update(ADMISSIONS).where(_key(), ADMISSIONS.c.inside.is_(False))
        .values(inside=True, admitted_at=now).returning(ADMISSIONS.c.user_id),
        "raise_capped": counter.on_conflict_do_update(
            index_elements=index, set_=raise_,
            where=COUNTS.c.admitted < sa.bindparam("p_capacity", type_=sa.Integer)).returning(COUNTS.c.admitted),
        "raise": counter.on_conflict_do_update(index_elements=index, set_=raise_).returning(COUNTS.c.admitted),
        "delete": sa.delete(ADMISSIONS).where(_key()),
        "out_again": sa.update(ADMISSIONS).where(_key()).values(inside=False),
        "leave": sa.update(ADMISSIONS).where(_key(), ADMISSIONS.c.inside.is_(True))
        .values(inside=False).returning(ADMISSIONS.c.user_id),
        "lower": sa.update(COUNTS).where(counter_key, COUNTS.c.admitted > 0)
        .values(admitted=COUNTS.c.admitted - 1),
    }


def enter(db, room_id, capacity: int | None, day: dt.datetime, user_id: int, now: dt.datetime) -> str:
    """An entry: ``"entered"`` (now inside, counted), ``"inside"`` (already inside: no
    change) or ``"full"`` (occupancy reached the capacity: nothing changed)."""
    st = _statements(db)
    params = {"p_room": room_id, "p_day": day, "p_user": user_id, "p_now": now}
    new = db.execute(st["insert"], params).first()
    mark_changed(db)
    if new is None and db.execute(st["back_in"], params).first() is None:
        return "inside"
    if capacity is None:
        db.execute(st["raise"], params)
        return "entered"
    if capacity >= 1 and db.execute(st["raise_capped"], {**params, "p_capacity": capacity}).first() is not None:
        return "entered"
    db.execute(st["delete"] if new is not None else st["out_again"], params)
    return "full"


def leave(db, room_id, day: dt.datetime, user_id: int) -> bool:
    """An exit: True when the holder was inside (the counter is lowered, exactly once)."""
    st = _statements(db)
    params = {"p_room": room_id, "p_day": day, "p_user": user_id}
    out = db.execute(st["leave"], params).first()
    mark_changed(db)
    if out is None:
        return False
    db.execute(st["lower"], params)
    return True


def undo_enter(db, room_id, day, user_id) -> None:
    """Give back an entry made in this transaction (the scan was denied afterwards)."""
    leave(db, room_id, day, user_id)


def inside_counts(db, rooms, now: dt.datetime) -> dict:
    """``{room_id: people inside}`` for rooms that track exits (one query)."""
    from ..events.models import Event

    rooms = [r for r in rooms if r.tracks_exits]
    if not rooms:
        return {}
    tzs = dict(db.execute(sa.select(Event.id, Event.timezone)
                          .where(Event.id.in_({r.event_id for r in rooms}))).all())
    keys = {r.id: event_day_start(tzs.get(r.event_id), now) for r in rooms}
    rows = db.execute(sa.select(COUNTS.c.room_id, COUNTS.c.window_start, COUNTS.c.admitted)
                      .where(COUNTS.c.room_id.in_(list(keys)))
                      .where(COUNTS.c.window_start.in_(set(keys.values())))).all()
    found = {}
    for room_id, start, n in rows:
        if start.tzinfo is None:
            start = start.replace(tzinfo=dt.UTC)
        if keys.get(room_id) == start:
            found[room_id] = int(n)
    return {rid: found.get(rid, 0) for rid in keys}
