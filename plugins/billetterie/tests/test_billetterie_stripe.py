"""Stripe: PaymentIntents through the ``stripe`` package with recorded responses (its HTTP
client replaced: nothing touches the network), webhooks signed here with the endpoint
secret, processed exactly once whatever the retries and the order of arrival."""
import hashlib
import hmac
import json
import time
import uuid

import pytest
import sqlalchemy as sa
import stripe
from bhelpers import make_world, order_body, scalar

from makeplus_billetterie.models import PaymentEvent, Ticket

SECRET = "whsec_test_" + "s" * 24
STRIPE = {"makeplus.billetterie.providers": "test onsite stripe",
          "makeplus.billetterie.stripe.secret_key": "sk_test_makeplus",
          "makeplus.billetterie.stripe.webhook_secret": SECRET,
          "makeplus.billetterie.stripe.publishable_key": "pk_test_makeplus"}


class RecordedStripe(stripe.HTTPClient):
    """Answers Stripe API calls with recorded JSON bodies; keeps the requests."""

    name = "recorded"

    def __init__(self):
        super().__init__()
        self.calls = []
        self.intents = {}

    def request(self, method, url, headers, post_data=None):
        self.calls.append((method, url, dict(headers or {}), post_data))
        path = url.split("api.stripe.com", 1)[1].split("?")[0]
        form = dict(p.split("=", 1) for p in (post_data or "").split("&") if p) if isinstance(post_data, str) else {}
        form = {k.replace("%5B", "[").replace("%5D", "]"): v for k, v in form.items()}
        if method == "post" and path == "/v1/payment_intents":
            pid = f"pi_{uuid.uuid4().hex[:14]}"
            body = {"id": pid, "object": "payment_intent", "amount": int(form["amount"]),
                    "amount_received": 0, "currency": form["currency"], "status": "requires_payment_method",
                    "client_secret": f"{pid}_secret_abc", "metadata": {"order_id": form["metadata[order_id]"]}}
            self.intents[pid] = body
            return json.dumps(body), 200, {"request-id": "req_1"}
        if method == "get" and path.startswith("/v1/payment_intents/"):
            return json.dumps(self.intents[path.rsplit("/", 1)[1]]), 200, {}
        if method == "post" and path == "/v1/refunds":
            body = {"id": f"re_{uuid.uuid4().hex[:14]}", "object": "refund", "amount": int(form["amount"]),
                    "payment_intent": form["payment_intent"], "status": "succeeded"}
            return json.dumps(body), 200, {}
        return json.dumps({"error": {"message": "not recorded", "type": "invalid_request_error"}}), 404, {}

    def close(self):
        pass


@pytest.fixture
def sapp(make_app):
    app = make_app(**STRIPE)
    fake = RecordedStripe()
    app.app.registry["billetterie.stripe_http_client"] = fake
    app.fake = fake
    yield app
    app.app.registry.pop("billetterie.stripe_http_client", None)


def signed(payload: dict, secret=SECRET, ts=None):
    body = json.dumps(payload).encode()
    ts = ts or int(time.time())
    sig = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={ts},v1={sig}", "Content-Type": "application/json"}


def event(kind, obj, eid=None):
    return {"id": eid or f"evt_{uuid.uuid4().hex[:14]}", "object": "event", "type": kind,
            "data": {"object": obj}}


def intent_obj(order, status="succeeded", amount=None):
    cents = int(float(order["total"]) * 100) if amount is None else amount
    return {"id": order["payment"]["payment_intent"], "object": "payment_intent", "amount": cents,
            "amount_received": cents if status == "succeeded" else 0, "currency": order["currency"].lower(),
            "status": status, "metadata": {"order_id": order["id"]}}


def post_webhook(app, payload, status=200, **kw):
    body, headers = signed(payload, **kw)
    return app.post("/api/payments/webhook/stripe/", body, headers=headers, status=status)


def new_order(app, w, email="a@example.org"):
    return app.post_json("/api/payments/checkout/create-intent/",
                         order_body(w, ("A", email), provider="stripe", buyer={"email": "buyer@example.org"}),
                         status=201).json


