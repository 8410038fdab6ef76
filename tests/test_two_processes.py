"""The production layout: two web worker processes sharing PostgreSQL and Redis.

Two real server processes (``makeplus_core.wsgi:application`` under waitress, each on
its own port; the test is their trusted proxy, so each request carries its own client
address in ``X-Forwarded-For``) answer requests spread over both. They must behave as one: scans exactly
once, idempotent POSTs exactly once, rate limits, login throttling and web (cookie)
sessions shared, mails handed to the Redis job queue and sent once by a
``makeplus-worker``. Needs PostgreSQL (``MAKEPLUS_TEST_DATABASE_URL``) and Redis on
127.0.0.1:6379; skipped otherwise.
"""
from __future__ import annotations

import concurrent.futures
import http.cookies
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import sqlalchemy as sa

from makeplus_core.access.models import RoomAccess
from makeplus_core.rooms.models import Room
from makeplus_core.testing import REDIS_TEST_URL as REDIS_URL
from makeplus_core.testing import redis_cleanup, redis_or_skip

CTRL = "controlleur_des_badges"
LOGIN_LIMIT = 4
RESET_LIMIT = 3


def _free_port() -> int:
    for port in range(7700 + os.getpid() % 50, 7800):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 7700-7799")


class Client:
    """A tiny HTTP client: JSON in and out, cookies kept, a client address per request."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(self, method, path, body=None, headers=None, addr="10.0.0.1", form=None):
        headers = {"X-Forwarded-For": addr, **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            resp = opener.open(req, timeout=30)
        except urllib.error.HTTPError as err:
            resp = err
        raw = resp.read()
        for header in resp.headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode("utf-8", "replace")
        return resp.status, payload, resp.headers

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def layout(settings, engine, tmp_path_factory):
    """Two server processes and the INI they share; yields a namespace."""
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: set MAKEPLUS_TEST_DATABASE_URL=postgresql+psycopg://…")
    client = redis_or_skip()
    tmp = tmp_path_factory.mktemp("two-processes")
    tag = uuid.uuid4().hex[:10]
    ini = tmp / "two.ini"
    mail_dir = tmp / "mail"
    ini.write_text(f"""[app:main]
use = egg:makeplus-core
makeplus.plugins = {settings["makeplus.plugins"]}
makeplus.env = test
sqlalchemy.url = {settings["sqlalchemy.url"]}
sqlalchemy.pool_size = 2
sqlalchemy.max_overflow = 2
makeplus.jwt_secret = {settings["makeplus.jwt_secret"]}
makeplus.redis_url = {REDIS_URL}
makeplus.redis_prefix = test-perfprod-{tag}:
makeplus.jobs.backend = rq
makeplus.jobs.queue = test-perfprod-{tag}
makeplus.jobs.backoff = 1 1
makeplus.storage_root = {tmp / "media"}
makeplus.argon2.time_cost = 1
makeplus.argon2.memory_cost = 1024
makeplus.badges.accept_plain_user_id = true
makeplus.ratelimit.enabled = true
makeplus.ratelimit.login = {LOGIN_LIMIT}/60
makeplus.ratelimit.login_account = {LOGIN_LIMIT}/60
makeplus.ratelimit.password_reset = {RESET_LIMIT}/60
makeplus.ratelimit.scan = 1000/60
makeplus.drain_file = {tmp / "drain"}
makeplus.trusted_proxies = 127.0.0.1
mail.backend = file
mail.folder = {mail_dir}
""")
    env = {**os.environ, "MAKEPLUS_INI": str(ini)}
    for name in ("MAKEPLUS_DATABASE_URL", "MAKEPLUS_REDIS_URL", "MAKEPLUS_PLUGINS", "MAKEPLUS_JWT_SECRET"):
        env.pop(name, None)
    procs, bases = [], []
    for _ in range(2):
        port = _free_port()
        log = open(tmp / f"server-{port}.log", "wb")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=8",
             # waitress keeps X-Forwarded-For only from a trusted proxy (the test)
             "--trusted-proxy=127.0.0.1", "--trusted-proxy-headers=x-forwarded-for",
             "makeplus_core.wsgi:application"], env=env, stdout=log, stderr=subprocess.STDOUT))
        bases.append(f"http://127.0.0.1:{port}")
        # Wait for this one before picking the next port (it now holds its own).
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = Client(bases[-1]).get("/api/health/ready/")
                if status == 200:
                    break
            except OSError:
                pass
            if procs[-1].poll() is not None or time.monotonic() > deadline:
                for p in procs:
                    p.kill()
                pytest.fail("server did not start: " + (tmp / f"server-{port}.log").read_text()[-3000:])
            time.sleep(0.2)

    class Layout:
        pass

    lay = Layout()
    lay.ini, lay.env, lay.bases, lay.mail_dir, lay.tmp = ini, env, bases, mail_dir, tmp
    lay.queue = f"test-perfprod-{tag}"
    lay.prefix = f"test-perfprod-{tag}:"
    yield lay
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
    redis_cleanup(client, tag)


def both(layout, calls):
    """Run ``calls`` (method, path, body, headers, addr) at once, alternating processes."""
    barrier = threading.Barrier(len(calls))

    def one(i_call):
        i, (method, path, body, headers, addr) = i_call
        client = Client(layout.bases[i % 2])
        barrier.wait()
        return client.request(method, path, body, headers=headers, addr=addr)

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, enumerate(calls)))


def unique_user(f, **kw):
    """A user whose e-mail no other test used: login counts per account live in Redis
    for the whole module, and the factories' e-mails repeat from one test to the next."""
    return f.user(email=f"u-{uuid.uuid4().hex[:12]}@example.org", **kw)


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id})


