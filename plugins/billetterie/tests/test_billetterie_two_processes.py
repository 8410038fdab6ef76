"""Never oversold: 50 concurrent buyers of the last 5 tickets, spread over two server
processes (``makeplus_core.wsgi:application`` under waitress) sharing PostgreSQL.
Skipped on SQLite (one writer at a time proves nothing)."""
from __future__ import annotations

import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
import sqlalchemy as sa
from bhelpers import make_world

from makeplus_billetterie.models import Order, Ticket, TicketType

PORTS = range(7180, 7200)  # this plugin's test servers


def _free_port(skip=()) -> int:
    for port in PORTS:
        if port in skip:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 7180-7199")


def _call(base, method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        resp = urllib.request.urlopen(req, timeout=60)
    except urllib.error.HTTPError as err:
        resp = err
    raw = resp.read()
    return resp.status, (json.loads(raw) if raw else None)


@pytest.fixture(scope="module")
def servers(settings, engine, tmp_path_factory):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: set MAKEPLUS_TEST_DATABASE_URL=postgresql+psycopg://…")
    tmp = tmp_path_factory.mktemp("billetterie-two")
    ini = tmp / "two.ini"
    ini.write_text(f"""[app:main]
use = egg:makeplus-core
makeplus.plugins = {settings["makeplus.plugins"]}
makeplus.env = test
sqlalchemy.url = {settings["sqlalchemy.url"]}
sqlalchemy.pool_size = 2
sqlalchemy.max_overflow = 12
makeplus.jwt_secret = {settings["makeplus.jwt_secret"]}
makeplus.storage_root = {tmp / "media"}
makeplus.argon2.time_cost = 1
makeplus.argon2.memory_cost = 1024
makeplus.ratelimit.enabled = false
makeplus.billetterie.providers = test onsite
mail.backend = debug
""")
    env = {**os.environ, "MAKEPLUS_INI": str(ini)}
    for name in ("MAKEPLUS_DATABASE_URL", "MAKEPLUS_REDIS_URL", "MAKEPLUS_PLUGINS", "MAKEPLUS_JWT_SECRET"):
        env.pop(name, None)
    procs, bases, used = [], [], []
    try:
        for _ in range(2):
            port = _free_port(used)
            used.append(port)
            log = open(tmp / f"server-{port}.log", "wb")
            procs.append(subprocess.Popen([sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}",
                                           "--threads=25", "makeplus_core.wsgi:application"],
                                          env=env, stdout=log, stderr=subprocess.STDOUT))
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if _call(base, "GET", "/api/health/")[0] == 200:
                        break
                except OSError:
                    pass
                if procs[-1].poll() is not None or time.monotonic() > deadline:
                    pytest.fail("server did not start: " + (tmp / f"server-{port}.log").read_text()[-3000:])
                time.sleep(0.2)
            bases.append(base)
        yield bases
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


def test_fifty_buyers_last_five_tickets_two_processes(servers, app, f, db):
    w = make_world(app, f, quantity=105)
    # 100 already sold (reserved by earlier buyers): 5 left.
    db.execute(sa.update(TicketType).where(TicketType.id == uuid.UUID(w.standard["id"])).values(taken=100))
    db.commit()
    n = 50
    barrier = threading.Barrier(n)

    def one(i):
        body = {"event": str(w.event.id), "provider": "test", "buyer": {"email": f"buyer{i}@example.org"},
                "items": [{"ticket_type": w.standard["id"],
                           "attendee": {"name": f"Buyer {i}", "email": f"buyer{i}@example.org"}}]}
        barrier.wait()
        status, created = _call(servers[i % 2], "POST", "/api/payments/checkout/create-intent/", body)
        if status != 201:
            return status, created
        return _call(servers[(i + 1) % 2], "POST", "/api/payments/checkout/confirm/",
                     {"order": created["id"], "token": created["token"]})

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        results = list(pool.map(one, range(n)))
    statuses = sorted(s for s, _ in results)
    assert statuses.count(200) == 5, results
    assert statuses.count(409) == 45, results
    assert all(b["code_detail"] == "sold_out" for s, b in results if s == 409)
    assert all(b["status"] == "paid" for s, b in results if s == 200)
    taken = db.scalar(sa.select(TicketType.taken).where(TicketType.id == uuid.UUID(w.standard["id"])))
    valid = db.scalar(sa.select(sa.func.count()).select_from(Ticket).where(Ticket.status == "valid"))
    invoices = set(db.scalars(sa.select(Order.invoice_number).where(Order.invoice_number.is_not(None))))
    db.commit()
    assert taken == 105 and valid == 5
    assert len(invoices) == 5  # numbered without duplicates