def test_checkout_creates_a_payment_intent(sapp, f):
    w = make_world(sapp, f)
    order = new_order(sapp, w)
    pay = order["payment"]
    assert pay["provider"] == "stripe" and pay["client_secret"].startswith(pay["payment_intent"])
    assert pay["publishable_key"] == "pk_test_makeplus"
    method, url, headers, data = sapp.fake.calls[-1]
    assert url.endswith("/v1/payment_intents") and "amount=500000" in data and "currency=dzd" in data
    assert headers["Idempotency-Key"] == f"makeplus-order-{order['id']}"
    assert headers["Authorization"] == "Bearer sk_test_makeplus"
    # The buyer's confirm asks Stripe: not paid yet.
    r = sapp.post_json("/api/payments/checkout/confirm/", {"order": order["id"], "token": order["token"]}, status=202)
    assert r.json["status"] == "pending"
    sapp.fake.intents[pay["payment_intent"]].update(status="succeeded", amount_received=500000)
    r = sapp.post_json("/api/payments/checkout/confirm/", {"order": order["id"], "token": order["token"]}, status=200)
    assert r.json["status"] == "paid"


def test_webhook_signature_is_verified(sapp, f):
    w = make_world(sapp, f)
    order = new_order(sapp, w)
    payload = event("payment_intent.succeeded", intent_obj(order))
    r = post_webhook(sapp, payload, status=400, secret="whsec_wrong")
    assert r.json["field"] == "Stripe-Signature"
    r = post_webhook(sapp, payload, status=400, ts=int(time.time()) - 3600)  # replayed long after
    assert r.json["field"] == "Stripe-Signature"
    sapp.post("/api/payments/webhook/stripe/", json.dumps(payload), headers={"Content-Type": "application/json"},
              status=400)
    assert sapp.get(f"/api/orders/{order['id']}/?token={order['token']}").json["status"] == "pending"


def test_webhook_succeeded_is_processed_exactly_once(sapp, f, db):
    w = make_world(sapp, f)
    order = new_order(sapp, w)
    box = sapp.app.registry.makeplus.mailer.outbox
    box.clear()
    payload = event("payment_intent.succeeded", intent_obj(order))
    first = post_webhook(sapp, payload).json
    assert first == {"received": True, "duplicate": False, "outcome": "paid"}
    for _ in range(3):  # Stripe retries the same event
        assert post_webhook(sapp, payload).json["duplicate"] is True
    # Another event id for the same payment (Stripe may send both) changes nothing either.
    assert post_webhook(sapp, event("payment_intent.succeeded", intent_obj(order))).json["outcome"] == "paid"
    paid = sapp.get(f"/api/orders/{order['id']}/?token={order['token']}").json
    assert paid["status"] == "paid" and paid["tickets"][0]["status"] == "valid"
    assert scalar(db, sa.select(sa.func.count()).select_from(Ticket).where(Ticket.order_id == uuid.UUID(order["id"]))) == 1
    assert sum("votre billet" in m.subject for m in box) == 1
    assert sum("commande INV-" in m.subject for m in box) == 1


