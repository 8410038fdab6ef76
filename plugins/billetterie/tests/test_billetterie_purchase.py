"""Billetterie: ticket types, the public shop, checkout and payment with the test provider,
tickets and orders, the door."""
import datetime as dt
import json
import uuid

import sqlalchemy as sa
from bhelpers import buy, make_world, order_body, scalar, user_by_email

from makeplus_billetterie.models import Order, TicketType
from makeplus_core.plugin_api import Participant, SessionAccess, UserEventAssignment


def test_ticket_types_crud_and_validation(app, f):
    w = make_world(app, f)
    types = app.get("/api/billetterie/ticket-types/", headers=w.gh).json
    assert [t["name"] for t in types["results"]] == ["Standard", "VIP"]
    assert types["results"][0]["currency"] == "DZD" and types["results"][0]["price"] == "5000.00"
    r = app.post_json("/api/billetterie/ticket-types/", {"name": "X", "price": "-1"}, headers=w.gh, status=400)
    assert r.json["field"] == "price"
    r = app.post_json("/api/billetterie/ticket-types/", {"name": "X", "price": "1", "currency": "eu"},
                      headers=w.gh, status=400)
    assert r.json["field"] == "currency"
    r = app.post_json("/api/billetterie/ticket-types/", {"name": "Standard", "price": "1"}, headers=w.gh, status=409)
    assert r.json["field"] == "name"
    other = f.event()
    other_room = f.room(other)
    r = app.post_json("/api/billetterie/ticket-types/", {"name": "Y", "price": "1", "room_ids": [str(other_room.id)]},
                      headers=w.gh, status=404)
    assert r.json["field"] == "room_ids"
    eur = app.post_json("/api/billetterie/ticket-types/", {"name": "Euro", "price": "10.50", "currency": "eur"},
                        headers=w.gh, status=201).json
    assert eur["currency"] == "EUR" and eur["quantity"] is None
    app.delete(f"/api/billetterie/ticket-types/{eur['id']}/", headers=w.gh, status=204)
    # Another event's gestionnaire: 404; a participant: 403.
    og = f.auth(f.member(other, "gestionnaire_des_salles"), other)
    app.get(f"/api/billetterie/ticket-types/{w.standard['id']}/", headers=og, status=404)
    app.get("/api/billetterie/ticket-types/", headers=f.auth(f.member(w.event, "participant"), w.event), status=403)


def test_public_shop_is_cacheable_and_has_no_private_data(app, f):
    w = make_world(app, f)
    r = app.get(f"/api/tickets/types/?event={w.event.id}", status=200)
    assert r.headers["Cache-Control"].startswith("public, max-age=")
    assert r.headers["ETag"]
    names = {t["name"]: t for t in r.json["results"]}
    assert names["Standard"]["remaining"] == 100
    assert "taken" not in names["Standard"] and "is_visible" not in names["Standard"]
    again = app.get(f"/api/tickets/types/?event={w.event.id}", headers={"If-None-Match": r.headers["ETag"]},
                    status=304)
    assert again.body == b""
    cfg = app.get(f"/api/config/public/?event={w.event.id}", status=200).json
    assert cfg["name"] == w.event.name and cfg["ticket_sales_open"] is True
    assert "organizer_email" not in cfg
    sched = app.get(f"/api/config/schedule/?event={w.event.id}", status=200).json
    assert {r["name"] for r in sched["rooms"]} == {"Hall", "Salon VIP"}
    assert sched["sessions"][0]["title"] == "Atelier Python"
    app.get("/api/tickets/types/", status=400)
    app.get("/api/tickets/types/?event=nope", status=404)
    # A hidden type is not listed.
    app.patch_json(f"/api/billetterie/ticket-types/{w.vip['id']}/", {"is_visible": False}, headers=w.gh)
    names = [t["name"] for t in app.get(f"/api/tickets/types/?event={w.event.id}").json["results"]]
    assert names == ["Standard"]


