"""Issue 20 (fast at the door): what the scan path and the per-request machinery no
longer do, checked by counting statements and by behaviour, never by timing."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
import sqlalchemy as sa

from makeplus_core import hookimpl
from makeplus_core.access.models import RoomAccess, RoomAdmission, RoomAdmissionCount
from makeplus_core.db import utcnow

CTRL = "controlleur_des_badges"


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id})


@pytest.fixture
def door(f):
    event = f.event()
    ctrl = f.member(event, CTRL)
    return {"event": event, "ctrl": ctrl, "h": f.auth(ctrl, event)}


def scan(app, door, room, user, status=200):
    return app.post_json(f"/api/rooms/{room.id}/verify_access/", {"qr_data": qr(user)}, headers=door["h"],
                         status=status)


# --------------------------------------------------------------------------- statements


def test_granted_scan_statements(app, make_app, f, door, count_queries, db):
    """A granted scan is one statement on PostgreSQL (the door's query reads the caller's
    identity and inserts the journal row: ``WITH door AS (SELECT …), ins AS (INSERT …)``)
    and two on SQLite (the door's query with the identity, then the journal row); 6 before
    issue 20, then 3. A first entry in a capped room is decided in Python: the door, its
    admission and the counter, the journal row (4); a re-entry is back to the short path.
    Measured on the core's path: an app without plugins (an installed plugin's access hook
    may add its own statement, and keeps the journal insert in Python)."""
    core = make_app(**{"makeplus.plugins": ""})
    pg = core.app.registry.makeplus.db_engine.dialect.name == "postgresql"
    event = door["event"]
    free = f.room(event, name="Hall", capacity=None)
    capped = f.room(event, name="Atelier", capacity=10)
    f.session(event, capped, start=utcnow() - dt.timedelta(minutes=5), title="Now")
    holder = f.member(event, "participant")
    with count_queries() as q:
        r = scan(core, door, free, holder)
    assert q.count == (1 if pg else 2), q.statements
    assert r.json["status"] == "granted" and r.json["participant"]["user_id"] == holder.id
    with count_queries() as q:
        scan(core, door, capped, holder)
    assert q.count == 4, q.statements
    with count_queries() as q:
        r = scan(core, door, capped, holder)
    assert q.count == (1 if pg else 2), q.statements
    assert r.json["session"]["title"] == "Now"
    # nothing in the scan counts the journal, whatever its size
    assert not any("count(" in s.lower() for s in q.statements)
    # every granted scan wrote exactly one journal row, with its holder, room and session
    rows = db.execute(
        sa.select(RoomAccess.room_id, RoomAccess.user_id, RoomAccess.status, RoomAccess.verified_by_id)
        .where(RoomAccess.user_id == holder.id).order_by(RoomAccess.access_time)).all()
    assert rows == [(free.id, holder.id, "granted", door["ctrl"].id)] + [(capped.id, holder.id, "granted",
                                                                          door["ctrl"].id)] * 2
    db.commit()


def test_admission_counts_holders_once_per_window(app, f, door, db):
    event = door["event"]
    room = f.room(event, capacity=2)
    a, b, c = (f.member(event, "participant") for _ in range(3))
    for user in (a, a, b, a, b):
        scan(app, door, room, user)
    assert scan(app, door, room, c, status=403).json["error"] == "room_full"
    assert db.scalar(sa.select(RoomAdmissionCount.admitted).where(RoomAdmissionCount.room_id == room.id)) == 2
    assert set(db.scalars(sa.select(RoomAdmission.user_id).where(RoomAdmission.room_id == room.id))) == {a.id, b.id}
    # a new session opens a new window: everyone may enter again, counted afresh
    f.session(event, room, start=utcnow() - dt.timedelta(minutes=1), title="Next")
    for user in (c, a):
        scan(app, door, room, user)
    assert db.scalar(sa.select(sa.func.count()).select_from(RoomAdmissionCount)
                     .where(RoomAdmissionCount.room_id == room.id)) == 2
    db.commit()


class VetoFirst:
    """A plugin refusing one holder: the seat they would have taken stays free."""

    def __init__(self, user_id):
        self.user_id = user_id

    @hookimpl
    def makeplus_check_access(self, attempt):
        if attempt.user.id == self.user_id:
            return {"status": 403, "reason": "blacklisted", "layer": "plugin:test"}
        return None


def test_plugin_denial_gives_the_seat_back(app, f, door, db):
    event = door["event"]
    room = f.room(event, capacity=1)
    refused, other = f.member(event, "participant"), f.member(event, "participant")
    pm = app.app.registry.makeplus.plugins
    pm.register(VetoFirst(refused.id), name="test-veto-first")
    try:
        assert scan(app, door, room, refused, status=403).json["error"] == "blacklisted"
        scan(app, door, room, other, status=200)
        assert scan(app, door, room, refused, status=403).json["error"] == "room_full"
    finally:
        pm.unregister(name="test-veto-first")
    statuses = [r.reason for r in db.scalars(sa.select(RoomAccess).order_by(RoomAccess.access_time))]
    assert statuses == ["blacklisted", "granted", "room_full"]
    db.commit()


# --------------------------------------------------------------------------- per request


def test_capabilities_are_computed_at_start_up(app, monkeypatch):
    """GET /api/ used to rescan every installed distribution's metadata per request."""
    expected = app.get("/api/").json["capabilities"]
    import importlib.metadata

    from makeplus_core import plugins

    def boom(*a, **kw):
        raise AssertionError("installed distributions scanned during a request")

    monkeypatch.setattr(plugins, "installed_entry_points", boom)
    monkeypatch.setattr(importlib.metadata, "entry_points", boom)
    assert app.get("/api/").json["capabilities"] == expected
    assert app.get("/api/health/").json["plugins"] == list(expected)


