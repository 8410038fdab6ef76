"""MakePlus benchmark (issue 20): every figure beside a bare Pyramid hello-world, one command.

    make bench                                   # = .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py [--server granian|gunicorn|waitress] [--workers N] [--threads T]
                                  [--connections 16] [--duration 5] [--repeat 1]
                                  [--code DIR]   # "before": makeplus_core from an exported commit
                                  [--reuse-data] # keep the previous run's database
                                  [--database-url URL] [--redis-url URL] [--port P]  # a shared machine:
                                                 # your own database, Redis db and ports (hello on P+1)
                                  [--only REGEX] [--no-figures] [--profile FILE]     # a subset; py-spy

What it does (PostgreSQL at 127.0.0.1:5432, Redis at 127.0.0.1:6379 db 15, loopback only,
ports 7611/7612; about 3 minutes with the defaults):

1. recreates the database ``mp_bench`` (``--database-url``), migrates it with every plugin
   production enables (``makeplus.plugins`` of production.ini: their gates run at the door),
   and loads: an event running now with 200 participants, a room without capacity and a
   room with one (each already holding 100,000 journal rows), 20 sessions, a statistics
   room with 1,000,000 journal rows, and a second event with 50,000 participants;
2. starts the production layout: ``makeplus-serve`` (``makeplus_core.serve``: granian,
   WSGI, ``--workers`` processes, each building the app from the production INI after
   the fork) on 7611 and the hello-world app (``bench/hello.py``) with the same server,
   workers and threads on 7612; rate limits off, the access log on (to /dev/null);
3. sends each endpoint one request exactly as wrk will and stops at once, with the answer
   and the server's log, unless it is a 2xx (for a scan: ``"status": "granted"``, for the
   check-in ``"success"``);
4. drives each endpoint with ``wrk`` (``--connections``, ``--duration`` seconds, after a
   warm-up) and prints req/s, p50, p99, the share of the hello-world figure, the answers,
   the non-2xx, the ``granted`` journal rows the scans wrote meanwhile, and the server
   processes' CPU time per request (user + system, from /proc: the figure that depends
   least on the other jobs of a shared machine);
5. times login (the Argon2 verification with the production parameters), the statistics
   of the 1,000,000-row room and the 50,000-row participants export (with the peak RSS
   of the worker that served it);
6. **fails** (``FAILED: …`` lines, exit status 1) when more than 1 % of a measured
   endpoint's answers were non-2xx, or a scan endpoint wrote granted journal rows for
   fewer than 99 % of its answers: figures of denials or errors must never pass for
   granted scans.

Figures are noisy on a shared machine: read the ratios to the hello-world of the same
run and the CPU per request, and repeat (``--repeat``). The Argon2 line doubles as a
yardstick of how much CPU the machine gave the run (about 50–80 ms on an idle core).
"""
from __future__ import annotations

import argparse
import base64
import configparser
import datetime as dt
import http.client
import json
import os
import pathlib
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/mp_bench"
APP_PORT, HELLO_PORT = 7611, 7612
SECRET = secrets.token_urlsafe(48)  # production refuses low-entropy secrets (docs/security.md)
PASSWORD = "bench-password-1"


def production_settings() -> dict:
    """``[app:main]`` of production.ini as written (``env:`` values unresolved)."""
    cp = configparser.RawConfigParser(strict=False)
    cp.optionxform = str
    cp.read(ROOT / "production.ini")
    return dict(cp["app:main"])


# the plugins production enables: the dataset's schema must have their tables (their access gates run at the door)
PLUGINS = production_settings()["makeplus.plugins"]


# --------------------------------------------------------------------------- data