def test_contact_form_is_mailed_to_the_organiser(app, f):
    w = make_world(app, f)
    box = app.app.registry.makeplus.mailer.outbox
    box.clear()
    app.post_json("/api/config/contact/", {"event": str(w.event.id), "name": "Ali", "email": "ali@example.org",
                                           "message": "Parking?"}, status=202)
    assert box[-1].recipients == ["orga@example.org"] and "Parking?" in box[-1].body
    r = app.post_json("/api/config/contact/", {"event": str(w.event.id), "name": "Ali", "email": "nope",
                                               "message": "x"}, status=400)
    assert r.json["field"] == "email"


def test_contact_form_is_rate_limited(make_app, f):
    app = make_app(**{"makeplus.ratelimit.enabled": "true", "makeplus.ratelimit.billetterie_contact": "2/60"})
    event = f.event(organizer_email="orga@example.org")
    body = {"event": str(event.id), "name": "Ali", "email": "ali@example.org", "message": "hi"}
    app.post_json("/api/config/contact/", body, status=202)
    app.post_json("/api/config/contact/", body, status=202)
    app.post_json("/api/config/contact/", body, status=429)


def test_guest_purchase_end_to_end(app, f, db):
    w = make_world(app, f)
    box = app.app.registry.makeplus.mailer.outbox
    box.clear()
    created = app.post_json("/api/payments/checkout/create-intent/",
                            order_body(w, ("Amina Kaci", "amina@example.org"), ("Yacine B", "yacine@example.org"),
                                       buyer={"email": "Buyer@Example.org", "name": "Karim Buyer"}), status=201).json
    assert created["status"] == "pending" and created["total"] == "10000.00" and created["token"]
    assert created["payment"]["provider"] == "test"
    assert [t["status"] for t in created["tickets"]] == ["reserved", "reserved"]
    # Seats are reserved at once.
    left = {t["name"]: t["remaining"] for t in app.get(f"/api/tickets/types/?event={w.event.id}").json["results"]}
    assert left["Standard"] == 98
    # Nobody else reads the order; the guest does with the token.
    app.get(f"/api/orders/{created['id']}/", status=401)
    app.get(f"/api/orders/{created['id']}/?token=wrong", status=404)
    assert app.get(f"/api/orders/{created['id']}/?token={created['token']}").json["status"] == "pending"
    paid = app.post_json("/api/payments/checkout/confirm/", {"order": created["id"], "token": created["token"]}).json
    assert paid["status"] == "paid" and paid["invoice_number"].startswith("INV-")
    assert [t["status"] for t in paid["tickets"]] == ["valid", "valid"]
    # The buyer got an account (invitation), each attendee is a participant.
    buyer = user_by_email(db, "buyer@example.org")
    assert buyer is not None
    for email in ("amina@example.org", "yacine@example.org"):
        user = user_by_email(db, email)
        assert scalar(db, sa.select(UserEventAssignment.role).where(UserEventAssignment.user_id == user.id,
                                                                   UserEventAssignment.event_id == w.event.id)) \
            == "participant"
    subjects = [m.subject for m in box]
    assert sum("votre billet" in s for s in subjects) == 2
    assert any("commande INV-" in s for s in subjects)
    assert sum("invité(e)" in s for s in subjects) == 3  # the buyer and two attendees: new accounts (French by default)
    # Confirming again changes nothing.
    again = app.post_json("/api/payments/checkout/confirm/", {"order": created["id"], "token": created["token"]}).json
    assert again["invoice_number"] == paid["invoice_number"]
    assert sum("votre billet" in m.subject for m in box) == 2