def test_scans_exactly_once_across_processes(layout, app, f, db):
    event = f.event()
    room = f.room(event, capacity=1)
    ctrl = f.member(event, CTRL)
    holders = [f.member(event, "participant") for _ in range(8)]
    h = f.auth(ctrl, event)
    url = f"/api/rooms/{room.id}/verify_access/"
    results = both(layout, [("POST", url, {"qr_data": qr(u)}, h, "10.1.0.1") for u in holders])
    statuses = sorted(s for s, _, _ in results)
    assert statuses.count(200) == 1, results
    assert statuses.count(403) == 7
    assert all(b["error"] == "room_full" for s, b, _ in results if s == 403)

    # One scan retried with one key on both processes at once: one journal row, one answer.
    room2 = f.room(event, capacity=10)
    holder = holders[0]
    key = {**h, "Idempotency-Key": "two-procs-" + uuid.uuid4().hex}
    url2 = f"/api/rooms/{room2.id}/verify_access/"
    results = both(layout, [("POST", url2, {"qr_data": qr(holder)}, key, "10.1.0.1")] * 6)
    assert {s for s, _, _ in results} == {200}, results
    assert len({json.dumps(b, sort_keys=True) for _, b, _ in results}) == 1
    rows = db.scalar(sa.select(sa.func.count()).select_from(RoomAccess).where(RoomAccess.room_id == room2.id))
    db.commit()
    assert rows == 1


def test_idempotent_post_exactly_once_across_processes(layout, app, f, db):
    event = f.event()
    admin = f.user(is_admin=True)
    h = {**f.auth(admin, event), "Idempotency-Key": "room-" + uuid.uuid4().hex}
    body = {"event": str(event.id), "name": "Salle idempotente", "capacity": 40}
    results = both(layout, [("POST", "/api/rooms/", body, h, "10.2.0.1")] * 6)
    assert {s for s, _, _ in results} == {201}, results
    assert len({b["id"] for _, b, _ in results}) == 1
    assert sum(1 for _, _, hd in results if hd.get("Idempotent-Replayed") == "true") == 5
    count = db.scalar(sa.select(sa.func.count()).select_from(Room).where(Room.event_id == event.id))
    db.commit()
    assert count == 1
    # The same key with another body is refused by either process.
    a, b = (Client(base) for base in layout.bases)
    assert b.post("/api/rooms/", {**body, "name": "Autre"}, headers=h, addr="10.2.0.1")[0] == 422
    assert a.post("/api/rooms/", {**body, "name": "Autre"}, headers=h, addr="10.2.0.1")[0] == 422


def test_rate_limit_shared_across_processes(layout, app, f):
    a, b = (Client(base) for base in layout.bases)
    addr = "10.3.0.1"
    statuses = [(a if i % 2 else b).post("/api/auth/password-reset/", {"email": f"nobody{i}@example.org"},
                                         addr=addr)[0] for i in range(RESET_LIMIT + 1)]
    assert statuses == [200] * RESET_LIMIT + [429], statuses
    # Another client address is not affected, on either process.
    assert a.post("/api/auth/password-reset/", {"email": "x@example.org"}, addr="10.3.0.2")[0] == 200


def test_login_throttling_per_address_across_processes(layout, app, f):
    user = unique_user(f)
    a, b = (Client(base) for base in layout.bases)
    addr = "10.4.0.1"
    wrong = {"email": user.email, "password": "wrong-password"}
    statuses = [(a if i % 2 else b).post("/api/auth/login/", wrong, addr=addr)[0] for i in range(LOGIN_LIMIT)]
    assert statuses == [401] * LOGIN_LIMIT
    # Over the limit on both processes, even with the right password.
    right = {"email": user.email, "password": "makeplus2025"}
    status, body, headers = a.post("/api/auth/login/", right, addr=addr)
    assert status == 429 and int(headers["Retry-After"]) > 0
    assert b.post("/api/auth/login/", right, addr=addr)[0] == 429
    # The limit is per address: another client logs in, through either process.
    other = unique_user(f)
    assert b.post("/api/auth/login/", {"email": other.email, "password": "makeplus2025"},
                  addr="10.4.0.2")[0] == 200


def test_login_throttling_per_account_across_processes(layout, app, f):
    """Attempts on one account from many addresses, spread over both processes, are
    throttled together (the per-address limit never triggers: one attempt per address)."""
    user = unique_user(f)
    a, b = (Client(base) for base in layout.bases)
    wrong = {"email": user.email, "password": "wrong-password"}
    statuses = [(a if i % 2 else b).post("/api/auth/login/", wrong, addr=f"10.5.{i}.1")[0]
                for i in range(LOGIN_LIMIT * 3)]
    assert statuses == [401] * LOGIN_LIMIT + [429] * (LOGIN_LIMIT * 2), statuses


