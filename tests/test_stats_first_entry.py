"""The occupancy and the occupancy timeline of rooms that do not track exits read
``room_day_visitors.first_entry_at`` (revision 0015_stats_first_entry: each holder's first
granted entry of the UTC day, kept by the ``room_access`` triggers on PostgreSQL and SQLite)
instead of the day's journal. Each test computes the expected value from the journal itself,
in Python, and rows are written straight into the journal in any order, as the offline
scanners' sync writes past scans."""
from __future__ import annotations

import datetime as dt
import json
import random
import uuid

import sqlalchemy as sa

from makeplus_core.access import services
from makeplus_core.access.models import RoomAccess, RoomDayVisitor
from makeplus_core.access.occupancy import room_occupancy
from makeplus_core.access.presence import event_day_start
from makeplus_core.access.window import LIVE, day_start
from makeplus_core.db import utcnow

CTRL = "controlleur_des_badges"
GEST = "gestionnaire_des_salles"
DAY = day_start(utcnow()) - dt.timedelta(days=5)  # a past UTC day: the tests pass their own "now"


def at(hours: float, day: int = 0) -> dt.datetime:
    return DAY + dt.timedelta(days=day, hours=hours)


def put(db, room, scanner, *rows):
    """Journal rows ``(user, time, status, direction)``, one statement each, in this order."""
    for user, t, status, direction in rows:
        db.execute(sa.insert(RoomAccess).values(
            id=uuid.uuid4(), event_id=room.event_id, room_id=room.id, user_id=user.id, verified_by_id=scanner.id,
            access_time=t, status=status, layer="core", reason=status,
            http_status=200 if status == "granted" else 403, direction=direction))
    db.commit()


def journal_first_entries(db, room_id) -> dict:
    """``{(day, user_id): first granted entry or None}`` from the journal (the reference)."""
    out: dict = {}
    for t, direction, user_id in db.execute(
            sa.select(RoomAccess.access_time, RoomAccess.direction, RoomAccess.user_id)
            .where(RoomAccess.room_id == room_id, RoomAccess.status == "granted", RoomAccess.user_id.is_not(None))):
        key = (t.astimezone(dt.UTC).date(), user_id)
        first = out.get(key)
        if direction == "entry" and (first is None or t < first):
            first = t
        out[key] = first
    db.commit()
    return out


def stored_first_entries(db, room_id) -> dict:
    db.expire_all()
    out = {(d, u): t for d, u, t in db.execute(
        sa.select(RoomDayVisitor.day, RoomDayVisitor.user_id, RoomDayVisitor.first_entry_at)
        .where(RoomDayVisitor.room_id == room_id))}
    db.commit()
    return out


def check(db, room_id) -> dict:
    stored = stored_first_entries(db, room_id)
    assert stored == journal_first_entries(db, room_id)
    return stored


def test_first_entry_out_of_order_exit_only_and_deletions(f, db):
    event = f.event()
    room, ctrl = f.room(event, capacity=None), f.member(event, CTRL)
    alice, bob, carol = (f.member(event, "participant") for _ in range(3))
    day, next_day = DAY.date(), (DAY + dt.timedelta(days=1)).date()

    put(db, room, ctrl, (alice, at(10), "granted", "entry"))
    assert check(db, room.id)[(day, alice.id)] == at(10)
    put(db, room, ctrl, (alice, at(11), "granted", "entry"))  # a re-entry in time order: unchanged
    assert check(db, room.id)[(day, alice.id)] == at(10)
    put(db, room, ctrl, (alice, at(9), "granted", "entry"))  # a synced past scan, earlier than the first
    assert check(db, room.id)[(day, alice.id)] == at(9)
    put(db, room, ctrl, (alice, at(8), "denied", "entry"),  # a denial is no entry
        (alice, at(7), "granted", "exit"))  # nor is an exit
    assert check(db, room.id)[(day, alice.id)] == at(9)
    last = DAY + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    put(db, room, ctrl, (alice, last, "granted", "entry"), (alice, at(0, day=1), "granted", "entry"))
    stored = check(db, room.id)
    assert (stored[(day, alice.id)], stored[(next_day, alice.id)]) == (at(9), at(0, day=1))

    put(db, room, ctrl, (bob, at(10.5), "granted", "exit"))  # exits only: a visitor, no entry
    assert check(db, room.id)[(day, bob.id)] is None
    put(db, room, ctrl, (bob, at(12), "granted", "entry"), (bob, at(13), "granted", "exit"))
    assert check(db, room.id)[(day, bob.id)] == at(12)
    put(db, room, ctrl, (carol, at(10), "granted", "exit"), (carol, at(10.2), "denied", "entry"))
    assert check(db, room.id)[(day, carol.id)] is None
    # exits only: not in the day's occupancy, but a visitor of the day
    assert room_occupancy(db, [room.id], at(14)) == {room.id: 2}

    def delete(*where):
        db.execute(sa.delete(RoomAccess).where(RoomAccess.room_id == room.id, *where))
        db.commit()
        return check(db, room.id)

    # the first entry goes: the next one is the first
    assert delete(RoomAccess.user_id == alice.id, RoomAccess.access_time == at(9))[(day, alice.id)] == at(10)
    # a later entry goes: unchanged
    assert delete(RoomAccess.user_id == alice.id, RoomAccess.access_time == at(11))[(day, alice.id)] == at(10)
    # two entries in one statement (a cascade deletes so): the last one of the day is left
    stored = delete(RoomAccess.user_id == alice.id, RoomAccess.access_time.in_([at(10), at(0, day=1)]))
    assert stored[(day, alice.id)] == last and (next_day, alice.id) not in stored
    # the last entry goes: the exit is left, no entry any more
    assert delete(RoomAccess.user_id == alice.id, RoomAccess.access_time == last)[(day, alice.id)] is None
    # nothing granted left that day: no visitor
    assert (day, alice.id) not in delete(RoomAccess.user_id == alice.id, RoomAccess.direction == "exit")
    assert delete(RoomAccess.user_id == bob.id, RoomAccess.direction == "entry")[(day, bob.id)] is None
    assert room_occupancy(db, [room.id], at(14)) == {room.id: 0}