def reset_database(url: str) -> None:
    """Create the PostgreSQL database ``url`` names if missing, and recreate its ``public`` schema
    (also used by door_bench.py and import_bench.py)."""
    import sqlalchemy as sa

    base, name = url.rsplit("/", 1)
    admin = sa.create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def migrate_schema(url: str):
    """Bring the schema to the head of the core and of every plugin production enables (a reused
    dataset too: a plugin's gate at the door reads its own tables); the engine."""
    from makeplus_core import migrate
    from makeplus_core.db import get_engine

    settings = {"sqlalchemy.url": url, "makeplus.plugins": PLUGINS}
    engine = get_engine(settings)
    migrate.upgrade(settings, engine)
    return engine


def load_data(url: str, holders: int = 200, journal: int = 100_000, stats_rows: int = 1_000_000,
              export_rows: int = 50_000) -> dict:
    """The dataset, written with bulk statements (not through the API: seconds, not hours)."""
    import sqlalchemy as sa

    from makeplus_core.access.models import RoomAccess
    from makeplus_core.auth import passwords
    from makeplus_core.auth.models import User
    from makeplus_core.db import get_session_factory, utcnow
    from makeplus_core.events.models import Event, UserEventAssignment
    from makeplus_core.participants.models import Participant
    from makeplus_core.rooms.models import Room
    from makeplus_core.sessions.models import Session

    engine = migrate_schema(url)
    db = get_session_factory(engine)()
    now = utcnow()
    fast_hash = passwords.hash_password(PASSWORD)  # production parameters (the login figure)

    def event(name):
        ev = Event(name=name, start_date=now - dt.timedelta(days=1), end_date=now + dt.timedelta(days=2),
                   status="active")
        db.add(ev)
        db.flush()
        return ev

    main_ev, big_ev = event("Bench"), event("Bench export")
    rooms = {name: Room(event_id=main_ev.id, name=name, capacity=cap)
             for name, cap in (("open", None), ("capped", 1_000_000), ("stats", None))}
    db.add_all(rooms.values())
    db.flush()
    for i in range(20):
        start = now + dt.timedelta(days=1, hours=i)
        db.add(Session(event_id=main_ev.id, room_id=rooms["stats"].id, title=f"Talk {i}", start_time=start,
                       end_time=start + dt.timedelta(hours=1)))
    next_id = [1]

    def users(ev, role, n, prefix):
        first = next_id[0]
        next_id[0] += n
        rows = [{"id": first + i, "email": f"{prefix}{i}@bench.local", "username": f"{prefix}{i}",
                 "first_name": "Bench", "last_name": f"{prefix.title()} {i}", "password_hash": fast_hash,
                 "badge_id": f"USER-{first + i}-{uuid.uuid4().hex[:8].upper()}"} for i in range(n)]
        for chunk in range(0, n, 5000):
            part = rows[chunk:chunk + 5000]
            db.execute(sa.insert(User), part)
            db.execute(sa.insert(UserEventAssignment),
                       [{"user_id": r["id"], "event_id": ev.id, "role": role} for r in part])
            if role == "participant":
                db.execute(sa.insert(Participant),
                           [{"user_id": r["id"], "event_id": ev.id, "badge_number": f"B{r['id']}"} for r in part])
        return rows

    ctrl = users(main_ev, "controlleur_des_badges", 1, "ctrl")[0]
    gest = users(main_ev, "gestionnaire_des_salles", 1, "gest")[0]
    big_gest = users(big_ev, "gestionnaire_des_salles", 1, "biggest")[0]
    people = users(main_ev, "participant", holders, "p")
    users(big_ev, "participant", export_rows, "x")
    db.execute(sa.text("SELECT setval(pg_get_serial_sequence('users', 'id'), :n)"), {"n": next_id[0]})
    db.commit()
    ids = [p["id"] for p in people]

    def journal_rows(room, n, spread_days):
        db.execute(sa.text(
            "INSERT INTO room_access (id, event_id, room_id, user_id, verified_by_id, access_time, status, layer, "
            "reason, http_status) SELECT gen_random_uuid(), :e, :r, (:ids)[1 + g % :k], :c, "
            "now() - make_interval(secs => (g % (86400 * :d)) + 3600), "
            "CASE WHEN g % 5 = 0 THEN 'denied' ELSE 'granted' END, 'core', 'bulk', 200 "
            "FROM generate_series(1, :n) AS g"),
            {"e": main_ev.id, "r": room.id, "c": ctrl["id"], "ids": ids, "k": len(ids), "n": n, "d": spread_days})
        db.commit()

    journal_rows(rooms["open"], journal, 1)
    journal_rows(rooms["capped"], journal, 1)
    journal_rows(rooms["stats"], stats_rows, 7)
    db.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    assert RoomAccess  # the table written above
    return {"event": str(main_ev.id), "big_event": str(big_ev.id),
            "rooms": {k: str(r.id) for k, r in rooms.items()},
            "ctrl": ctrl["email"], "gest": gest["email"], "big_gest": big_gest["email"],
            "qrs": [json.dumps({"user_id": p["id"], "badge_id": p["badge_id"]}) for p in people]}