def test_web_session_answered_by_either_process(layout, app, f):
    pytest.importorskip("makeplus_dashboard")
    if "dashboard" not in layout.ini.read_text().split("makeplus.plugins =")[1].splitlines()[0]:
        pytest.skip("dashboard plugin not enabled")
    admin = unique_user(f, is_admin=True)
    a = Client(layout.bases[0])
    status, page, _ = a.get("/dashboard/login/", addr="10.6.0.1")
    assert status == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    status, _, headers = a.post("/dashboard/login/", addr="10.6.0.1",
                                form={"email": admin.email, "password": "makeplus2025", "csrf_token": csrf})
    assert status == 302, headers
    # The cookie from process A opens the dashboard on process B.
    b = Client(layout.bases[1])
    b.cookies = dict(a.cookies)
    status, page, _ = b.get("/dashboard/", addr="10.6.0.1")
    assert status == 200 and admin.full_name in page and "Se déconnecter" in page  # French by default
    # Without it, B sends the browser to the login page.
    assert Client(layout.bases[1]).get("/dashboard/", addr="10.6.0.1")[0] in (302, 303)


def test_mail_job_queued_then_sent_once_by_the_worker(layout, app, f):
    user = f.user()
    a = Client(layout.bases[0])
    assert a.post("/api/auth/password-reset/", {"email": user.email}, addr="10.7.0.1")[0] == 200
    folder = pathlib.Path(layout.mail_dir)
    # Nothing sent by the web process: the mail waits in the queue.
    assert not folder.exists() or not list(folder.glob("*.eml"))
    script = pathlib.Path(sys.executable).parent / "makeplus-worker"  # the console script
    assert script.exists()
    worker = [str(script), str(layout.ini), "--burst"]
    done = subprocess.run(worker, env=layout.env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    mails = list(folder.glob("*.eml"))
    assert len(mails) == 1, done.stderr.decode()[-3000:]
    assert user.email in mails[0].read_text()
    # A second worker run finds nothing left to send.
    subprocess.run(worker, env=layout.env, capture_output=True, timeout=120, check=True)
    assert len(list(folder.glob("*.eml"))) == 1


def test_readiness_drain_file_seen_by_every_process(layout):
    drain = pathlib.Path(layout.tmp) / "drain"
    drain.touch()
    try:
        for base in layout.bases:
            status, body, _ = Client(base).get("/api/health/ready/")
            assert status == 503 and body["status"] == "draining"
            assert Client(base).get("/api/health/")[0] == 200  # still serving
    finally:
        drain.unlink()
    for base in layout.bases:
        status, body, _ = Client(base).get("/api/health/ready/")
        assert status == 200 and body == {"status": "ready", "database": "ok", "redis": "ok"}


def _server_command(name):
    if name == "gunicorn":
        conf = pathlib.Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"
        return [sys.executable, "-m", "gunicorn", "-c", str(conf)], b"Handling signal: term"
    pytest.importorskip("granian")
    serve = pytest.importorskip("makeplus_core.serve", reason="makeplus-serve comes with the perf-scan work")
    return [sys.executable, serve.__file__], b"Shutting down granian"


@pytest.mark.parametrize("server", ["gunicorn", "makeplus-serve"])
def test_sigterm_drains_in_flight_requests(layout, app, f, engine, server):
    """The production servers (gunicorn with deploy/gunicorn.conf.py, granian through
    makeplus-serve): on SIGTERM a request already being handled (held here on a table
    lock) still gets its answer, then the server exits cleanly (status 0)."""
    command, stopping = _server_command(server)
    user = f.user()
    headers = f.auth(user)
    port = _free_port()
    log_path = pathlib.Path(layout.tmp) / f"{server}-{port}.log"
    env = {**layout.env, "MAKEPLUS_HOST": "127.0.0.1", "MAKEPLUS_PORT": str(port), "MAKEPLUS_WORKERS": "1",
           "MAKEPLUS_GRACEFUL_TIMEOUT": "30"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Client(base).get("/api/health/ready/")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)
        with engine.connect() as conn:
            conn.execute(sa.text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
            answer = {}
            thread = threading.Thread(target=lambda: answer.update(r=Client(base).get("/api/auth/me/",
                                                                                      headers=headers)))
            thread.start()
            # Wait until the request is inside the app, blocked on the lock.
            deadline = time.monotonic() + 30
            while not conn.execute(sa.text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE NOT l.granted AND c.relname = 'users'")).scalar():
                assert time.monotonic() < deadline, "the request never reached the database"
                time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            while stopping not in log_path.read_bytes():  # the master got it
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.05)
            time.sleep(0.5)  # let the worker receive it too (not an assertion on time)
            assert proc.poll() is None  # still finishing the request in flight
            conn.rollback()  # release the lock
        thread.join(30)
        status, body, _ = answer["r"]
        assert status == 200 and body["email"] == user.email
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
