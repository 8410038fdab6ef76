"""Scan benchmark (not a test): the granted path of verify_access next to GET /api/health/.

For each database (SQLite file, PostgreSQL database ``mp_bench`` created if missing)
it migrates a fresh schema, loads a small dataset (one event, one room without
capacity, one controller, 200 participants), starts the real WSGI app under
waitress in a child process on 127.0.0.1, then drives it with N client threads
(http.client, keep-alive) for a bounded number of requests and time, and prints
requests/s, p50 and p99 latency for both endpoints.

    .venv/bin/python bench/scan_bench.py [--clients 8] [--requests 1500] [--seconds 20]
                                         [--only sqlite|postgresql]

Loopback only; ports 6604 (SQLite) and 6606 (PostgreSQL).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/mp_bench"


def settings_for(url: str) -> dict:
    return {
        "sqlalchemy.url": url,
        "makeplus.jwt_secret": "bench-secret-" + "x" * 40,
        "makeplus.plugins": "",
        "makeplus.env": "bench",
        "makeplus.ratelimit.enabled": "false",
        "makeplus.badges.accept_plain_user_id": "true",
        "makeplus.storage_root": tempfile.gettempdir() + "/mp-bench-media",
        "mail.backend": "debug",
    }


def serve(url: str, port: int) -> None:
    """Child process: the app under waitress."""
    import logging

    import waitress

    logging.getLogger("waitress").setLevel(logging.ERROR)

    from makeplus_core import main

    app = main({}, **settings_for(url))
    waitress.serve(app, host="127.0.0.1", port=port, threads=8, _quiet=True)


def prepare(url: str, n_participants: int = 200) -> tuple[dict, str, list[str]]:
    import sqlalchemy as sa

    from makeplus_core import main, migrate
    from makeplus_core.auth import tokens
    from makeplus_core.auth.services import create_user
    from makeplus_core.db import get_engine, get_session_factory, utcnow
    from makeplus_core.events.models import Event
    from makeplus_core.events.services import assign_role
    from makeplus_core.rooms.models import Room

    from makeplus_core.auth import passwords

    passwords.configure(time_cost=1, memory_cost=1024)  # fast dataset creation
    settings = settings_for(url)
    if url.startswith("postgresql"):
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = 'mp_bench'")):
                conn.execute(sa.text("CREATE DATABASE mp_bench"))
        admin.dispose()
        engine = get_engine(settings)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    else:
        engine = get_engine(settings)
    migrate.upgrade(settings, engine)
    app = main({}, **settings)
    db = get_session_factory(engine)()
    import datetime as dt

    now = utcnow()
    event = Event(name="Bench", start_date=now - dt.timedelta(days=1), end_date=now + dt.timedelta(days=2),
                  status="active")
    db.add(event)
    db.flush()
    room = Room(event_id=event.id, name="Amphi", capacity=None)
    db.add(room)
    ctrl = create_user(db, email="ctrl@bench.local", password="bench-password-1")
    assign_role(db, ctrl.id, event, "controlleur_des_badges")
    qrs = []
    for i in range(n_participants):
        u = create_user(db, email=f"p{i}@bench.local", password="bench-password-1")
        assign_role(db, u.id, event, "participant")
        qrs.append(json.dumps({"user_id": u.id, "badge_id": u.badge_id}))
    auth_session = tokens.open_session(db, app.registry, ctrl, event.id)
    db.commit()
    token = tokens.access_token(app.registry, ctrl, auth_session)
    db.close()
    engine.dispose()
    return {"room": str(room.id)}, token, qrs


def drive(port, method, path, bodies, headers, clients, total, seconds):
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = [0]
    deadline = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < deadline:
            with lock:
                if counter[0] >= total:
                    break
                i = counter[0]
                counter[0] += 1
            body = bodies[i % len(bodies)] if bodies else None
            t0 = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - t0)
            if resp.status != 200:
                errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    n = len(latencies)
    return {"requests": n, "errors": errors[0], "rps": n / elapsed if elapsed else 0.0,
            "p50_ms": statistics.median(latencies) * 1000 if n else 0.0,
            "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1000 if n else 0.0}


def wait_port(port, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/api/health/")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


def bench(label, url, port, args):
    ids, token, qrs = prepare(url)
    proc = subprocess.Popen([sys.executable, __file__, "--serve", url, str(port)], cwd=ROOT)
    try:
        wait_port(port)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        bodies = [json.dumps({"qr_data": q}).encode() for q in qrs]
        path = f"/api/rooms/{ids['room']}/verify_access/"
        drive(port, "POST", path, bodies[:20], headers, 2, 40, 10)  # warm-up
        health = drive(port, "GET", "/api/health/", None, {}, args.clients, args.requests, args.seconds)
        scan = drive(port, "POST", path, bodies, headers, args.clients, args.requests, args.seconds)
    finally:
        proc.terminate()
        proc.wait(10)
    for name, r in (("GET /api/health/", health), ("POST verify_access (granted)", scan)):
        print(f"{label:<11} {name:<30} {r['requests']:>6} req  {r['errors']:>3} non-200  "
              f"{r['rps']:>8.1f} req/s  p50 {r['p50_ms']:>7.1f} ms  p99 {r['p99_ms']:>7.1f} ms", flush=True)


def main_cli():
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]))
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=1500)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--only", choices=["sqlite", "postgresql"])
    args = p.parse_args()
    print(f"clients={args.clients} max requests={args.requests} max seconds={args.seconds} (per endpoint)")
    if args.only in (None, "sqlite"):
        path = pathlib.Path(tempfile.gettempdir()) / "mp_bench.sqlite"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{path}{suffix}"):
                os.remove(f"{path}{suffix}")
        bench("SQLite", f"sqlite:///{path}", 6604, args)
    if args.only in (None, "postgresql"):
        bench("PostgreSQL", PG_URL, 6606, args)


if __name__ == "__main__":
    main_cli()
