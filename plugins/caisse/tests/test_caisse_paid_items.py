"""Issue 17: extras sold at a desk appear in the scanner's paid_items (makeplus_paid_items),
and a room linked to a ticket item (the dinner hall) admits only its buyers."""
import json

from helpers import make_world, sell

from makeplus_core.plugin_api import CONTROLLEUR


def qr(user):
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id})


def scan(app, f, w, ctrl):
    return app.post_json("/api/participants/scan/", {"qr_data": qr(w.buyer_user)}, headers=f.auth(ctrl, w.event)).json


def test_extras_bought_at_the_desk_are_paid_items_with_type_and_amount(app, f):
    w = make_world(app, f)
    ctrl = f.member(w.event, CONTROLLEUR)
    goodies = app.post_json("/api/caisse/items/", {"item_type": "other", "name": "Goodies", "price": "500.00"},
                            headers=w.gh, status=201).json
    before = scan(app, f, w, ctrl)
    assert before["paid_items"] == [] and before["total_amount"] == 0
    sell(app, w, [w.dinner["id"], w.atelier_item["id"]])
    t2 = sell(app, w, [goodies["id"]]).json
    body = scan(app, f, w, ctrl)
    by_title = {i["title"]: i for i in body["paid_items"]}
    assert set(by_title) == {"Atelier Python", "Dîner", "Goodies"}  # the atelier once (core), extras (caisse)
    assert by_title["Dîner"]["type"] == "dinner" and by_title["Dîner"]["amount_paid"] == 3500.0
    assert by_title["Dîner"]["payment_status"] == "paid" and by_title["Dîner"]["has_access"] is True
    assert by_title["Dîner"]["id"] == w.dinner["id"] and by_title["Dîner"]["session_id"] == ""
    assert by_title["Goodies"]["type"] == "other" and isinstance(by_title["Goodies"]["amount_paid"], float)
    assert by_title["Atelier Python"]["type"] == "session" and by_title["Atelier Python"]["amount_paid"] == 6000.0
    assert body["total_paid_items"] == 3 and body["total_amount"] == 6000.0 + 3500.0 + 500.0
    # the badge of the holder carries them too (login / me)
    me = app.get("/api/auth/me/", headers=f.auth(w.buyer_user, w.event)).json
    assert {i["title"] for i in me["qr_code"]["paid_items"]} == {"Atelier Python", "Dîner", "Goodies"}
    # a cancelled sale is no longer paid
    app.post_json(f"/api/caisse/pos/transactions/{t2['id']}/cancel/", {"reason": "Erreur"}, headers=w.ch)
    assert "Goodies" not in {i["title"] for i in scan(app, f, w, ctrl)["paid_items"]}


def test_plugin_switched_off_for_the_event_contributes_nothing(app, f):
    w = make_world(app, f)
    ctrl = f.member(w.event, CONTROLLEUR)
    sell(app, w, [w.dinner["id"]])
    admin = f.user(is_admin=True)
    app.patch_json(f"/api/events/{w.event.id}/", {"modules": {"caisse": False}}, headers=f.auth(admin, w.event))
    assert scan(app, f, w, ctrl)["paid_items"] == []


def test_dinner_door_checks_the_ticket_by_scan(app, f):
    w = make_world(app, f)
    ctrl = f.member(w.event, CONTROLLEUR)
    hall = f.room(w.event, name="Salle du dîner")
    r = app.patch_json(f"/api/caisse/items/{w.dinner['id']}/", {"room": str(hall.id)}, headers=w.gh).json
    assert r["room"] == str(hall.id) and r["room_name"] == "Salle du dîner"
    h = f.auth(ctrl, w.event)
    url = f"/api/rooms/{hall.id}/verify_access/"
    denied = app.post_json(url, {"qr_data": qr(w.buyer_user)}, headers=h, status=402).json
    assert denied["reason"] == "ticket_required" and denied["layer"] == "caisse" and "Dîner" in denied["message"]
    t = sell(app, w, [w.dinner["id"]]).json
    assert app.post_json(url, {"qr_data": qr(w.buyer_user)}, headers=h).json["status"] == "granted"
    # other rooms need no ticket
    app.post_json(f"/api/rooms/{w.room.id}/verify_access/", {"qr_data": qr(w.buyer_user)}, headers=h, status=200)
    other = f.member(w.event, "participant")
    app.post_json(url, {"qr_data": qr(other)}, headers=h, status=402)
    # refunded: refused again; the journal says why
    app.post_json(f"/api/caisse/pos/transactions/{t['id']}/cancel/", {"reason": "Remboursé"}, headers=w.ch)
    app.post_json(url, {"qr_data": qr(w.buyer_user)}, headers=h, status=402)
    journal = app.get("/api/room-access/", {"room": str(hall.id), "reason": "ticket_required"}, headers=w.gh).json
    assert journal["count"] == 3
    # unlinking the item (or deactivating it) frees the door
    app.patch_json(f"/api/caisse/items/{w.dinner['id']}/", {"room": None}, headers=w.gh)
    app.post_json(url, {"qr_data": qr(other)}, headers=h, status=200)


