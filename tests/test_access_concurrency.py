"""Scans under real concurrency, scan cost at 100,000 rows, rate limits (memory and Redis)."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import threading
import uuid

import pytest
import sqlalchemy as sa
import webtest

from makeplus_core.access.models import RoomAccess
from makeplus_core.db import utcnow

CTRL = "controlleur_des_badges"
REDIS_URL = "redis://127.0.0.1:6379/15"


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id})


def postgres_only(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (row locks and real parallel writers); "
                    "set MAKEPLUS_TEST_DATABASE_URL=postgresql+psycopg://…")


def run_parallel(app, calls):
    """Each call in its own thread with its own TestApp over the same WSGI app,
    released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def one(call):
        client = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        barrier.wait()
        url, body, headers = call
        r = client.post_json(url, body, headers=headers, expect_errors=True)
        return r.status_int, r.json

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


def test_50_concurrent_scans_capacity_10(app, f, db, engine):
    postgres_only(engine)
    event = f.event()
    room = f.room(event, capacity=10)
    ctrl = f.member(event, CTRL)
    holders = [f.member(event, "participant") for _ in range(50)]
    h = f.auth(ctrl, event)
    url = f"/api/rooms/{room.id}/verify_access/"
    results = run_parallel(app, [(url, {"qr_data": qr(u)}, h) for u in holders])
    statuses = sorted(s for s, _ in results)
    assert statuses.count(200) == 10, statuses
    assert statuses.count(403) == 40
    assert all(b["error"] == "room_full" for s, b in results if s == 403)
    counts = dict(db.execute(sa.select(RoomAccess.status, sa.func.count()).group_by(RoomAccess.status)).all())
    db.commit()
    assert counts == {"granted": 10, "denied": 40}


def test_20_concurrent_retries_one_key(app, f, db, engine):
    postgres_only(engine)
    event = f.event()
    room = f.room(event, capacity=10)
    ctrl = f.member(event, CTRL)
    holder = f.member(event, "participant")
    h = {**f.auth(ctrl, event), "Idempotency-Key": "retry-" + uuid.uuid4().hex}
    url = f"/api/rooms/{room.id}/verify_access/"
    results = run_parallel(app, [(url, {"qr_data": qr(holder)}, h)] * 20)
    assert {s for s, _ in results} == {200}
    first = results[0][1]
    assert all(body == first for _, body in results)
    assert db.scalar(sa.select(sa.func.count()).select_from(RoomAccess)) == 1
    db.commit()
    # the same for the event-level scanner: one row, one check-in
    h2 = {**h, "Idempotency-Key": "retry-event"}
    results = run_parallel(app, [("/api/participants/scan/", {"qr_data": qr(holder)}, h2)] * 20)
    assert {s for s, _ in results} == {200} and all(b == results[0][1] for _, b in results)
    assert results[0][1]["first_check_in"] is True
    assert db.scalar(sa.select(sa.func.count()).select_from(RoomAccess)) == 2
    db.commit()


def test_concurrent_check_in_happens_once(app, f, db, engine):
    postgres_only(engine)
    event = f.event()
    ctrls = [f.member(event, CTRL) for _ in range(10)]
    holder = f.member(event, "participant")
    calls = [("/api/participants/scan/", {"qr_data": qr(holder)}, f.auth(c, event)) for c in ctrls]
    results = run_parallel(app, calls)
    assert {s for s, _ in results} == {200}
    assert sum(1 for _, b in results if b["first_check_in"]) == 1


def test_granted_path_query_count_at_100k_rows(app, make_app, f, db, engine, count_queries):
    """The core's scan path (no plugin: each plugin's tests count the statements its own
    scan hooks add), over a 100,000-row journal."""
    postgres_only(engine)
    event = f.event()
    room = f.room(event, capacity=500)
    f.session(event, room, start=utcnow() - dt.timedelta(minutes=10), title="Now")
    ctrl = f.member(event, CTRL)
    holder = f.member(event, "participant")
    db.execute(sa.text(
        "INSERT INTO room_access (id, event_id, room_id, verified_by_id, access_time, status, layer, reason, "
        "http_status) SELECT gen_random_uuid(), :e, :r, :c, now() - make_interval(secs => g), "
        "CASE WHEN g % 3 = 0 THEN 'denied' ELSE 'granted' END, 'core', 'bulk', 200 "
        "FROM generate_series(1, 100000) AS g"), {"e": event.id, "r": room.id, "c": ctrl.id})
    db.commit()
    db.execute(sa.text("ANALYZE room_access"))
    db.commit()
    h = f.auth(ctrl, event)
    core_only = make_app(**{"makeplus.plugins": ""})
    with count_queries() as q:
        r = core_only.post_json(f"/api/rooms/{room.id}/verify_access/", {"qr_data": qr(holder)}, headers=h)
    assert r.json["status"] == "granted"
    assert q.count == 5, q.statements  # identity, the door, admission, counter, journal row (6 before)