def journal_occupancy(db, room_id, since) -> int:
    """Distinct holders with a granted entry since ``since`` (the journal's rule)."""
    users = {u for t, u, s, d in db.execute(sa.select(RoomAccess.access_time, RoomAccess.user_id, RoomAccess.status,
                                                      RoomAccess.direction).where(RoomAccess.room_id == room_id))
             if t >= since and s == "granted" and d == "entry" and u is not None}
    db.commit()
    return len(users)


def test_occupancy_with_and_without_a_running_session(f, db):
    event = f.event()
    room, other, empty = f.room(event, capacity=None), f.room(event, capacity=5), f.room(event)
    ctrl = f.member(event, CTRL)
    a, b, c, d, e, g = (f.member(event, "participant") for _ in range(6))
    put(db, room, ctrl,
        (b, at(14.5), "granted", "entry"),  # b: before the session, then again in it (synced first)
        (b, at(9), "granted", "entry"),
        (a, at(9), "granted", "entry"),  # a: before the session only
        (c, at(14.2), "granted", "entry"),  # c: in the session only
        (d, at(14.3), "granted", "exit"),  # d: an exit only
        (e, at(14.4), "denied", "entry"),  # e: denied
        (g, at(20, day=-1), "granted", "entry"))  # g: the day before
    put(db, other, ctrl, (a, at(11), "granted", "entry"), (a, at(12), "granted", "entry"))
    now = at(15)
    ids = [room.id, other.id, empty.id]

    def occupancy():
        statements = []
        bind = db.get_bind()

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(bind, "before_cursor_execute", count)
        try:
            found = room_occupancy(db, ids, now)
        finally:
            sa.event.remove(bind, "before_cursor_execute", count)
        db.commit()
        assert len(statements) == 1  # one statement for many rooms (the rooms list)
        return found

    # no session running: the UTC day
    assert occupancy() == {room.id: 3, other.id: 1, empty.id: 0}
    assert journal_occupancy(db, room.id, DAY) == 3
    # a scheduled session running since 14:00: its start
    session = f.session(event, room, start=at(14), hours=2)
    assert occupancy() == {room.id: 2, other.id: 1, empty.id: 0}
    assert journal_occupancy(db, room.id, at(14)) == 2
    # a live session started the day before, past its end time: since its start
    session.start_time, session.end_time, session.status = at(19, day=-1), at(20, day=-1), LIVE
    f.db.commit()
    assert occupancy() == {room.id: 4, other.id: 1, empty.id: 0}
    assert journal_occupancy(db, room.id, at(19, day=-1)) == 4
    # over: the day again
    session.status = "termine"
    f.db.commit()
    assert occupancy()[room.id] == 3


