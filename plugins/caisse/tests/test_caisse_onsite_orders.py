"""Issue 19: a billetterie on-site order is paid at a caisse desk (the makeplus_desk_order hook):
found by the cashier, sold once (Idempotency-Key, row lock), refunded when the sale is cancelled."""
import threading

import pytest
import sqlalchemy as sa
import webtest
from helpers import PW, login, make_world, new_caisse

from makeplus_caisse.models import Transaction

pytestmark = pytest.mark.plugin("caisse", "billetterie")

SALES = "/api/caisse/pos/transactions/"


def onsite_world(app, f):
    w = make_world(app, f)
    w.hall = w.room
    w.ticket = app.post_json("/api/billetterie/ticket-types/", {
        "name": "Standard", "price": "5000.00", "quantity": 10, "room_ids": [str(w.hall.id)]},
        headers=w.gh, status=201).json
    w.ctrl = f.member(w.event, "controlleur_des_badges")
    w.me = f.member(w.event, "participant", first_name="Nadia", last_name="Onsite")
    body = {"event": str(w.event.id), "provider": "onsite",
            "items": [{"ticket_type": w.ticket["id"], "attendee": {"name": "Nadia Onsite", "email": w.me.email}},
                      {"ticket_type": w.ticket["id"], "attendee": {"name": "Guest", "email": "guest@onsite.test"}}]}
    w.order = app.post_json("/api/payments/checkout/create-intent/", body, headers=f.auth(w.me, w.event),
                            status=201).json
    assert w.order["status"] == "pending"
    return w


def order_status(app, w):
    return app.get(f"/api/tickets/staff/orders/{w.order['id']}/", headers=w.gh).json["status"]


def door(app, f, w, status):
    return app.post_json(f"/api/rooms/{w.hall.id}/verify_access/", {"qr_data": str(w.me.id)},
                         headers=f.auth(w.ctrl, w.event), status=status)


