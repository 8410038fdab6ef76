"""Shared arrangements of the billetterie tests."""
import decimal

import sqlalchemy as sa

from makeplus_core.plugin_api import CONTROLLEUR, GESTIONNAIRE


class World:
    pass


def make_world(app, f, quantity=100, price="5000.00"):
    w = World()
    w.event = f.event(organizer_email="orga@example.org")
    w.gest = f.member(w.event, GESTIONNAIRE)
    w.gh = f.auth(w.gest, w.event)
    w.ctrl = f.member(w.event, CONTROLLEUR)
    w.ch = f.auth(w.ctrl, w.event)
    w.hall = f.room(w.event, name="Hall")
    w.vip_room = f.room(w.event, name="Salon VIP")
    w.atelier = f.session(w.event, w.hall, title="Atelier Python", session_type="atelier", is_paid=True,
                          price=decimal.Decimal("6000.00"))
    w.standard = app.post_json("/api/billetterie/ticket-types/", {
        "name": "Standard", "price": price, "quantity": quantity, "room_ids": [str(w.hall.id)]},
        headers=w.gh, status=201).json
    w.vip = app.post_json("/api/billetterie/ticket-types/", {
        "name": "VIP", "price": "12000.00", "quantity": 10, "session_ids": [str(w.atelier.id)]},
        headers=w.gh, status=201).json
    app.patch_json(f"/api/billetterie/ticket-types/{w.standard['id']}/", {"upgradable_to": [w.vip["id"]]},
                   headers=w.gh, status=200)
    return w


def order_body(w, *attendees, type_id=None, provider="test", buyer=None):
    body = {"event": str(w.event.id), "provider": provider,
            "items": [{"ticket_type": type_id or w.standard["id"], "attendee": {"name": n, "email": e}}
                      for n, e in attendees]}
    if buyer:
        body["buyer"] = buyer
    return body


def buy(app, w, *attendees, headers=None, outcome="success", **kw):
    """Order and pay with the test provider; returns the paid order JSON."""
    order = app.post_json("/api/payments/checkout/create-intent/", order_body(w, *attendees, **kw),
                          headers=headers or {}, status=201).json
    confirm = {"order": order["id"], "outcome": outcome}
    if order.get("token"):
        confirm["token"] = order["token"]
    return app.post_json("/api/payments/checkout/confirm/", confirm, headers=headers or {}).json


def scalar(db, stmt):
    value = db.scalar(stmt)
    db.commit()
    return value


def user_by_email(db, email):
    from makeplus_core.plugin_api import User

    return scalar(db, sa.select(User).where(User.email == email))