def test_webhook_out_of_order_and_failures(sapp, f):
    w = make_world(sapp, f)
    # failed after succeeded: ignored
    o1 = new_order(sapp, w, "a@example.org")
    post_webhook(sapp, event("payment_intent.succeeded", intent_obj(o1)))
    r = post_webhook(sapp, event("payment_intent.payment_failed", intent_obj(o1, status="requires_payment_method")))
    assert r.json["outcome"] == "paid"
    # failed first, then succeeded (the customer retried the card): paid
    o2 = new_order(sapp, w, "b@example.org")
    assert post_webhook(sapp, event("payment_intent.payment_failed",
                                    intent_obj(o2, status="requires_payment_method"))).json["outcome"] == "failed"
    assert post_webhook(sapp, event("payment_intent.succeeded", intent_obj(o2))).json["outcome"] == "paid"
    # refunded before succeeded arrives: paid then refunded; the late succeeded changes nothing
    o3 = new_order(sapp, w, "c@example.org")
    charge = {"id": "ch_1", "object": "charge", "payment_intent": o3["payment"]["payment_intent"],
              "amount": 500000, "amount_refunded": 500000, "currency": "dzd", "metadata": {"order_id": o3["id"]}}
    assert post_webhook(sapp, event("charge.refunded", charge)).json["outcome"] == "refunded"
    assert post_webhook(sapp, event("payment_intent.succeeded", intent_obj(o3))).json["outcome"] == "refunded"
    t = sapp.get(f"/api/orders/{o3['id']}/?token={o3['token']}").json["tickets"][0]
    assert t["status"] == "refunded"
    # a partial refund in Stripe, then the full one: amounts are absolute, recorded once
    o4 = new_order(sapp, w, "d@example.org")
    post_webhook(sapp, event("payment_intent.succeeded", intent_obj(o4)))
    partial = {**charge, "id": "ch_4", "payment_intent": o4["payment"]["payment_intent"], "amount_refunded": 100000,
               "metadata": {"order_id": o4["id"]}}
    e_partial = event("charge.refunded", partial)
    assert post_webhook(sapp, e_partial).json["outcome"] == "partially_refunded"
    assert post_webhook(sapp, e_partial).json["duplicate"] is True
    o4_now = sapp.get(f"/api/orders/{o4['id']}/?token={o4['token']}").json
    assert o4_now["refunded_amount"] == "1000.00"
    # an amount that does not match the order is not accepted as payment
    o5 = new_order(sapp, w, "e@example.org")
    assert post_webhook(sapp, event("payment_intent.succeeded", intent_obj(o5, amount=100))).json["outcome"] \
        == "amount_mismatch"
    # unknown event types and unknown intents are acknowledged, nothing else
    assert post_webhook(sapp, event("customer.created", {"id": "cus_1", "object": "customer"})).json["outcome"] \
        == "ignored"


def test_staff_refund_goes_through_stripe(sapp, f):
    w = make_world(sapp, f)
    order = new_order(sapp, w)
    post_webhook(sapp, event("payment_intent.succeeded", intent_obj(order)))
    r = sapp.post_json("/api/tickets/staff/refund/", {"order": order["id"], "amount": "1500.00",
                                                      "reason": "Late arrival"}, headers=w.gh).json
    assert r["status"] == "partially_refunded" and r["refund"]["provider_ref"].startswith("re_")
    method, url, headers, data = sapp.fake.calls[-1]
    assert url.endswith("/v1/refunds") and "amount=150000" in data
    # Stripe's charge.refunded for that same refund does not count it twice.
    charge = {"id": "ch_1", "object": "charge", "payment_intent": order["payment"]["payment_intent"],
              "amount_refunded": 150000, "currency": "dzd", "metadata": {"order_id": order["id"]}}
    post_webhook(sapp, event("charge.refunded", charge))
    assert sapp.get(f"/api/orders/{order['id']}/?token={order['token']}").json["refunded_amount"] == "1500.00"


def test_stripe_not_configured_is_a_clear_error(app, f):
    w = make_world(app, f)
    r = app.post_json("/api/payments/checkout/create-intent/",
                      order_body(w, ("A", "a@example.org"), provider="stripe", buyer={"email": "b@example.org"}),
                      status=400)
    assert r.json["field"] == "provider"
    body, headers = signed(event("payment_intent.succeeded", {"id": "pi_1"}))
    r = app.post("/api/payments/webhook/stripe/", body, headers=headers, status=404)
    assert "not configured" in r.json["message"]


def test_concurrent_webhook_deliveries_on_postgresql(sapp, f, engine, db):
    """The same event delivered at once by several connections: processed once."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (SQLite serialises writers)")
    import concurrent.futures
    import threading

    w = make_world(sapp, f)
    order = new_order(sapp, w)
    payload = event("payment_intent.succeeded", intent_obj(order))
    body, headers = signed(payload)
    barrier = threading.Barrier(8)

    def deliver(_):
        barrier.wait()
        return sapp.post("/api/payments/webhook/stripe/", body, headers=headers, expect_errors=True)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(deliver, range(8)))
    assert all(r.status_int == 200 for r in results), [r.body for r in results]
    assert sum(1 for r in results if r.json["duplicate"] is False) == 1
    assert scalar(db, sa.select(sa.func.count()).select_from(PaymentEvent)) == 1
    assert scalar(db, sa.select(sa.func.count()).select_from(Ticket).where(Ticket.status == "valid")) == 1