# --------------------------------------------------------------------------- rate limits


def _limited_app(make_app, **extra):
    nonce = uuid.uuid4().hex  # a fresh app (and memory store) per test
    return make_app(**{"makeplus.ratelimit.enabled": "true", "makeplus.ratelimit.scan": "3/60",
                       "makeplus.ratelimit.login": "3/60", "makeplus.test_nonce": nonce, **extra})


def _scan_limit(app, f):
    event = f.event()
    room = f.room(event)
    ctrl = f.member(event, CTRL)
    holder = f.member(event, "participant")
    h = f.auth(ctrl, event)
    url = f"/api/rooms/{room.id}/verify_access/"
    for _ in range(3):
        app.post_json(url, {"qr_data": qr(holder)}, headers=h, status=200)
    r = app.post_json(url, {"qr_data": qr(holder)}, headers=h, status=429)
    assert r.json["error"] == "rate_limited" and r.json["message"]
    assert int(r.headers["Retry-After"]) >= 1
    r = app.post_json("/api/participants/scan/", {"qr_data": qr(holder)}, headers=h, status=429)
    # another controller from the same address is limited by the per-IP counter
    app.post_json(url, {"qr_data": qr(holder)}, headers=f.auth(f.member(event, CTRL), event), status=429)
    # from another address, a fresh controller passes
    app.post_json(url, {"qr_data": qr(holder)}, headers=f.auth(f.member(event, CTRL), event),
                  extra_environ={"REMOTE_ADDR": "10.0.0.9"}, status=200)
    # ... but the limited controller stays limited from any address
    app.post_json(url, {"qr_data": qr(holder)}, headers=h, extra_environ={"REMOTE_ADDR": "10.0.0.10"},
                  status=429)


def _login_limit(app, f):
    user = f.user()
    for _ in range(3):
        app.post_json("/api/auth/token/", {"email": user.email, "password": "wrong-password"}, status=401)
    r = app.post_json("/api/auth/token/", {"email": user.email, "password": "makeplus2025"}, status=429)
    assert r.headers["Retry-After"] and r.json["message"]


def test_scan_rate_limit_memory(make_app, f, app):
    _scan_limit(_limited_app(make_app), f)


def test_login_rate_limit_memory(make_app, f, app):
    _login_limit(_limited_app(make_app), f)


@pytest.fixture
def redis_prefix():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    prefix = f"mp-test-access-{uuid.uuid4().hex}:"

    def flush():
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)

    flush()
    yield prefix, client
    flush()


def test_scan_rate_limit_and_idempotency_redis(make_app, f, app, redis_prefix):
    prefix, client = redis_prefix
    limited = _limited_app(make_app, **{"makeplus.redis_url": REDIS_URL, "makeplus.redis_prefix": prefix})
    _scan_limit(limited, f)
    assert any(k.startswith(f"{prefix}rl:scan:".encode()) for k in client.scan_iter(match=prefix + "*"))
    # idempotent answers live in Redis: a second process (another app) replays them
    relaxed = {"makeplus.redis_url": REDIS_URL, "makeplus.redis_prefix": prefix,
               "makeplus.test_nonce": uuid.uuid4().hex}
    one, two = make_app(**relaxed), make_app(**{**relaxed, "makeplus.test_nonce2": "x"})
    assert one.app is not two.app
    event = f.event()
    room = f.room(event)
    holder = f.member(event, "participant")
    h = {**f.auth(f.member(event, CTRL), event), "Idempotency-Key": "redis-key"}
    url = f"/api/rooms/{room.id}/verify_access/"
    a = one.post_json(url, {"qr_data": qr(holder)}, headers=h, status=200)
    b = two.post_json(url, {"qr_data": qr(holder)}, headers=h, status=200)
    assert a.json == b.json


def test_login_rate_limit_redis(make_app, f, app, redis_prefix):
    prefix, _ = redis_prefix
    _login_limit(_limited_app(make_app, **{"makeplus.redis_url": REDIS_URL, "makeplus.redis_prefix": prefix}), f)