def test_sqlite_reads_do_not_take_the_write_lock(app, f, engine):
    """``make run``: a GET reads while a writer holds the lock; writes still BEGIN IMMEDIATE."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    event = f.event()
    gest = f.member(event, "gestionnaire_des_salles")
    h = f.auth(gest, event)
    begins = []

    def before(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            begins.append(statement)

    app_engine = app.app.registry.makeplus.db_engine
    sa.event.listen(app_engine, "before_cursor_execute", before)
    writer = sqlite3.connect(engine.url.database, isolation_level=None, timeout=30)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process is writing
        try:
            assert app.get("/api/health/").json["database"] == "ok"
            assert app.get("/api/rooms/", headers=h).status_int == 200
        finally:
            writer.rollback()
        app.post_json("/api/rooms/", {"event": str(event.id), "name": "Salle", "capacity": 5}, headers=h,
                      status=201)
    finally:
        sa.event.remove(app_engine, "before_cursor_execute", before)
        writer.close()
    # the reads (the rooms list; health's database probe when it ran) began deferred
    assert begins[:-1] and set(begins[:-1]) == {"BEGIN"} and begins[-1] == "BEGIN IMMEDIATE"


def test_request_survives_a_dropped_connection(make_app, app, f, engine):
    """No ping per checkout any more: a connection the server dropped is detected by the
    first statement, the pool is renewed and the request retried (no 500)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    event = f.event()
    user = f.member(event, "participant")
    h = f.auth(user, event)
    with engine.connect() as conn:  # the database's clock: only this app's connections are newer
        since = conn.execute(sa.text("SELECT clock_timestamp()")).scalar()
    own = make_app(**{"makeplus.test.dropped_connection": "yes"})  # its own, fresh pool
    own.get("/api/auth/me/", headers=h, status=200)  # the pool holds a connection now
    with engine.connect() as conn:
        # Only this app's idle connection: the suite's other apps keep theirs.
        killed = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle' "
            "AND backend_start > :since"), {"since": since}).scalar()
    assert killed >= 1
    assert own.get("/api/auth/me/", headers=h, status=200).json["email"] == user.email


# --------------------------------------------------------------------------- migration