def test_item_room_validation(app, f):
    w = make_world(app, f)
    other = f.event()
    foreign = f.room(other)
    for body in ({"room": "nope"}, {"room": str(foreign.id)}):
        r = app.patch_json(f"/api/caisse/items/{w.dinner['id']}/", body, headers=w.gh, status=400).json
        assert r["field"] == "room"
    r = app.patch_json(f"/api/caisse/items/{w.atelier_item['id']}/", {"room": str(w.room.id)}, headers=w.gh,
                       status=400).json
    assert r["field"] == "room"
    r = app.post_json("/api/caisse/items/", {"item_type": "dinner", "name": "Gala", "price": "1.00",
                                             "room": str(w.room.id)}, headers=w.gh, status=201).json
    assert r["room"] == str(w.room.id)


def test_a_pending_self_registration_is_paid_at_the_desk(app, f):
    import datetime as dt

    from makeplus_core.plugin_api import utcnow

    w = make_world(app, f)
    later = f.session(w.event, w.room, title="Atelier demain", session_type="atelier", is_paid=True,
                      price="2500.00", start=utcnow() + dt.timedelta(hours=5), capacity=3)
    ph = f.auth(w.buyer_user, w.event)
    r = app.post_json(f"/api/sessions/{later.id}/register/", {}, headers=ph, status=201).json
    assert r["status"] == "pending"
    item = next(i for i in app.get("/api/caisse/items/", headers=w.gh).json["results"]
                if i["session"] == str(later.id))
    sell(app, w, [item["id"]])
    mine = app.get(f"/api/sessions/{later.id}/register/", headers=ph).json
    assert mine["status"] == "confirmed" and mine["registration"]["payment_status"] == "paid"
    assert mine["registration"]["id"] == r["registration"]["id"]  # the same registration, now paid
    app.delete(f"/api/sessions/{later.id}/register/", headers=ph, status=409)  # refunded at the desk only


def test_the_door_ticket_check_costs_nothing_where_no_ticket_is_needed(app, make_app, f, db, count_queries):
    """caisse's access gate (makeplus_access_gates): on PostgreSQL a room without a ticket item
    keeps the core's one-statement granted scan; elsewhere (SQLite, or a room with a ticket
    item) the hook's one SELECT is asked."""
    w = make_world(app, f)
    ctrl = f.member(w.event, CONTROLLEUR)
    hall = f.room(w.event, name="Hall libre", capacity=None)
    core = make_app(**{"makeplus.plugins": ""})
    caisse_only = make_app(**{"makeplus.plugins": "caisse"})
    h = f.auth(ctrl, w.event)
    url = f"/api/rooms/{hall.id}/verify_access/"
    with count_queries() as bare:
        core.post_json(url, {"qr_data": qr(w.buyer_user)}, headers=h, status=200)
    with count_queries() as with_caisse:
        caisse_only.post_json(url, {"qr_data": qr(w.buyer_user)}, headers=h, status=200)
    if db.get_bind().dialect.name == "postgresql":
        assert bare.count == with_caisse.count == 1, with_caisse.statements
    else:
        assert with_caisse.count == bare.count + 1, with_caisse.statements
    # the dinner hall (a ticket item linked): the hook decides, on every database
    dinner = f.room(w.event, name="Salle du dîner")
    app.patch_json(f"/api/caisse/items/{w.dinner['id']}/", {"room": str(dinner.id)}, headers=w.gh)
    caisse_only.post_json(f"/api/rooms/{dinner.id}/verify_access/", {"qr_data": qr(w.buyer_user)}, headers=h,
                          status=402)
