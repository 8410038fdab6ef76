"""Door benchmark (issue 17 part B): the offline scanner's manifest and sync.

    .venv/bin/python bench/door_bench.py                       # SQLite (a temporary file)
    .venv/bin/python bench/door_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mp_door_bench

(the PostgreSQL database is created if missing and its ``public`` schema recreated). It loads an
event with ``--participants`` people (10,000) holding badges, a room that tracks exits with three
paid ateliers in the next hours, 30 % of the people paid for one of them and 100 re-issued
badges, then drives the real WSGI app in process (WebTest, no HTTP server: the figures are the
app's and the database's work) and prints:

* manifest: size of the full JSON (raw and gzip -6, what a reverse proxy sends), build time
  (median of ``--repeat`` calls), SQL statements, a 304 with ``If-None-Match``, a ``?since=`` delta
  after 20 changes;
* sync: ``--batches`` batches of 1,000 offline scans (entries of distinct people, then exits),
  time per batch and scans/s; the same batches retried (every scan a duplicate).
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
PASSWORD = "bench-door-2026"


def load(url: str, n: int) -> dict:
    import sqlalchemy as sa

    from makeplus_core import migrate
    from makeplus_core.access.models import RevokedBadge, SessionAccess
    from makeplus_core.auth import passwords
    from makeplus_core.auth.models import User
    from makeplus_core.db import get_engine, get_session_factory, utcnow
    from makeplus_core.events.models import Event, UserEventAssignment
    from makeplus_core.participants.models import Participant
    from makeplus_core.rooms.models import Room
    from makeplus_core.sessions.models import Session

    settings = {"sqlalchemy.url": url, "makeplus.plugins": ""}
    engine = get_engine(settings)
    migrate.upgrade(settings, engine)
    db = get_session_factory(engine)()
    now = utcnow()
    ev = Event(name="Door bench", start_date=now - dt.timedelta(days=1), end_date=now + dt.timedelta(days=2),
               status="active", timezone="Africa/Algiers")
    db.add(ev)
    db.flush()
    room = Room(event_id=ev.id, name="Hall", capacity=None, tracks_exits=True)
    db.add(room)
    db.flush()
    sessions = []
    for i in range(3):
        start = now - dt.timedelta(minutes=30) + dt.timedelta(hours=2 * i)
        s = Session(event_id=ev.id, room_id=room.id, title=f"Atelier {i}", start_time=start,
                    end_time=start + dt.timedelta(hours=2) if i else start + dt.timedelta(hours=24),
                    is_paid=bool(i), price=5000 if i else 0)
        db.add(s)
        sessions.append(s)
    db.flush()
    pw = passwords.hash_password(PASSWORD)
    users = [{"id": i + 1, "email": f"p{i}@door.bench", "username": f"p{i}", "first_name": "P", "last_name": str(i),
              "password_hash": pw, "badge_id": f"USER-{i + 1}-{uuid.uuid4().hex[:8].upper()}"} for i in range(n + 1)]
    users[0].update(email="ctrl@door.bench", username="ctrl")
    for chunk in range(0, len(users), 2000):
        part = users[chunk:chunk + 2000]
        db.execute(sa.insert(User), part)
        db.execute(sa.insert(UserEventAssignment), [
            {"id": uuid.uuid4(), "user_id": u["id"], "event_id": ev.id,
             "role": "controlleur_des_badges" if u["id"] == 1 else "participant"} for u in part])
        db.execute(sa.insert(Participant), [
            {"id": uuid.uuid4(), "user_id": u["id"], "event_id": ev.id, "badge_number": f"B{u['id']}"}
            for u in part if u["id"] != 1])
    if url.startswith("postgresql"):
        db.execute(sa.text("SELECT setval(pg_get_serial_sequence('users', 'id'), :n)"), {"n": n + 2})
    pids = dict(db.execute(sa.select(Participant.user_id, Participant.id).where(Participant.event_id == ev.id)).all())
    rows = [{"id": uuid.uuid4(), "participant_id": pids[u], "session_id": sessions[1 + u % 2].id,
             "payment_status": "paid", "has_access": True, "amount_paid": 5000}
            for u in range(2, n + 2) if u % 10 < 3]
    for chunk in range(0, len(rows), 2000):
        db.execute(sa.insert(SessionAccess), rows[chunk:chunk + 2000])
    db.execute(sa.insert(RevokedBadge), [{"badge_id": f"USER-{u}-OLD{u:05d}", "user_id": u, "revoked_at": now}
                                         for u in range(2, 102)])
    db.commit()
    db.close()
    engine.dispose()
    return {"event": str(ev.id), "room": str(room.id), "users": users}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--participants", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--batches", type=int, default=5)
    args = ap.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="door-bench-")
    url = args.database_url or f"sqlite:///{tmp}/door.sqlite"
    if url.startswith("postgresql"):
        sys.path.insert(0, str(ROOT / "bench"))
        from run import reset_database  # bench/run.py: create the database, recreate its schema

        reset_database(url)
    t0 = time.perf_counter()
    data = load(url, args.participants)
    print(f"dataset: {args.participants} participants loaded in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})")

    import secrets

    import sqlalchemy as sa
    import webtest

    from makeplus_core import main as make_app

    app = webtest.TestApp(make_app({}, **{
        "sqlalchemy.url": url, "makeplus.jwt_secret": secrets.token_urlsafe(48), "makeplus.plugins": "",
        "makeplus.ratelimit.enabled": "false", "makeplus.max_body_bytes": str(4 * 1024 * 1024),
        "makeplus.storage_root": f"{tmp}/media"}))
    engine = app.app.registry.makeplus.db_engine
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a, **k: statements.append(a[2]))
    token = app.post_json("/api/auth/token/", {"email": "ctrl@door.bench", "password": PASSWORD}).json["access"]
    h = {"Authorization": f"Bearer {token}"}
    url_m = f"/api/scanner/manifest/?room={data['room']}"

    def timed(call):
        t = time.perf_counter()
        r = call()
        return r, (time.perf_counter() - t) * 1000

    times = []
    for _ in range(args.repeat):
        statements.clear()
        r, ms = timed(lambda: app.get(url_m, headers=h))
        times.append(ms)
    n_sql = len(statements)
    body = r.body
    version = r.json["version"]
    print(f"manifest full: {len(r.json['participants'])} participants, {len(body):,} bytes JSON, "
          f"{len(gzip.compress(body, 6)):,} bytes gzip -6; build {statistics.median(times):.0f} ms median "
          f"(min {min(times):.0f}, max {max(times):.0f}, {args.repeat} calls), {n_sql} SQL statements")
    _, ms304 = timed(lambda: app.get(url_m, headers={**h, "If-None-Match": r.headers["ETag"]}, status=304))
    print(f"manifest 304 (If-None-Match): {ms304:.0f} ms, 0 bytes")
    # 20 changes: 10 payments, 10 badge re-issues
    from makeplus_core.access.models import SessionAccess
    from makeplus_core.auth.models import User
    from makeplus_core.db import get_session_factory
    from makeplus_core.participants.models import Participant
    from makeplus_core.sessions.models import Session

    db = get_session_factory(engine)()
    paid_session = db.scalar(sa.select(Session.id).where(Session.is_paid.is_(True)).limit(1))
    for uid in [u for u in range(13, 40) if u % 10 >= 3][:10]:  # unpaid so far
        pid = db.scalar(sa.select(Participant.id).where(Participant.user_id == uid))
        db.add(SessionAccess(participant_id=pid, session_id=paid_session, payment_status="paid", has_access=True))
    for uid in range(200, 210):
        db.execute(sa.update(User).where(User.id == uid).values(badge_id=f"USER-{uid}-NEW{uid:05d}"))
    db.commit()
    db.close()
    r2, msd = timed(lambda: app.get(f"{url_m}&since={version}", headers=h))
    print(f"manifest delta after 20 changes: {len(r2.json['participants'])} rows, {len(r2.body):,} bytes, {msd:.0f} ms")

    users = data["users"][1:]
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=args.batches * 1000 + 600)
    batch_times, retry_times = [], []
    batches = []
    for b in range(args.batches):
        direction = "entry" if b % 2 == 0 else "exit"
        people = users[(b // 2) * 1000:(b // 2) * 1000 + 1000]
        batches.append({"room": data["room"], "scans": [
            {"scan_id": f"bench-{b}-{i}", "qr_data": json.dumps({"user_id": u["id"], "badge_id": u["badge_id"]}),
             "scanned_at": (start + dt.timedelta(seconds=b * 1000 + i)).strftime("%Y-%m-%dT%H:%M:%S.000"),
             "direction": direction, "decision": "granted"} for i, u in enumerate(people)]})
    for body in batches:
        statements.clear()
        r, ms = timed(lambda body=body: app.post_json("/api/scanner/sync/", body, headers=h))
        assert r.json["recorded"] == len(body["scans"]), r.json["recorded"]
        batch_times.append(ms)
        per_scan_sql = len(statements) / len(body["scans"])
    for body in batches:
        r, ms = timed(lambda body=body: app.post_json("/api/scanner/sync/", body, headers=h))
        assert r.json["duplicate"] == len(body["scans"])
        retry_times.append(ms)
    med = statistics.median(batch_times)
    print(f"sync: {args.batches} batches of 1,000 scans: {med:.0f} ms median per batch "
          f"({1000 / med * 1000:.0f} scans/s; min {min(batch_times):.0f}, max {max(batch_times):.0f} ms), "
          f"{per_scan_sql:.1f} SQL statements per scan")
    med_r = statistics.median(retry_times)
    print(f"sync retried (all duplicates): {med_r:.0f} ms median per batch ({1000 / med_r * 1000:.0f} scans/s)")
    engine.dispose()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.pop("MAKEPLUS_PLUGINS", None)
    main()
