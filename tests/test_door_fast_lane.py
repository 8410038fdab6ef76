"""The room door's fast lane (makeplus_core/access/door_tween.py, issue 20): on PostgreSQL a
granted scan is answered by a tween with the door's one statement; every other scan goes on
to the view. Both paths must answer the same bytes (but the journal row's id and time) with the
same headers, record the same rows and count the scan in the rate limit once."""
from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
import sqlalchemy as sa

from makeplus_core.access import pipeline
from makeplus_core.access.models import RoomAccess
from makeplus_core.db import utcnow

CTRL = "controlleur_des_badges"
VOLATILE_HEADERS = {"X-Request-ID", "Date"}


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id})


@pytest.fixture
def apps(make_app, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the fast lane runs on PostgreSQL only (SQLite: the view, one path)")
    plugins = {"makeplus.plugins": ""}
    return make_app(**plugins), make_app(**plugins, **{"makeplus.door.fast_lane": "false"})


@pytest.fixture
def world(f, db):
    event = f.event()
    ctrl = f.member(event, CTRL)
    free = f.room(event, name="Hall", capacity=None)
    capped = f.room(event, name="Atelier", capacity=5)
    f.session(event, capped, start=utcnow() - dt.timedelta(minutes=5), title="Now")
    holders = [f.member(event, "participant") for _ in range(3)]
    other_room = f.room(f.event(), name="Elsewhere")
    db.commit()
    return {"event": event, "ctrl": ctrl, "h": f.auth(ctrl, event), "free": free, "capped": capped,
            "holders": holders, "other_room": other_room}


def _comparable(response):
    body = response.json
    access = body.get("access") or {}
    for key in ("id", "access_time", "timestamp", "scanned_at"):
        access.pop(key, None)
        body.pop(key, None)
    headers = sorted((k, v) for k, v in response.headerlist if k not in VOLATILE_HEADERS and k != "Content-Length")
    return response.status, headers, body


def _anonymous(body, holder) -> str:
    """The answer with the holder's own values replaced (the two paths scan two holders)."""
    text = json.dumps(body, sort_keys=True)
    for value, mark in ((holder.badge_id, "BADGE"), (holder.email, "EMAIL"), (holder.username, "USERNAME"),
                        (holder.first_name, "FIRST"), (holder.last_name, "LAST")):
        if value:
            text = text.replace(value, mark)
    text = text.replace(f": {holder.id},", ": USER_ID,").replace(f": {holder.id}}}", ": USER_ID}")
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", text)
    return re.sub(r"\d{4}-\d\d-\d\dT[0-9:.]+Z?", "TIME", text)


def _journal(db, holder):
    db.rollback()
    return db.execute(sa.select(RoomAccess.room_id, RoomAccess.status, RoomAccess.reason, RoomAccess.direction,
                                RoomAccess.session_id, RoomAccess.verified_by_id, RoomAccess.layer)
                      .where(RoomAccess.user_id == holder.id).order_by(RoomAccess.access_time)).all()


@pytest.mark.parametrize("room", ["free", "capped"])
def test_both_paths_answer_alike(apps, world, db, count_queries, room, monkeypatch):
    fast, slow = apps
    answered = []
    real = pipeline.fast_room_scan

    def spy(request, room_id):
        answer = real(request, room_id)
        answered.append(answer is not None)
        return answer

    monkeypatch.setattr(pipeline, "fast_room_scan", spy)
    holder_fast, holder_slow = world["holders"][:2]
    url = f"/api/rooms/{world[room].id}/verify_access/"
    headers = {**world["h"], "Origin": "https://app.example", "Accept-Language": "fr"}
    for _ in range(2):  # a first entry (the capped room: decided in Python), then a re-entry
        with count_queries() as q:
            a = fast.post_json(url, {"qr_data": qr(holder_fast)}, headers=headers)
        b = slow.post_json(url, {"qr_data": qr(holder_slow)}, headers=headers)
        assert a.json["status"] == "granted"
        ca, cb = _comparable(a), _comparable(b)
        assert ca[0] == cb[0] and ca[1] == cb[1]
        assert _anonymous(ca[2], holder_fast) == _anonymous(cb[2], holder_slow)
    # the fast app's scans went through the tween (the re-entry, and the first entry where no
    # capacity needs a seat, answered there); the other app's never did
    assert answered == ([False, True] if room == "capped" else [True, True])
    # the re-entry: one statement, no transaction
    assert q.count == 1, q.statements
    assert [r[1:] for r in _journal(db, holder_fast)] == [r[1:] for r in _journal(db, holder_slow)]


def test_fast_lane_answers_the_contract(apps, world, db):
    fast, _ = apps
    holder = world["holders"][0]
    r = fast.post_json(f"/api/rooms/{world['free'].id}/verify_access/", {"qr_data": qr(holder)},
                       headers=world["h"])
    body = r.json
    assert body["status"] == "granted" and body["participant"]["user_id"] == holder.id
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.headers["Cache-Control"] == "private, no-store" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert "Authorization" in r.headers["Vary"] and r.headers["X-Request-ID"]
    rows = _journal(db, holder)
    assert [(row.room_id, row.status, row.direction, row.verified_by_id) for row in rows] == [
        (world["free"].id, "granted", "entry", world["ctrl"].id)]


def test_denials_and_keys_take_the_view(apps, world, db, count_queries):
    """What the statement does not grant goes on to the pipeline, which decides on the row the
    statement read (one statement, not two); an Idempotency-Key scan never takes the fast lane."""
    fast, _ = apps
    url = f"/api/rooms/{world['free'].id}/verify_access/"
    with count_queries() as q:
        r = fast.post_json(url, {"qr_data": json.dumps({"user_id": 10 ** 8, "badge_id": "NOPE"})},
                           headers=world["h"], status=404)
    assert r.json["status"] == "denied"
    door_statements = [s for s in q.statements if "WITH door AS" in s or "FROM rooms" in s]
    assert len(door_statements) == 1, q.statements
    holder = world["holders"][2]
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = fast.post_json(url, {"qr_data": qr(holder)}, headers={**world["h"], **key})
    again = fast.post_json(url, {"qr_data": qr(holder)}, headers={**world["h"], **key})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json == first.json
    assert len(_journal(db, holder)) == 1
    # another event's room: 404, its journal untouched
    other = world["other_room"]
    fast.post_json(f"/api/rooms/{other.id}/verify_access/", {"qr_data": qr(holder)}, headers=world["h"],
                   status=404)
    assert all(row.room_id != other.id for row in _journal(db, holder))


def test_scan_counts_once_in_the_rate_limit(make_app, engine, world):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    app = make_app(**{"makeplus.plugins": "", "makeplus.ratelimit.enabled": "true",
                      "makeplus.ratelimit.scan": "4/60", "makeplus.test_nonce": uuid.uuid4().hex})
    free, capped = world["free"], world["capped"]
    holder = world["holders"][0]
    for room in (free, capped, capped):  # granted by the statement, by the pipeline, by the statement
        app.post_json(f"/api/rooms/{room.id}/verify_access/", {"qr_data": qr(holder)}, headers=world["h"],
                      status=200)
    app.post_json(f"/api/rooms/{free.id}/verify_access/", {"qr_data": "garbage"}, headers=world["h"],
                  status=400)  # a denial, counted once too
    r = app.post_json(f"/api/rooms/{free.id}/verify_access/", {"qr_data": qr(holder)}, headers=world["h"],
                      status=429)
    assert r.json["error"] == "rate_limited" and int(r.headers["Retry-After"]) >= 1