def test_upgrade_fills_the_open_capacity_window(tmp_path):
    """0006_perf_scan: holders already granted in today's window keep their seats."""
    import uuid

    from alembic import command

    from makeplus_core import migrate
    from makeplus_core.access.window import day_start
    from makeplus_core.db import get_engine

    settings = {"sqlalchemy.url": f"sqlite:///{tmp_path / 'm.sqlite'}", "makeplus.plugins": ""}
    engine = get_engine(settings, immediate=False)
    now = utcnow()
    ev, capped, free = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    sql = sa.text  # plain SQL: the rows of the schema as it was at 0002
    with migrate.migrating(engine) as conn:
        cfg, _ = migrate.alembic_config(settings, connection=conn)
        command.upgrade(cfg, "0002_insights")
        stamp = now.replace(tzinfo=None)
        conn.execute(sql("INSERT INTO events (id, name, description, location, start_date, end_date, status, "
                         "is_active, timezone, themes, settings, metadata, created_at, updated_at) VALUES "
                         "(:id, 'E', '', '', :t, :t2, 'active', 1, 'UTC', '[]', '{}', '{}', :t, :t)"),
                     {"id": ev.hex, "t": stamp, "t2": stamp + dt.timedelta(days=1)})
        for room, cap in ((capped, 5), (free, None)):
            conn.execute(sql("INSERT INTO rooms (id, event_id, name, description, capacity, is_active, created_at, "
                             "updated_at) VALUES (:id, :e, :n, '', :c, 1, :t, :t)"),
                         {"id": room.hex, "e": ev.hex, "n": f"R{cap}", "c": cap, "t": stamp})
        for uid in (1, 2, 3):
            conn.execute(sql("INSERT INTO users (id, email, username, first_name, last_name, password_hash, "
                             "is_active, is_admin, token_version, created_at, updated_at) VALUES "
                             "(:id, :m, :m, '', '', 'x', 1, 0, 1, :t, :t)"), {"id": uid, "m": f"u{uid}@x", "t": stamp})
        rows = [(capped, 1, "granted", now), (capped, 1, "granted", now), (capped, 2, "granted", now),
                (capped, 3, "denied", now), (capped, 3, "granted", now - dt.timedelta(days=1)),
                (free, 3, "granted", now)]
        for room, uid, status, at in rows:
            conn.execute(sql("INSERT INTO room_access (id, event_id, room_id, user_id, access_time, status, layer, "
                             "reason, http_status) VALUES (:id, :e, :r, :u, :t, :s, 'core', '', 200)"),
                         {"id": uuid.uuid4().hex, "e": ev.hex, "r": room.hex, "u": uid, "t": at.replace(tzinfo=None),
                          "s": status})
        command.upgrade(cfg, "core@head")
        admitted = conn.execute(sa.select(RoomAdmission.room_id, RoomAdmission.user_id,
                                          RoomAdmission.window_start)).all()
        counts = conn.execute(sa.select(RoomAdmissionCount.room_id, RoomAdmissionCount.admitted)).all()
    engine.dispose()
    assert sorted((r, u) for r, u, _ in admitted) == [(capped, 1), (capped, 2)]
    assert {w for _, _, w in admitted} == {day_start(now)}
    assert counts == [(capped, 2)]


# --------------------------------------------------------------------------- the identity read by the door


def _journal(db, room):
    db.expire_all()
    return db.scalars(sa.select(RoomAccess.status).where(RoomAccess.room_id == room.id)).all()


@pytest.mark.parametrize("revoke", ["logout", "assignment", "account", "token_version", "other_event"])
def test_door_identity_revoked_at_once(app, f, db, door, revoke):
    """The door's statement reads the caller's identity (no separate query): a revoked
    token is refused at the very next scan (401, or 404 for another event's room), and the
    statement that would insert the granted row inserts nothing."""
    from makeplus_core.auth.models import User
    from makeplus_core.events.models import UserEventAssignment

    event, ctrl = door["event"], door["ctrl"]
    room = f.room(event, capacity=None)
    holder = f.member(event, "participant")
    scan(app, door, room, holder)
    if revoke == "logout":
        app.post_json("/api/auth/logout/", {}, headers=door["h"], status=200)
    elif revoke == "assignment":
        db.execute(sa.update(UserEventAssignment).where(UserEventAssignment.user_id == ctrl.id)
                   .values(is_active=False))
    elif revoke == "account":
        db.execute(sa.update(User).where(User.id == ctrl.id).values(is_active=False))
    elif revoke == "token_version":
        db.execute(sa.update(User).where(User.id == ctrl.id).values(token_version=User.token_version + 1))
    db.commit()
    if revoke == "other_event":
        other = f.event()
        room = f.room(other, capacity=None)
        r = scan(app, door, room, f.member(other, "participant"), status=404)
        assert r.json["field"] == "room_id"
    else:
        r = scan(app, door, room, holder, status=401)
        assert r.json["error"] == "not_authenticated"
    assert _journal(db, room) == (["granted"] if revoke != "other_event" else [])