def test_cashier_finds_and_sells_an_onsite_order_once(app, f, db):
    w = onsite_world(app, f)
    found = app.get("/api/caisse/pos/orders/", {"q": w.me.email.upper()}, headers=w.ch).json["results"]
    assert [o["reference"] for o in found] == [w.order["id"]]
    assert found[0]["total"] == "10000.00" and found[0]["status"] == "pending"
    assert app.get("/api/caisse/pos/orders/", {"q": w.order["id"]}, headers=w.ch).json["results"][0]["reference"] \
        == w.order["id"]
    headers = {**w.ch, "Idempotency-Key": "onsite-1"}
    sale = app.post_json(SALES, {"order": w.order["id"], "payment_method": "cash"}, headers=headers,
                         status=201)
    assert sale.json["total"] == "10000.00" and sale.json["participant"] is None
    assert sale.json["participant_email"] == w.me.email
    assert [(i["item_type"], i["order"], i["price"]) for i in sale.json["items"]] == [("order", w.order["id"], "10000.00")]
    assert order_status(app, w) == "paid"
    door(app, f, w, 200)  # tickets issued, attendee enrolled
    guest = app.get("/api/participants/", {"search": "guest@onsite.test"}, headers=w.gh).json
    assert guest["count"] == 1
    # a retried sale (same key): the same answer, nothing new
    again = app.post_json(SALES, {"order": w.order["id"], "payment_method": "cash"}, headers=headers, status=201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json["id"] == sale.json["id"]
    # another sale of the paid order, at a desk or by staff: 409
    r = app.post_json(SALES, {"order": w.order["id"]}, headers=w.ch, status=409).json
    assert r["field"] == "order" and "paid" in r["message"]
    app.post_json(f"/api/tickets/staff/orders/{w.order['id']}/mark-paid/", headers=w.gh, status=409)
    assert app.get("/api/caisse/pos/orders/", {"q": w.me.email}, headers=w.ch).json["results"] == []
    assert db.scalar(sa.select(sa.func.count()).select_from(Transaction)) == 1
    db.commit()


def test_an_order_with_items_for_a_participant(app, f):
    w = onsite_world(app, f)
    sale = app.post_json(SALES, {"order": w.order["id"], "participant": str(w.buyer.id),
                                 "items": [w.dinner["id"]]}, headers=w.ch, status=201).json
    assert sale["total"] == "13500.00" and sorted(i["item_type"] for i in sale["items"]) == ["dinner", "order"]
    assert order_status(app, w) == "paid"


def test_cancelling_the_sale_refunds_the_order(app, f):
    w = onsite_world(app, f)
    sale = app.post_json(SALES, {"order": w.order["id"]}, headers=w.ch, status=201).json
    door(app, f, w, 200)
    app.post_json(f"{SALES}{sale['id']}/cancel/", {"reason": "changed her mind"}, headers=w.ch, status=200)
    assert order_status(app, w) == "refunded"
    door(app, f, w, 403)  # the refunded ticket opens no door
    app.post_json(f"{SALES}{sale['id']}/cancel/", {"reason": "again"}, headers=w.ch, status=409)


def test_bad_unknown_and_foreign_orders(app, f, db):
    w = onsite_world(app, f)
    other = onsite_world(app, f)
    r = app.post_json(SALES, {"order": other.order["id"]}, headers=w.ch, status=404).json  # another event's
    assert r["field"] == "order"
    assert app.get("/api/caisse/pos/orders/", {"q": other.me.email}, headers=w.ch).json["results"] == []
    assert app.post_json(SALES, {"order": "nope"}, headers=w.ch, status=404).json["field"] == "order"
    assert app.post_json(SALES, {"order": "x" * 65}, headers=w.ch, status=400).json["field"] == "order"
    assert app.post_json(SALES, {"order": 12}, headers=w.ch, status=400).json["field"] == "order"
    assert app.post_json(SALES, {"items": [w.dinner["id"]], "order": w.order["id"]}, headers=w.ch,
                         status=400).json["field"] == "participant"
    assert app.post_json(SALES, {"participant": str(w.buyer.id)}, headers=w.ch, status=400).json["field"] == "items"
    app.get("/api/caisse/pos/orders/", status=401)
    # a test-provider (card) order is not paid at the desk
    card = app.post_json("/api/payments/checkout/create-intent/", {
        "event": str(w.event.id), "provider": "test",
        "items": [{"ticket_type": w.ticket["id"], "attendee": {"name": "C", "email": "c@onsite.test"}}],
        "buyer": {"email": "c@onsite.test"}},
        status=201).json
    assert app.post_json(SALES, {"order": card["id"]}, headers=w.ch, status=409).json["field"] == "order"
    assert order_status(app, w) == "pending"
    assert db.scalar(sa.select(sa.func.count()).select_from(Transaction)) == 0
    db.commit()


def test_caisse_alone_knows_no_order(make_app, f):
    alone = make_app(**{"makeplus.plugins": "caisse"})
    w = make_world(alone, f)
    assert alone.get("/api/caisse/pos/orders/", headers=w.ch).json["results"] == []
    r = alone.post_json(SALES, {"order": "6b0e2f9c-8d0a-4c1e-9a57-0d3f1e1c2b3a"}, headers=w.ch, status=404).json
    assert r["field"] == "order"
    alone.post_json(SALES, {"participant": str(w.buyer.id), "items": [w.dinner["id"]]}, headers=w.ch, status=201)


def test_two_desks_selling_one_order_one_wins(app, f, db, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("row-lock races need PostgreSQL; set MAKEPLUS_TEST_DATABASE_URL to run them")
    w = onsite_world(app, f)
    desks = [w.ch, login(app, new_caisse(app, w.gh, "Desk 2", f"d2-{w.event.id.hex[:8]}@desk.test")["email"])]
    barrier = threading.Barrier(2)
    results = [None, None]

    def worker(i):
        client = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": f"10.0.1.{i + 1}"})
        barrier.wait()
        results[i] = client.post_json(SALES, {"order": w.order["id"]}, headers=desks[i], status="*")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r.status_int for r in results) == [201, 409]
    loser = next(r for r in results if r.status_int == 409).json
    assert loser["field"] == "order" and "paid" in loser["message"]
    assert db.scalar(sa.select(sa.func.count()).select_from(Transaction)) == 1
    db.commit()
    assert order_status(app, w) == "paid"


@pytest.mark.usefixtures("english")
def test_pos_page_collects_an_onsite_order(app, f):
    w = onsite_world(app, f)
    login_form = app.get("/caisse/login/").forms[0]
    login_form["email"], login_form["password"] = w.caisse["email"], PW
    login_form.submit(status=303)
    page = app.get("/caisse/", {"q": w.me.email})
    assert "On-site ticket orders to collect" in page.text and "10000.00" in page.text
    form = next(fm for fm in page.forms.values() if fm.action.endswith("/caisse/orders/sell/"))
    assert form["order"].value == w.order["id"]
    r = form.submit(status=303).follow()
    assert "Order collected, sale recorded: 10000.00 DZD" in r.text
    assert order_status(app, w) == "paid"
    r = form.submit(status=303).follow()  # the same form again (double click): the same one sale
    assert "sale already recorded" in r.text
    assert app.get("/api/caisse/pos/transactions/", headers=w.ch).json["count"] == 1
    assert "On-site ticket orders to collect" not in app.get("/caisse/", {"q": w.me.email}).text
    # a fresh form for the paid order: the error on the screen, nothing recorded
    r = app.post("/caisse/orders/sell/", {"order": w.order["id"], "csrf_token": form["csrf_token"].value},
                 status=409)
    assert "This order is paid" in r.text
