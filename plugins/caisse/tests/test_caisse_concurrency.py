"""Races at the desks (PostgreSQL): the last seat is sold once; one Idempotency-Key records one sale."""
import threading

import pytest
import sqlalchemy as sa
import webtest
from helpers import login, make_world, new_caisse, pof

from makeplus_caisse.models import Transaction
from makeplus_core.plugin_api import SessionAccess

N = 20


@pytest.fixture
def pg_only(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("row-lock races need PostgreSQL (SQLite serialises every writer with BEGIN IMMEDIATE); "
                    "set MAKEPLUS_TEST_DATABASE_URL to run them")


def run_together(calls):
    """Run every call in its own thread, released at the same moment; return results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # reported by the assertions below
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_last_seat_sold_once_by_20_desks(pg_only, app, f, db):
    w = make_world(app, f, capacity=1)
    desks = [login(app, new_caisse(app, w.gh, f"Desk {i}", f"desk{i}@race.test")["email"]) for i in range(N)]
    buyers = [pof(f, f.member(w.event, "participant"), w.event) for _ in range(N)]

    def call(i):
        client = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": f"10.0.0.{i + 1}"})
        return lambda: client.post_json("/api/caisse/pos/transactions/",
                                        {"participant": str(buyers[i].id), "items": [w.atelier_item["id"]],
                                         "payment_method": "cash"}, headers=desks[i], status="*")

    results = run_together([call(i) for i in range(N)])
    statuses = sorted(r.status_int if hasattr(r, "status_int") else repr(r) for r in results)
    assert statuses == [201] + [409] * (N - 1), statuses
    paid = db.scalar(sa.select(sa.func.count()).select_from(SessionAccess).where(
        SessionAccess.session_id == w.atelier.id, SessionAccess.payment_status == "paid"))
    sales = db.scalar(sa.select(sa.func.count()).select_from(Transaction))
    db.commit()
    assert paid == 1 and sales == 1


def test_20_retries_of_one_sale_record_it_once(pg_only, app, f, db):
    w = make_world(app, f)
    headers = {**w.ch, "Idempotency-Key": "race-key-1"}
    body = {"participant": str(w.buyer.id), "items": [w.atelier_item["id"], w.dinner["id"]],
            "payment_method": "mixed"}

    def call(i):
        client = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        return lambda: client.post_json("/api/caisse/pos/transactions/", body, headers=headers, status="*")

    results = run_together([call(i) for i in range(N)])
    assert all(hasattr(r, "status_int") for r in results), results
    assert {r.status_int for r in results} == {201}
    assert len({r.body for r in results}) == 1
    sales = db.scalar(sa.select(sa.func.count()).select_from(Transaction))
    paid = db.scalar(sa.select(sa.func.count()).select_from(SessionAccess).where(
        SessionAccess.payment_status == "paid"))
    db.commit()
    assert sales == 1 and paid == 1
    assert results[0].json["total"] == "9500.00"