def test_door_other_tokens(app, f, db, door):
    """Without a bearer access token the door answers as every authenticated endpoint: 401."""
    room = f.room(door["event"], capacity=None)
    holder = f.member(door["event"], "participant")
    app.post_json(f"/api/rooms/{room.id}/verify_access/", {"qr_data": qr(holder)}, status=401)
    r = app.post_json(f"/api/rooms/{room.id}/verify_access/", {"qr_data": qr(holder)},
                      headers={"Authorization": "Bearer not-a-token"}, status=401)
    assert r.json["error"] == "not_authenticated"
    assert _journal(db, room) == []


def test_door_denials_record_in_python(app, f, db, door):
    """Every denial is decided and recorded by the pipeline, never by the door's insert."""
    event = door["event"]
    room = f.room(event, capacity=1)
    a, b = f.member(event, "participant"), f.member(event, "participant")
    outsider = f.user()
    scan(app, door, room, a)
    assert scan(app, door, room, b, status=403).json["error"] == "room_full"
    assert scan(app, door, room, outsider, status=403).json["error"] == "no_event_access"
    wrong = json.dumps({"user_id": a.id, "badge_id": a.badge_id + "x"})
    r = app.post_json(f"/api/rooms/{room.id}/verify_access/", {"qr_data": wrong}, headers=door["h"], status=404)
    assert r.json["error"] == "unknown_badge"
    scan(app, door, room, a)  # a re-entry of the admitted holder
    assert sorted(_journal(db, room)) == ["denied"] * 3 + ["granted"] * 2


def test_check_in_statements(make_app, f, door, count_queries):
    """The event check-in: the identity, the holder with the event's name, the journal row,
    the check-in: 4 statements (6 before: the event was read on its own; 5 before: the paid
    ateliers were read though the holder read said there are none), 2 on PostgreSQL (the
    holder read, the journal row and the check-in are one statement: access/check_in.py),
    and the check-in's audit row when it checks the holder in (issue 15: it was not audited)."""
    core = make_app(**{"makeplus.plugins": ""})
    pg = core.app.registry.makeplus.db_engine.dialect.name == "postgresql"
    holder = f.member(door["event"], "participant")
    for first in (True, False):
        with count_queries() as q:
            r = core.post_json("/api/participants/scan/", {"qr_data": qr(holder)}, headers=door["h"])
        assert q.count == (2 if pg else 4) + first, q.statements
        assert r.json["status"] == "success" and r.json["first_check_in"] is first
        assert r.json["event"] == {"id": str(door["event"].id), "name": door["event"].name}


# --------------------------------------------------------------------------- health and capabilities


def test_health_and_root_cost_no_query(make_app, count_queries, f):
    """GET /api/health/ probes the database at most every db_check_interval seconds (not
    per request) and anonymous GET /api/ never touches it: precomputed answers (meta/fast.py)."""
    app = make_app(**{"makeplus.health.db_check_interval": "3600"})
    assert app.get("/api/health/").json["database"] == "ok"  # the first probe of this app
    with count_queries() as q:
        for _ in range(5):
            h = app.get("/api/health/")
            root = app.get("/api/", headers={"Origin": "https://app.example.org"})
    assert q.count == 0, q.statements
    assert h.json == {"status": "ok", "database": "ok", "version": root.json["project_version"],
                      "plugins": list(root.json["capabilities"])}
    assert h.headers["Cache-Control"] == "private, no-store" and h.headers["X-Content-Type-Options"] == "nosniff"
    assert root.json["url"] == "http://localhost/api/" and "event" not in root.json
    assert root.headers["Access-Control-Allow-Origin"] == "https://app.example.org"
    # a caller working in an event gets the view: its event and modules
    event = f.event()
    r = app.get("/api/", headers=f.auth(f.member(event, "participant"), event)).json
    assert r["event"] == str(event.id) and isinstance(r["modules"], list) and isinstance(r["capabilities"], dict)


def test_health_reports_an_unreachable_database(make_app):
    from makeplus_core.meta import fast

    app = make_app(**{"makeplus.health.db_check_interval": "0"})
    probe = fast.probe(app.app.registry)
    real = probe.engine
    probe.engine = sa.create_engine("sqlite:////nonexistent-dir/makeplus.sqlite")
    try:
        r = app.get("/api/health/", status=503)
        assert r.json["status"] == "error" and r.json["database"] == "unreachable"
        assert app.head("/api/health/", status=503)
    finally:
        probe.engine = real
    assert app.get("/api/health/").json["database"] == "ok"