def test_logged_in_purchase_my_tickets_orders_and_qr(app, f, db):
    w = make_world(app, f)
    me = f.member(w.event, "participant", first_name="Sara")
    h = f.auth(me, w.event)
    order = buy(app, w, ("Sara M", me.email), type_id=w.vip["id"], headers=h)
    assert order["status"] == "paid" and order["buyer_email"] == me.email
    tickets = app.get("/api/tickets/my/", headers=h).json["results"]
    assert len(tickets) == 1 and tickets[0]["ticket_type"]["name"] == "VIP"
    assert json.loads(tickets[0]["qr_code_data"])["user_id"] == me.id
    detail = app.get(f"/api/tickets/{tickets[0]['id']}/", headers=h).json
    assert detail["qr_code_data"] == tickets[0]["qr_code_data"]
    png = app.get(f"/api/tickets/{tickets[0]['id']}/qr/", headers=h)
    assert png.content_type == "image/png" and png.body[:4] == b"\x89PNG"
    # The included atelier is paid.
    participant = scalar(db, sa.select(Participant).where(Participant.user_id == me.id,
                                                          Participant.event_id == w.event.id))
    access = scalar(db, sa.select(SessionAccess).where(SessionAccess.participant_id == participant.id,
                                                       SessionAccess.session_id == w.atelier.id))
    assert access.payment_status == "paid" and access.has_access
    orders = app.get("/api/orders/", headers=h).json
    assert orders["count"] == 1 and orders["results"][0]["id"] == order["id"]
    assert app.get("/api/payments/orders/", headers=h).json["count"] == 1
    assert app.get(f"/api/orders/{order['id']}/", headers=h).json["tickets"][0]["status"] == "valid"
    # Someone else: 404 for the order and the ticket.
    other = f.auth(f.member(w.event, "participant"), w.event)
    app.get(f"/api/orders/{order['id']}/", headers=other, status=404)
    app.get(f"/api/tickets/{tickets[0]['id']}/", headers=other, status=404)


def test_checkout_validation(app, f):
    w = make_world(app, f)
    url = "/api/payments/checkout/create-intent/"
    r = app.post_json(url, order_body(w, ("A", "a@example.org")), status=400)
    assert r.json["field"] == "buyer.email"
    buyer = {"email": "b@example.org"}
    r = app.post_json(url, {**order_body(w, buyer=buyer), "items": []}, status=400)
    assert r.json["field"] == "items"
    r = app.post_json(url, order_body(w, ("A", "not-an-email"), buyer=buyer), status=400)
    assert r.json["field"] == "items"
    r = app.post_json(url, order_body(w, ("A", "a@example.org"), ("B", "A@example.org"), buyer=buyer), status=400)
    assert "own e-mail" in r.json["message"]
    r = app.post_json(url, order_body(w, ("A", "a@example.org"), buyer=buyer, provider="bitcoin"), status=400)
    assert r.json["field"] == "provider"
    other = f.event()
    r = app.post_json(url, {**order_body(w, ("A", "a@example.org"), buyer=buyer), "event": str(other.id)}, status=404)
    assert r.json["field"] == "items"
    # One ticket per person per event.
    buy(app, w, ("A", "a@example.org"), buyer=buyer)
    r = app.post_json(url, order_body(w, ("A", "a@example.org"), buyer=buyer), status=409)
    assert r.json["code_detail"] == "already_ticketed"


def test_sold_out_failure_and_expiry_release_seats(app, f, db):
    w = make_world(app, f, quantity=2)
    buyer = {"email": "b@example.org"}
    url = "/api/payments/checkout/create-intent/"
    o1 = app.post_json(url, order_body(w, ("A", "a@example.org"), ("B", "b2@example.org"), buyer=buyer),
                       status=201).json
    r = app.post_json(url, order_body(w, ("C", "c@example.org"), buyer=buyer), status=409)
    assert r.json["code_detail"] == "sold_out"
    failed = app.post_json("/api/payments/checkout/confirm/",
                           {"order": o1["id"], "token": o1["token"], "outcome": "failure"}).json
    assert failed["status"] == "failed" and {t["status"] for t in failed["tickets"]} == {"cancelled"}
    o2 = app.post_json(url, order_body(w, ("C", "c@example.org"), ("D", "d@example.org"), buyer=buyer),
                       status=201).json
    delayed = app.post_json("/api/payments/checkout/confirm/",
                            {"order": o2["id"], "token": o2["token"], "outcome": "delay"}, status=202).json
    assert delayed["status"] == "pending"
    # The reservation expires: the seats come back for the next buyer.
    order = db.get(Order, uuid.UUID(o2["id"]))
    order.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.commit()
    left = app.get(f"/api/tickets/types/?event={w.event.id}").json["results"]
    assert {t["name"]: t["remaining"] for t in left}["Standard"] == 2
    app.post_json(url, order_body(w, ("E", "e@example.org"), buyer=buyer), status=201)
    assert app.get(f"/api/orders/{o2['id']}/?token={o2['token']}").json["status"] == "expired"
    taken = scalar(db, sa.select(TicketType.taken).where(TicketType.name == "Standard",
                                                         TicketType.event_id == w.event.id))
    assert taken == 1


