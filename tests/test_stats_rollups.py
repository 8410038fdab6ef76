"""Room statistics read per-room roll-ups that the DATABASE keeps (revision
0014_stats_rollups: triggers on ``room_access`` INSERT and DELETE, PostgreSQL and SQLite).

Every writer is covered without a statement of its own: the scan pipeline, a row written
straight into the journal with a past time (what the offline scanners' sync does), and a
cascade that deletes journal rows. The roll-ups must always equal the same aggregates
computed over the journal itself."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import sqlalchemy as sa

from makeplus_core.access.models import RoomAccess, RoomAccessHourly, RoomDayVisitor
from makeplus_core.db import utcnow

CTRL = "controlleur_des_badges"
GEST = "gestionnaire_des_salles"


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id})


def _hour(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def journal_rollup(db, room_id):
    """The roll-ups recomputed in Python from the journal (the reference)."""
    hourly, visitors = {}, set()
    for t, status, direction, user_id in db.execute(
            sa.select(RoomAccess.access_time, RoomAccess.status, RoomAccess.direction, RoomAccess.user_id)
            .where(RoomAccess.room_id == room_id)):
        key = (_hour(t), status, direction)
        hourly[key] = hourly.get(key, 0) + 1
        if status == "granted" and user_id is not None:
            visitors.add((t.astimezone(dt.UTC).date(), user_id))
    return hourly, visitors


def stored_rollup(db, room_id):
    db.expire_all()
    hourly = {(h.astimezone(dt.UTC), s, d): c for h, s, d, c in db.execute(
        sa.select(RoomAccessHourly.hour, RoomAccessHourly.status, RoomAccessHourly.direction,
                  RoomAccessHourly.count).where(RoomAccessHourly.room_id == room_id))}
    visitors = {(d, u) for d, u in db.execute(
        sa.select(RoomDayVisitor.day, RoomDayVisitor.user_id).where(RoomDayVisitor.room_id == room_id))}
    return hourly, visitors


def assert_rollups_match(db, room_id):
    db.commit()
    assert stored_rollup(db, room_id) == journal_rollup(db, room_id)


def test_the_triggers_exist(db):
    bind = db.get_bind()
    if bind.dialect.name == "postgresql":
        names = db.scalars(sa.text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'room_access'::regclass "
                                   "AND NOT tgisinternal")).all()
    else:
        names = db.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                   "AND tbl_name = 'room_access'")).all()
    assert {"room_access_rollup_insert", "room_access_rollup_delete"} <= set(names)


def test_rollups_count_scans_past_rows_and_deletions(app, f, db):
    event = f.event(name="Rollups")
    room, other_room = f.room(event, name="Amphi"), f.room(event, name="Salle B")
    ctrl, gest = f.member(event, CTRL), f.member(event, GEST)
    alice, bob = f.member(event, "participant"), f.member(event, "participant")
    outsider = f.user()
    h = f.auth(ctrl, event)
    url = f"/api/rooms/{room.id}/verify_access/"
    for holder, status in ((alice, 200), (alice, 200), (bob, 200), (outsider, 403)):
        app.post_json(url, {"qr_data": qr(holder)}, headers=h, status=status)
    app.post_json(f"/api/rooms/{other_room.id}/verify_access/", {"qr_data": qr(bob)}, headers=h, status=200)
    app.post_json("/api/participants/scan/", {"qr_data": qr(alice)}, headers=h)  # event level: no room
    hourly, visitors = stored_rollup(db, room.id)
    now_hour = _hour(utcnow())
    assert sum(hourly.values()) == 4 and hourly[(now_hour, "granted", "entry")] == 3
    assert {u for _, u in visitors} == {alice.id, bob.id}
    assert_rollups_match(db, room.id)
    assert_rollups_match(db, other_room.id)

    # a past scan written straight into the journal (the offline sync does this): its own hour and day
    past = _hour(utcnow() - dt.timedelta(days=3, hours=5)) + dt.timedelta(minutes=10)
    carol = f.member(event, "participant")
    db.execute(sa.insert(RoomAccess), [
        {"id": uuid.uuid4(), "event_id": event.id, "room_id": room.id, "user_id": u.id,
         "verified_by_id": ctrl.id, "access_time": past + dt.timedelta(minutes=i), "status": s,
         "layer": "core", "reason": s, "http_status": 200 if s == "granted" else 403, "direction": d}
        for i, (u, s, d) in enumerate([(carol, "granted", "entry"), (carol, "granted", "exit"),
                                       (alice, "denied", "entry"), (alice, "granted", "entry")])])
    db.commit()
    hourly, visitors = stored_rollup(db, room.id)
    assert hourly[(_hour(past), "granted", "entry")] == 2 and hourly[(_hour(past), "granted", "exit")] == 1
    assert (past.date(), carol.id) in visitors
    assert_rollups_match(db, room.id)

    s = app.get(f"/api/rooms/{room.id}/statistics/", headers=f.auth(gest, event)).json["statistics"]
    assert (s["total_scans"], s["today_scans"], s["granted"], s["denied"]) == (8, 4, 6, 2)
    assert (s["granted_today"], s["unique_participants"], s["unique_participants_today"]) == (3, 3, 2)

    # deleting journal rows (a participant removed: its rows cascade) keeps the roll-ups exact
    db.execute(sa.delete(RoomAccess).where(RoomAccess.user_id == carol.id))
    db.execute(sa.delete(RoomAccess).where(RoomAccess.user_id == alice.id,
                                           RoomAccess.access_time >= past - dt.timedelta(hours=1),
                                           RoomAccess.access_time < past + dt.timedelta(hours=1)))
    assert_rollups_match(db, room.id)
    s = app.get(f"/api/rooms/{room.id}/statistics/", headers=f.auth(gest, event)).json["statistics"]
    assert (s["total_scans"], s["granted"], s["unique_participants"]) == (4, 3, 2)
    # one of alice's two granted scans today goes: she is still a visitor today
    first = db.scalars(sa.select(RoomAccess.id).where(RoomAccess.user_id == alice.id,
                                                      RoomAccess.room_id == room.id)).first()
    db.execute(sa.delete(RoomAccess).where(RoomAccess.id == first))
    assert_rollups_match(db, room.id)
    assert (utcnow().date(), alice.id) in stored_rollup(db, room.id)[1]


def test_room_statistics_cost_does_not_grow_with_the_journal(app, f, db, count_queries):
    event = f.event()
    room, gest, ctrl = f.room(event), f.member(event, GEST), f.member(event, CTRL)
    holders = [f.member(event, "participant") for _ in range(3)]
    gh = f.auth(gest, event)
    url = f"/api/rooms/{room.id}/statistics/"

    def measure():
        with count_queries() as q:
            app.get(url, headers=gh)
        return q.count

    before = measure()
    t0 = _hour(utcnow() - dt.timedelta(days=2))  # 500 x 37 s: six whole hours
    db.execute(sa.insert(RoomAccess), [
        {"id": uuid.uuid4(), "event_id": event.id, "room_id": room.id, "user_id": holders[i % 3].id,
         "verified_by_id": ctrl.id, "access_time": t0 + dt.timedelta(seconds=37 * i), "status": "granted",
         "layer": "core", "reason": "granted", "http_status": 200} for i in range(500)])
    db.commit()
    assert measure() == before
    # the journal's 500 rows are a handful of roll-up rows (hours x status x direction)
    assert db.scalar(sa.select(sa.func.count()).select_from(RoomAccessHourly)
                     .where(RoomAccessHourly.room_id == room.id)) == 6
    s = app.get(url, headers=gh).json["statistics"]
    assert (s["total_scans"], s["granted"], s["unique_participants"], s["today_scans"]) == (500, 500, 3, 0)
    assert_rollups_match(db, room.id)