# --------------------------------------------------------------------------- servers


def write_ini(tmp: pathlib.Path) -> pathlib.Path:
    """production.ini with rate limits off, a Redis prefix of its own, the access log to stdout."""
    cp = configparser.RawConfigParser(strict=False)
    cp.optionxform = str
    cp.read(ROOT / "production.ini")
    cp["app:main"]["makeplus.ratelimit.enabled"] = "false"
    cp["app:main"]["makeplus.redis_prefix"] = f"mp-bench-{os.getpid()}:"
    cp["app:main"]["makeplus.storage_root"] = str(tmp / "media")
    path = tmp / "bench.ini"
    with open(path, "w") as fh:
        cp.write(fh)
    return path


def start(kind: str, app: str, port: int, args, env: dict, log, out=None) -> subprocess.Popen:
    """The server on ``port``: its errors to ``log``, its standard output (the access log) to ``out``."""
    if kind == "granian":
        cmd = [sys.executable, "-m", "makeplus_core.serve", "--app", app, "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(args.workers), "--threads", str(args.threads)]
    elif kind == "gunicorn":  # deploy/gunicorn.conf.py (gthread workers), same workers and threads
        cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--threads", str(args.threads),
               "--backlog", "1024", app]
    else:  # waitress: one process, ``threads`` threads (the old production layout)
        cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--waitress", app, str(port),
               str(max(args.threads, 8)), args.code or ""]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out or log, stderr=log, start_new_session=True)


def wait_ready(port: int, path: str, server_log: pathlib.Path, log, timeout: float = 180) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    fail_with_log(f"nothing answers on port {port} after {timeout:.0f} s", server_log, log)