def test_idempotent_checkout(app, f):
    w = make_world(app, f)
    me = f.member(w.event, "participant")
    h = {**f.auth(me, w.event), "Idempotency-Key": "k-1"}
    body = order_body(w, ("Me", me.email))
    first = app.post_json("/api/payments/checkout/create-intent/", body, headers=h, status=201).json
    again = app.post_json("/api/payments/checkout/create-intent/", body, headers=h, status=201).json
    assert again["id"] == first["id"]
    left = app.get(f"/api/tickets/types/?event={w.event.id}").json["results"]
    assert {t["name"]: t["remaining"] for t in left}["Standard"] == 99


def test_door_honours_tickets(app, f, db):
    w = make_world(app, f)
    me = f.member(w.event, "participant")
    h = f.auth(me, w.event)
    order = buy(app, w, ("Me", me.email), headers=h)
    qr = str(me.id)
    # Standard opens the hall, not the VIP room.
    app.post_json(f"/api/rooms/{w.hall.id}/verify_access/", {"qr_data": qr}, headers=w.ch, status=200)
    r = app.post_json(f"/api/rooms/{w.vip_room.id}/verify_access/", {"qr_data": qr}, headers=w.ch, status=403)
    assert r.json["reason"] == "ticket_room_not_included"
    # The check-in with the badge's QR: the ticket holder's gate is true, the hook decides
    # (on PostgreSQL after the one-statement check-in, which records nothing for them).
    badge = json.dumps({"user_id": me.id, "badge_id": me.badge_id})
    r = app.post_json("/api/participants/scan/", {"qr_data": badge}, headers=w.ch, status=200)
    assert r.json["status"] == "success" and r.json["first_check_in"] is True
    # Refunded: denied everywhere, with the reason.
    app.post_json("/api/tickets/staff/refund/", {"order": order["id"], "reason": "Cannot come"}, headers=w.gh)
    r = app.post_json(f"/api/rooms/{w.hall.id}/verify_access/", {"qr_data": qr}, headers=w.ch, status=403)
    assert r.json["reason"] == "ticket_refunded"
    r = app.post_json("/api/participants/scan/", {"qr_data": qr}, headers=w.ch, status=403)
    assert r.json["reason"] == "ticket_refunded"
    r = app.post_json("/api/participants/scan/", {"qr_data": badge}, headers=w.ch, status=403)
    assert r.json["reason"] == "ticket_refunded"
    # Someone enrolled by the organiser without any ticket is not the plugin's business.
    staff_added = f.member(w.event, "participant")
    app.post_json(f"/api/rooms/{w.vip_room.id}/verify_access/", {"qr_data": str(staff_added.id)}, headers=w.ch,
                  status=200)


def test_unpaid_ticket_is_402_at_the_door(app, f):
    w = make_world(app, f)
    me = f.member(w.event, "participant")
    h = f.auth(me, w.event)
    app.post_json("/api/payments/checkout/create-intent/", order_body(w, ("Me", me.email), provider="onsite"),
                  headers=h, status=201)
    # The ticket is reserved but not issued to the holder yet: the door does not know it.
    app.post_json(f"/api/rooms/{w.hall.id}/verify_access/", {"qr_data": str(me.id)}, headers=w.ch, status=200)