def walk(rows, start, now, exits: bool) -> list[dict]:
    """The timeline from scratch, point by point: the holders with a granted entry since
    ``start`` (with exits: whose last granted row since ``start`` is an entry)."""
    points, t = [], start
    while True:
        edge = min(t, now)
        seen = sorted((when, user, direction) for when, user, status, direction in rows
                      if status == "granted" and start <= when <= edge)
        if exits:
            last = {user: direction for _, user, direction in seen}
            count = sum(1 for direction in last.values() if direction == "entry")
        else:
            count = len({user for _, user, direction in seen if direction == "entry"})
        points.append({"time": edge, "occupancy": count})
        if edge == now:
            return points
        t += services.TIMELINE_STEP


def mixed_rows(holders, start, hours, seed):
    rng = random.Random(seed)
    rows = []
    for _ in range(120):
        t = start + dt.timedelta(seconds=rng.randrange(int(hours * 3600)), microseconds=rng.randrange(10 ** 6))
        rows.append((rng.choice(holders), t, rng.choice(["granted"] * 4 + ["denied"]),
                     rng.choice(["entry", "entry", "exit"])))
    return rows


def test_timeline_of_a_room_without_exits_equals_the_journal_walk(f, db):
    event = f.event()
    room, ctrl = f.room(event), f.member(event, CTRL)
    holders = [f.member(event, "participant") for _ in range(8)]
    # the day before, the whole day, the next day; written out of order
    rows = mixed_rows(holders, DAY - dt.timedelta(hours=6), 36, seed=20)
    rows += [(holders[0], at(9, day=0), "granted", "exit"), (holders[0], at(9.25), "granted", "entry")]  # on a point
    put(db, room, ctrl, *rows)
    # some go (the first entry of some holders among them)
    gone = sorted(rows, key=lambda r: r[1])[40:70:3]
    for user, t, _, _ in gone:
        db.execute(sa.delete(RoomAccess).where(RoomAccess.room_id == room.id, RoomAccess.user_id == user.id,
                                               RoomAccess.access_time == t))
    db.commit()
    check(db, room.id)
    left = [(t, u.id, s, d) for u, t, s, d in rows if (u, t, s, d) not in gone]
    for now in (at(0), at(0.1), at(9.25), at(13 + 7 / 60), at(24) - dt.timedelta(microseconds=1)):
        got = services.occupancy_timeline(db, room, now)
        db.commit()
        assert got == walk(left, DAY, now, exits=False)
        assert got[0]["time"] == DAY and got[-1]["time"] == now
    assert any(p["occupancy"] for p in got) and got[-1]["occupancy"] == len(
        {u for t, u, s, d in left if s == "granted" and d == "entry" and DAY <= t < at(24)})


def test_timeline_of_a_room_with_exits_walks_the_event_day(f, db):
    event = f.event(timezone="Africa/Algiers")  # UTC+1: the event day starts at 23:00 UTC
    room, ctrl = f.room(event, tracks_exits=True), f.member(event, CTRL)
    holders = [f.member(event, "participant") for _ in range(6)]
    rows = mixed_rows(holders, DAY - dt.timedelta(hours=3), 30, seed=7)
    put(db, room, ctrl, *rows)
    now = at(16 + 5 / 60)
    start = event_day_start("Africa/Algiers", now)
    assert start == at(-1)
    got = services.occupancy_timeline(db, room, now)
    db.commit()
    assert got == walk([(t, u.id, s, d) for u, t, s, d in rows], start, now, exits=True)
    assert any(p["occupancy"] for p in got)


def test_statistics_endpoint_counts_entries_today(app, f, db):
    event = f.event()
    room, ctrl, gest = f.room(event), f.member(event, CTRL), f.member(event, GEST)
    alice, bob, carol = (f.member(event, "participant") for _ in range(3))
    h = f.auth(ctrl, event)
    for user in (alice, bob, alice):
        app.post_json(f"/api/rooms/{room.id}/verify_access/",
                      {"qr_data": json.dumps({"user_id": user.id, "badge_id": user.badge_id})}, headers=h)
    put(db, room, ctrl, (carol, utcnow(), "granted", "exit"))  # an exit only: a visitor, not admitted
    body = app.get(f"/api/rooms/{room.id}/statistics/", headers=f.auth(gest, event)).json
    s, timeline = body["statistics"], body["occupancy_timeline"]
    assert (s["current_occupancy"], s["unique_participants_today"], s["granted_today"]) == (2, 3, 4)
    assert timeline[-1]["occupancy"] == 2 and all(set(p) == {"time", "occupancy"} for p in timeline)
    assert dt.datetime.fromisoformat(timeline[0]["time"].replace("Z", "+00:00")) == day_start()