def fail_with_log(message: str, server_log: pathlib.Path, log) -> None:
    log.flush()
    sys.exit(f"FAILED: {message}\nthe server's log (end):\n{server_log.read_text()[-6000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)


def tree_pids(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            children = pathlib.Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            children = []
        todo.extend(int(c) for c in children)
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by the server's processes (the figure that does
    not depend on how busy the rest of the machine is)."""
    ticks = 0
    for p in tree_pids(pid):
        try:
            fields = pathlib.Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> float:
    """User + system CPU time used so far by PostgreSQL's processes on this machine (every
    backend: on a shared machine other clients' queries count too; quiet machine only)."""
    ticks = 0
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, _, rest = (entry / "stat").read_text().rpartition(")")
            if not head.endswith("(postgres"):
                continue
            fields = rest.split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def status_mb(pid: int, field: str) -> float:
    """The largest value of a /proc/<pid>/status memory ``field`` (``VmRSS``, ``VmHWM``: the peak)
    among the server's processes, in MB."""
    best = 0
    for p in tree_pids(pid):
        try:
            for line in pathlib.Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    best = max(best, int(line.split()[1]))
        except OSError:
            pass
    return best / 1024


def reset_peak_rss(pid: int) -> bool:
    """Reset the peak RSS (VmHWM) of the server's processes (Linux: ``5`` into clear_refs), so
    that the next peak is the export's own, not a login's (Argon2 allocates 64 MiB per
    verification) nor the start-up's. False when the kernel refuses."""
    done = True
    for p in tree_pids(pid):
        try:
            pathlib.Path(f"/proc/{p}/clear_refs").write_text("5")
        except OSError:
            done = False
    return done


# --------------------------------------------------------------------------- HTTP


def call(port, method, path, body=None, headers=None, raw=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request(method, path, body=raw if raw is not None else json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json", **(headers or {})})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def login(port, email) -> str:
    status, data = call(port, "POST", "/api/auth/token/", {"email": email, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"login {email}: {status} {data[:200]!r}")
    return json.loads(data)["access"]


LUA = """
local bodies = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format(%s, nil, nil, bodies[(i %% #bodies) + 1])
end
"""


def wrk(port, path, args, tmp, method="GET", token=None, bodies=None, duration=None, server=None) -> dict:
    cmd = ["wrk", "-t2", f"-c{args.connections}", f"-d{duration or args.duration}s", "--latency", "--timeout", "10s"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if bodies:
        script = tmp / "bodies.lua"
        script.write_text(LUA % (", ".join(json.dumps(b) for b in bodies), json.dumps(method)))
        cmd += ["-H", "Content-Type: application/json", "-s", str(script)]
    cpu0 = cpu_seconds(server.pid) if server else 0.0
    db0 = database_cpu_seconds()
    out = subprocess.run(cmd + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True).stdout
    cpu = cpu_seconds(server.pid) - cpu0 if server else 0.0
    db_cpu = database_cpu_seconds() - db0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors:.*", out)
    return {"rps": rps, "total": total, "p50": pct(50), "p99": pct(99), "non2xx": int(bad.group(1)) if bad else 0,
            "cpu_ms": cpu * 1000 / total if total else 0.0, "db_cpu_ms": db_cpu * 1000 / total if total else 0.0,
            "socket_errors": errs.group(0) if errs else ""}


def timed(port, method, path, token, n) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        status, data = call(port, method, path, headers={"Authorization": f"Bearer {token}"})
        times.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"{path}: {status} {data[:200]!r}")
    return times


# --------------------------------------------------------------------------- what was measured

MAX_BAD_SHARE = 0.01  # more than 1 % of an endpoint's answers not what its name says: the run fails


def preflight(name, port, path, kw, expect, server_log: pathlib.Path, log) -> None:
    """Send one request exactly as wrk will (same body, same token); stop the run with the
    answer and the server's log when it is not a 2xx (or, for a scan, not the expected
    ``status``): a benchmark of denials or errors is worth nothing."""
    raw = kw["bodies"][0] if kw.get("bodies") else None
    headers = {"Authorization": f"Bearer {kw['token']}"} if kw.get("token") else {}
    status, answer = call(port, kw.get("method", "GET"), path, headers=headers, raw=raw)
    try:
        doc = json.loads(answer) if expect else None
    except ValueError:
        doc = None
    wanted = expect is None or (isinstance(doc, dict) and doc.get("status") == expect["status"])
    if not (200 <= status < 300 and wanted):
        fail_with_log(f"{name}: {kw.get('method', 'GET')} {path} {raw or ''} answered {status} {answer[:300]!r}"
                      + (f", not status {expect['status']!r}" if expect else ""), server_log, log)


class Journal:
    """The door's journal (``room_access``) of the benchmark's event, read after each measured
    scan endpoint: every granted scan or check-in writes one ``granted`` row, so the count says
    whether the figures are granted scans (a 2xx alone could be a 200 denial)."""

    def __init__(self, url: str, event_id: str):
        import sqlalchemy as sa

        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.event_id = event_id
        self.query = sa.text("SELECT count(*) FROM room_access WHERE event_id = CAST(:e AS uuid) "
                             "AND room_id IS NOT DISTINCT FROM CAST(:r AS uuid) AND access_time >= :since "
                             "AND status = 'granted'")

    def now(self):
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT clock_timestamp()").scalar()

    def granted(self, room_id: str | None, since) -> int:
        with self.engine.connect() as conn:
            return conn.execute(self.query, {"e": self.event_id, "r": room_id, "since": since}).scalar()

    def close(self) -> None:
        self.engine.dispose()


def answer_failures(name: str, r: dict) -> list[str]:
    """Why a measured endpoint's figures are not what its name says (empty when they are)."""
    total, out = r["total"], []
    if total == 0:
        return [f"{name}: no answer at all"]
    if r["non2xx"] > MAX_BAD_SHARE * total:
        out.append(f"{name}: {r['non2xx']} of {total} answers were non-2xx (more than {MAX_BAD_SHARE:.0%})")
    if r["granted"] is not None and r["granted"] < (1 - MAX_BAD_SHARE) * total:
        out.append(f"{name}: {r['granted']} granted journal rows for {total} answers "
                   f"(fewer than {1 - MAX_BAD_SHARE:.0%}): not granted scans")
    return out


# --------------------------------------------------------------------------- the run


def figures(port: int, app: subprocess.Popen, data: dict, gest: str, big: str) -> None:
    """Login (the Argon2 verification with the production parameters, by design), the statistics of
    the 1,000,000-row room and the 50,000-row participants export with its worker's peak RSS."""
    from argon2 import PasswordHasher

    ph = PasswordHasher()
    h = ph.hash(PASSWORD)
    t = time.perf_counter()
    for _ in range(5):
        ph.verify(h, PASSWORD)
    argon = (time.perf_counter() - t) / 5 * 1000
    logins = []
    for _ in range(10):
        t = time.perf_counter()
        login(port, data["ctrl"])
        logins.append((time.perf_counter() - t) * 1000)
    stats = timed(port, "GET", f"/api/rooms/{data['rooms']['stats']}/statistics/", gest, 5)
    rss_before = status_mb(app.pid, "VmRSS")
    reset = reset_peak_rss(app.pid)
    export = timed(port, "GET", f"/api/participants/export/?event={data['big_event']}", big, 1)
    rss_after = status_mb(app.pid, "VmHWM")
    print(f"\nlogin (POST /api/auth/token/, sequential): median {statistics.median(logins):.1f} ms; "
          f"argon2 verify alone {argon:.1f} ms (time_cost={ph.time_cost}, memory_cost={ph.memory_cost} KiB)")
    print(f"room statistics over 1,000,000 journal rows: median {statistics.median(stats):.1f} ms, "
          f"max {max(stats):.1f} ms (5 requests)")
    print(f"participants export of 50,000 rows: {export[0]:.0f} ms; RSS of the largest worker before it "
          f"{rss_before:.0f} MB, peak RSS during it {rss_after:.0f} MB"
          f"{'' if reset else ' (peak not reset: since start-up, logins included)'}")


def run(args) -> None:
    APP_PORT, HELLO_PORT = args.port, args.port + 1  # noqa: N806 - the module's defaults, overridden
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (apt-get install -y wrk)")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="mp-bench-"))
    t0 = time.monotonic()
    saved = pathlib.Path(tempfile.gettempdir()) / f"mp-bench-dataset-{args.database_url.rsplit('/', 1)[1]}.json"
    if args.reuse_data and saved.exists():
        data = json.loads(saved.read_text())
        migrate_schema(args.database_url).dispose()
        print(f"dataset of the previous run reused ({saved}), schema migrated", flush=True)
    else:
        reset_database(args.database_url)
        data = load_data(args.database_url)
        saved.write_text(json.dumps(data))
        print(f"dataset loaded in {time.monotonic() - t0:.0f} s", flush=True)
    ini = write_ini(tmp)
    env = {**os.environ, "MAKEPLUS_INI": str(ini), "MAKEPLUS_DATABASE_URL": args.database_url,
           "MAKEPLUS_JWT_SECRET": SECRET, "MAKEPLUS_REDIS_URL": args.redis_url,
           "MAKEPLUS_BADGE_ED25519_KEYS": "e1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode(),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "bench"), os.environ.get("PYTHONPATH")]))}
    log = open(tmp / "server.log", "w")
    access_log = open(os.devnull, "w")
    app = start(args.server, "makeplus_core.wsgi:application", APP_PORT, args, env, log, access_log)
    hello = start(args.server, "hello:application", HELLO_PORT, args, env, log)
    failures = []
    try:
        wait_ready(APP_PORT, "/api/health/", tmp / "server.log", log)
        wait_ready(HELLO_PORT, "/", tmp / "server.log", log)
        ctrl, gest, big = login(APP_PORT, data["ctrl"]), login(APP_PORT, data["gest"]), login(APP_PORT, data["big_gest"])
        scan_bodies = [json.dumps({"qr_data": q}) for q in data["qrs"]]
        rooms = data["rooms"]
        scan = {"method": "POST", "token": ctrl, "bodies": scan_bodies}
        # (name, port, path, wrk options, the answer a scan must give: its "status" and its journal room)
        cases = [
            ("hello-world (bare Pyramid)", HELLO_PORT, "/", {}, None),
            ("GET /api/", APP_PORT, "/api/", {}, None),
            ("GET /api/health/", APP_PORT, "/api/health/", {}, None),
            ("scan granted, room without capacity", APP_PORT, f"/api/rooms/{rooms['open']}/verify_access/", scan,
             {"status": "granted", "room": rooms["open"]}),
            ("scan granted, room with capacity", APP_PORT, f"/api/rooms/{rooms['capped']}/verify_access/", scan,
             {"status": "granted", "room": rooms["capped"]}),
            ("event check-in (participants/scan)", APP_PORT, "/api/participants/scan/", scan,
             {"status": "success", "room": None}),
            ("GET /api/sessions/", APP_PORT, "/api/sessions/", {"token": gest}, None),
            ("GET /api/auth/me/", APP_PORT, "/api/auth/me/", {"token": ctrl}, None),
        ]
        if args.only:
            cases = [c for i, c in enumerate(cases) if i == 0 or re.search(args.only, c[0])]
        servers = {APP_PORT: app, HELLO_PORT: hello}
        for name, port, path, kw, expect in cases:  # one request each, as wrk sends it: a denial stops here
            preflight(name, port, path, kw, expect, tmp / "server.log", log)
        for _, port, path, kw, _ in cases:  # warm-up: every worker, every statement cache
            wrk(port, path, args, tmp, duration=2, **kw)
        spy = None
        if args.profile:  # sampled while the endpoints are measured (its own cost is in the figures)
            spy = subprocess.Popen([str(pathlib.Path(sys.executable).parent / "py-spy"), "record", "--pid",
                                    str(app.pid), "--subprocesses", "--nonblocking",
                                    "--rate", "250", "--format", "raw", "--output", args.profile],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(2)
        journal = Journal(args.database_url, data["event"])
        for rep in range(args.repeat):
            results = {}
            for name, port, path, kw, expect in cases:
                since = journal.now()
                results[name] = r = wrk(port, path, args, tmp, server=servers[port], **kw)
                r["granted"] = journal.granted(expect["room"], since) if expect else None
                failures += answer_failures(name, r)
            ceiling = results[cases[0][0]]["rps"]
            print(f"\nrun {rep + 1}: {args.server}, {args.workers} worker(s) x {args.threads} thread(s), "
                  f"wrk {args.connections} connections, {args.duration} s per endpoint; load average "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            print(f"{'endpoint':<40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x hello':>8} {'answers':>8} "
                  f"{'non-2xx':>8} {'granted':>8} {'CPU ms/req':>10} {'DB CPU':>7}")
            for name, r in results.items():
                granted = "" if r["granted"] is None else r["granted"]
                print(f"{name:<40} {r['rps']:>9.1f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
                      f"{r['rps'] / ceiling:>8.2f} {r['total']:>8} {r['non2xx']:>8} {granted:>8} "
                      f"{r['cpu_ms']:>10.2f} {r['db_cpu_ms']:>7.2f} {r['socket_errors']}", flush=True)
        journal.close()
        if spy is not None:
            spy.send_signal(2)
            spy.wait(30)
            print(f"py-spy profile (collapsed stacks): {args.profile}")
        if not args.no_figures:
            figures(APP_PORT, app, data, gest, big)
    finally:
        stop(app)
        stop(hello)
        log.close()
        access_log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        for line in failures:
            print(f"FAILED: {line}", file=sys.stderr)
        sys.exit(f"FAILED: {len(failures)} measured endpoint(s) did not answer as the benchmark expects: "
                 "these figures are not the ones their names say")


def use_code(folder: str) -> None:
    """Import ``makeplus_core`` from ``folder`` (an exported older commit: the "before"
    figures) instead of the installed (editable) one; plugins stay the installed ones."""
    if not folder:
        return
    sys.meta_path[:] = [f for f in sys.meta_path if "makeplus_core" not in repr(f)]
    sys.path.insert(0, folder)
    import makeplus_core

    assert makeplus_core.__file__.startswith(folder), makeplus_core.__file__


def serve_waitress(app: str, port: str, threads: str, code: str) -> None:
    import importlib

    import waitress

    use_code(code)
    mod, _, attr = app.partition(":")
    waitress.serve(getattr(importlib.import_module(mod), attr), host="127.0.0.1", port=int(port),
                   threads=int(threads), _quiet=True)


def main() -> None:
    if sys.argv[1:2] == ["--waitress"]:
        serve_waitress(*sys.argv[2:6])
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", choices=("granian", "gunicorn", "waitress"), default="granian")
    p.add_argument("--workers", type=int, default=int(os.environ.get("MAKEPLUS_WORKERS", 0)) or os.cpu_count())
    p.add_argument("--threads", type=int, default=2, help="WSGI threads per worker")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--duration", type=int, default=5, help="seconds per endpoint")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--database-url", default=os.environ.get("MAKEPLUS_BENCH_DATABASE_URL", DEFAULT_DB),
                   help="PostgreSQL database to recreate (env MAKEPLUS_BENCH_DATABASE_URL; default mp_bench)")
    p.add_argument("--redis-url", default=os.environ.get("MAKEPLUS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
                   help="Redis database of the servers (env MAKEPLUS_BENCH_REDIS_URL)")
    p.add_argument("--port", type=int, default=APP_PORT,
                   help=f"the app's port; the hello-world uses the next one (default {APP_PORT})")
    p.add_argument("--only", default="",
                   help="a regular expression: measure only the endpoints whose name matches (hello-world always)")
    p.add_argument("--no-figures", action="store_true", help="skip login, statistics and export")
    p.add_argument("--profile", default="",
                   help="write a py-spy profile of the app's workers during the measured runs to this file "
                        "(needs py-spy; collapsed stacks)")
    p.add_argument("--reuse-data", action="store_true",
                   help="keep the database of the previous run (e.g. to compare two servers or commits)")
    p.add_argument("--code", default="", help="import makeplus_core from this folder (with --server waitress)")
    args = p.parse_args()
    if args.code:
        args.code = str(pathlib.Path(args.code).resolve())
        use_code(args.code)
    run(args)


if __name__ == "__main__":
    main()