def test_scan_validate_records_nothing_commit_records(app, f, db):
    from makeplus_core.plugin_api import RoomAccess

    w = make_world(app, f)
    me = f.member(w.event, "participant")
    buy(app, w, ("Me", me.email), headers=f.auth(me, w.event))
    before = scalar(db, sa.select(sa.func.count()).select_from(RoomAccess))
    r = app.post_json("/api/scan/validate/", {"qr_data": str(me.id), "room": str(w.hall.id)}, headers=w.ch,
                      status=200).json
    assert r["committed"] is False
    r = app.post_json("/api/scan/validate/", {"qr_data": str(me.id), "room": str(w.vip_room.id)}, headers=w.ch,
                      status=403).json
    assert r["reason"] == "ticket_room_not_included"
    assert scalar(db, sa.select(sa.func.count()).select_from(RoomAccess)) == before
    r = app.post_json("/api/scan/commit/", {"qr_data": str(me.id), "room": str(w.hall.id)}, headers=w.ch,
                      status=200).json
    assert r["committed"] is True
    app.post_json("/api/scan/commit/", {"qr_data": str(me.id)}, headers=w.ch, status=200)
    assert scalar(db, sa.select(sa.func.count()).select_from(RoomAccess)) == before + 2
    r = app.post_json("/api/scan/commit/", {"room": str(w.hall.id)}, headers=w.ch, status=400)
    assert r.json["field"] == "qr_data"
    # A participant may not scan.
    app.post_json("/api/scan/validate/", {"qr_data": str(me.id)}, headers=f.auth(me, w.event), status=403)


def test_the_ticket_rule_costs_one_statement_per_scan(make_app, f, count_queries):
    """The billetterie's access hook adds exactly one statement to a scan (the holder's
    tickets with their types), whether or not the holder has tickets."""
    only = make_app(**{"makeplus.plugins": "billetterie"})
    core = make_app(**{"makeplus.plugins": ""})
    w = make_world(only, f)
    me = f.member(w.event, "participant")
    buy(only, w, ("Me", me.email), headers=f.auth(me, w.event))
    nobody = f.member(w.event, "participant")
    for holder in (me, nobody):
        url = f"/api/rooms/{w.hall.id}/verify_access/"
        core.post_json(url, {"qr_data": str(holder.id)}, headers=w.ch, status=200)  # first entry: admission
        with count_queries() as base:
            core.post_json(url, {"qr_data": str(holder.id)}, headers=w.ch, status=200)
        with count_queries() as q:
            only.post_json(url, {"qr_data": str(holder.id)}, headers=w.ch, status=200)
        assert q.count == base.count + 1, q.statements


def test_holders_without_tickets_keep_the_one_statement_door(make_app, f, db, count_queries):
    """billetterie's access gate (makeplus_access_gates): on PostgreSQL a holder without a
    ticket for the event is granted by the core's one statement; a ticket holder's scan
    asks the hook."""
    only = make_app(**{"makeplus.plugins": "billetterie"})
    w = make_world(only, f)
    me = f.member(w.event, "participant")
    buy(only, w, ("Me", me.email), headers=f.auth(me, w.event))
    nobody = f.member(w.event, "participant")
    url = f"/api/rooms/{w.hall.id}/verify_access/"

    def badge(u):
        return json.dumps({"user_id": u.id, "badge_id": u.badge_id})

    only.post_json(url, {"qr_data": badge(nobody)}, headers=w.ch, status=200)  # first entry: admission
    only.post_json(url, {"qr_data": badge(me)}, headers=w.ch, status=200)
    with count_queries() as free:
        only.post_json(url, {"qr_data": badge(nobody)}, headers=w.ch, status=200)
    with count_queries() as holder:
        only.post_json(url, {"qr_data": badge(me)}, headers=w.ch, status=200)
    if db.get_bind().dialect.name == "postgresql":
        assert free.count == 1, free.statements
        assert holder.count > 1, holder.statements  # the Python path, with the hook's statement
    else:
        assert holder.count == free.count, (free.statements, holder.statements)
