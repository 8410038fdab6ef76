"""Billetterie after the sale: transfers, upgrades, refunds, comp tickets, staff lists,
resends and exports, on-site orders."""
import io
import re
import uuid

import openpyxl
import sqlalchemy as sa
from bhelpers import buy, make_world, order_body, scalar, user_by_email

from makeplus_billetterie.models import TicketType
from makeplus_core.plugin_api import Participant, SessionAccess
from makeplus_core.testing import assert_text_cells


def _access(db, user, event, session):
    pid = scalar(db, sa.select(Participant.id).where(Participant.user_id == user.id, Participant.event_id == event.id))
    return scalar(db, sa.select(SessionAccess).where(SessionAccess.participant_id == pid,
                                                     SessionAccess.session_id == session.id)
                  .execution_options(populate_existing=True))


def _code(box):
    return re.search(r"\n\n([A-Za-z0-9_-]{20,})\n\n", box[-1].body).group(1)


def test_transfer_offer_accept_moves_access(app, f, db):
    w = make_world(app, f)
    old = f.member(w.event, "participant")
    oh = f.auth(old, w.event)
    buy(app, w, ("Old Holder", old.email), type_id=w.vip["id"], headers=oh)
    ticket = app.get("/api/tickets/my/", headers=oh).json["results"][0]
    assert _access(db, old, w.event, w.atelier).has_access
    box = app.app.registry.makeplus.mailer.outbox
    box.clear()
    r = app.post_json("/api/tickets/transfers/create/", {"ticket": ticket["id"], "email": old.email}, headers=oh,
                      status=400)
    assert r.json["field"] == "email"
    tr = app.post_json("/api/tickets/transfers/create/", {"ticket": ticket["id"], "email": "new@example.org",
                                                          "name": "New Holder"}, headers=oh, status=201).json
    assert tr["status"] == "pending" and box[-1].recipients == ["new@example.org"]
    code = _code(box)
    app.post_json("/api/tickets/transfers/create/", {"ticket": ticket["id"], "email": "x@example.org"}, headers=oh,
                  status=409)
    # Still the old holder's until accepted.
    app.post_json(f"/api/rooms/{w.hall.id}/verify_access/", {"qr_data": str(old.id)}, headers=w.ch, status=200)
    app.post_json("/api/tickets/transfers/accept/", {"code": "wrong"}, status=404)
    new_ticket = app.post_json("/api/tickets/transfers/accept/", {"code": code}).json
    assert new_ticket["status"] == "valid" and new_ticket["attendee_email"] == "new@example.org"
    new = user_by_email(db, "new@example.org")
    # The old holder is denied with the reason, the new one admitted with the atelier paid.
    r = app.post_json(f"/api/rooms/{w.hall.id}/verify_access/", {"qr_data": str(old.id)}, headers=w.ch, status=403)
    assert r.json["reason"] == "ticket_transferred"
    app.post_json(f"/api/rooms/{w.hall.id}/verify_access/", {"qr_data": str(new.id)}, headers=w.ch, status=200)
    assert not _access(db, old, w.event, w.atelier).has_access
    assert _access(db, new, w.event, w.atelier).has_access
    app.post_json("/api/tickets/transfers/accept/", {"code": code}, status=404)  # used once
    assert app.get("/api/tickets/my/", headers=oh).json["results"][0]["status"] == "transferred"


def test_transfer_cancel_and_rules(app, f):
    w = make_world(app, f)
    me = f.member(w.event, "participant")
    h = f.auth(me, w.event)
    buy(app, w, ("Me", me.email), headers=h)
    ticket = app.get("/api/tickets/my/", headers=h).json["results"][0]
    box = app.app.registry.makeplus.mailer.outbox
    tr = app.post_json("/api/tickets/transfers/create/", {"ticket": ticket["id"], "email": "n@example.org"},
                       headers=h, status=201).json
    code = _code(box)
    someone = f.auth(f.member(w.event, "participant"), w.event)
    app.post_json(f"/api/tickets/transfers/{tr['id']}/cancel/", headers=someone, status=404)
    assert app.post_json(f"/api/tickets/transfers/{tr['id']}/cancel/", headers=h).json["status"] == "cancelled"
    app.post_json(f"/api/tickets/transfers/{tr['id']}/cancel/", headers=h, status=409)
    app.post_json("/api/tickets/transfers/accept/", {"code": code}, status=404)
    assert app.get("/api/tickets/transfers/", headers=h).json["results"][0]["status"] == "cancelled"
    # A logged-in user who is not the recipient cannot accept.
    app.post_json("/api/tickets/transfers/create/", {"ticket": ticket["id"], "email": "n@example.org"}, headers=h,
                  status=201)
    r = app.post_json("/api/tickets/transfers/accept/", {"code": _code(box)}, headers=someone, status=403)
    assert r.json["field"] == "code"
    # Someone else's ticket: 404; a non-transferable type: 403.
    app.post_json("/api/tickets/transfers/create/", {"ticket": ticket["id"], "email": "z@example.org"},
                  headers=someone, status=404)
    app.patch_json(f"/api/billetterie/ticket-types/{w.vip['id']}/", {"transferable": False}, headers=w.gh)
    other = f.member(w.event, "participant")
    oh = f.auth(other, w.event)
    buy(app, w, ("Other", other.email), type_id=w.vip["id"], headers=oh)
    vip_ticket = app.get("/api/tickets/my/", headers=oh).json["results"][0]
    app.post_json("/api/tickets/transfers/create/", {"ticket": vip_ticket["id"], "email": "q@example.org"},
                  headers=oh, status=403)


def test_upgrade_pays_the_difference(app, f, db):
    w = make_world(app, f)
    me = f.member(w.event, "participant")
    h = f.auth(me, w.event)
    buy(app, w, ("Me", me.email), headers=h)
    ticket = app.get("/api/tickets/my/", headers=h).json["results"][0]
    # The VIP room is not included yet.
    app.post_json(f"/api/rooms/{w.vip_room.id}/verify_access/", {"qr_data": str(me.id)}, headers=w.ch, status=403)
    order = app.post_json("/api/tickets/upgrades/create/", {"ticket": ticket["id"], "to_type": w.vip["id"]},
                          headers=h, status=201).json
    assert order["kind"] == "upgrade" and order["total"] == "7000.00" and order["status"] == "pending"
    paid = app.post_json("/api/payments/checkout/confirm/", {"order": order["id"]}, headers=h).json
    assert paid["status"] == "paid"
    after = app.get(f"/api/tickets/{ticket['id']}/", headers=h).json
    assert after["ticket_type"]["name"] == "VIP" and after["price"] == "12000.00"
    assert _access(db, me, w.event, w.atelier).has_access
    app.post_json(f"/api/rooms/{w.vip_room.id}/verify_access/", {"qr_data": str(me.id)}, headers=w.ch, status=200)
    assert app.get("/api/tickets/upgrades/", headers=h).json["count"] == 1
    taken = {t.name: t.taken for t in db.scalars(sa.select(TicketType).where(TicketType.event_id == w.event.id))}
    db.commit()
    assert taken == {"Standard": 0, "VIP": 1}
    # VIP cannot be upgraded further (not listed), nor downgraded.
    r = app.post_json("/api/tickets/upgrades/create/", {"ticket": ticket["id"], "to_type": w.standard["id"]},
                      headers=h, status=403)
    assert r.json["field"] == "to_type"


def test_staff_upgrade_free_and_refund_partial(app, f, db):
    w = make_world(app, f)
    me = f.member(w.event, "participant")
    h = f.auth(me, w.event)
    order = buy(app, w, ("Me", me.email), headers=h)
    ticket = order["tickets"][0]
    up = app.post_json("/api/tickets/staff/upgrade/", {"ticket": ticket["id"], "to_type": w.vip["id"]},
                       headers=w.gh, status=201).json
    assert up["status"] == "paid" and up["total"] == "0.00"
    assert app.get(f"/api/tickets/{ticket['id']}/", headers=h).json["ticket_type"]["name"] == "VIP"
    # Partial refund: the ticket still opens doors; the rest: it does not.
    r = app.post_json("/api/tickets/staff/refund/", {"order": order["id"], "amount": "1000.00", "reason": "Goodwill"},
                      headers=w.gh).json
    assert r["status"] == "partially_refunded" and r["refunded_amount"] == "1000.00"
    app.post_json(f"/api/rooms/{w.hall.id}/verify_access/", {"qr_data": str(me.id)}, headers=w.ch, status=200)
    r = app.post_json("/api/tickets/staff/refund/", {"order": order["id"], "amount": "99999.00", "reason": "x"},
                      headers=w.gh, status=400)
    assert r.json["field"] == "amount"
    r = app.post_json("/api/tickets/staff/refund/", {"order": order["id"], "reason": ""}, headers=w.gh, status=400)
    assert r.json["field"] == "reason"
    r = app.post_json("/api/tickets/staff/refund/", {"order": order["id"], "reason": "Cancelled"}, headers=w.gh).json
    assert r["status"] == "refunded" and r["tickets"][0]["status"] == "refunded"
    assert not _access(db, me, w.event, w.atelier).has_access
    r = app.post_json(f"/api/rooms/{w.hall.id}/verify_access/", {"qr_data": str(me.id)}, headers=w.ch, status=403)
    assert r.json["reason"] == "ticket_refunded"
    app.post_json("/api/tickets/staff/refund/", {"order": order["id"], "reason": "again"}, headers=w.gh, status=409)
    # Only gestionnaires; another event's order is 404.
    app.post_json("/api/tickets/staff/refund/", {"order": order["id"], "reason": "x"}, headers=h, status=403)
    other = f.event()
    og = f.auth(f.member(other, "gestionnaire_des_salles"), other)
    app.post_json("/api/tickets/staff/refund/", {"order": order["id"], "reason": "x"}, headers=og, status=404)


def test_refund_one_ticket_of_an_order(app, f):
    w = make_world(app, f)
    order = buy(app, w, ("A", "a@example.org"), ("B", "b@example.org"), buyer={"email": "buyer@example.org"})
    first = order["tickets"][0]
    r = app.post_json("/api/tickets/staff/refund/", {"order": order["id"], "ticket": first["id"],
                                                     "reason": "Ill"}, headers=w.gh).json
    assert r["refund"]["amount"] == "5000.00" and r["status"] == "partially_refunded"
    statuses = {t["id"]: t["status"] for t in r["tickets"]}
    assert statuses[first["id"]] == "refunded" and list(statuses.values()).count("valid") == 1
    left = {t["name"]: t["remaining"] for t in app.get(f"/api/tickets/types/?event={w.event.id}").json["results"]}
    assert left["Standard"] == 99


def test_comp_tickets(app, f, db):
    w = make_world(app, f)
    box = app.app.registry.makeplus.mailer.outbox
    box.clear()
    r = app.post_json("/api/tickets/staff/comp/", {"ticket_type": w.vip["id"], "reason": "Speaker",
                                                   "attendees": [{"name": "Dr Speaker", "email": "dr@example.org"}]},
                      headers=w.gh, status=201).json
    assert r["kind"] == "comp" and r["status"] == "paid" and r["total"] == "0.00"
    assert r["tickets"][0]["status"] == "valid" and r["tickets"][0]["price"] == "0.00"
    assert any(m.recipients == ["dr@example.org"] and "votre billet" in m.subject for m in box)
    speaker = user_by_email(db, "dr@example.org")
    assert _access(db, speaker, w.event, w.atelier).has_access
    r = app.post_json("/api/tickets/staff/comp/", {"ticket_type": w.vip["id"], "reason": "",
                                                   "attendees": [{"name": "X", "email": "x@example.org"}]},
                      headers=w.gh, status=400)
    assert r.json["field"] == "reason"
    app.post_json("/api/tickets/staff/comp/", {"ticket_type": w.vip["id"], "reason": "x",
                                               "attendees": [{"name": "X", "email": "x@example.org"}]},
                  headers=f.auth(f.member(w.event, "participant"), w.event), status=403)


def test_staff_list_search_resend_export(app, f):
    w = make_world(app, f)
    o1 = buy(app, w, ("Amina Kaci", "amina@example.org"), buyer={"email": "karim@example.org", "name": "Karim"})
    buy(app, w, ("Yacine", "yacine@example.org"), buyer={"email": "other@example.org"})
    orders = app.get("/api/tickets/staff/orders/", headers=w.gh).json
    assert orders["count"] == 2
    found = app.get("/api/tickets/staff/orders/?q=amina", headers=w.gh).json["results"]
    assert [o["id"] for o in found] == [o1["id"]]
    assert app.get(f"/api/tickets/staff/orders/?q={o1['invoice_number']}", headers=w.gh).json["count"] == 1
    assert app.get(f"/api/tickets/staff/orders/{o1['id']}/", headers=w.gh).json["buyer_email"] == "karim@example.org"
    box = app.app.registry.makeplus.mailer.outbox
    box.clear()
    assert app.post_json("/api/tickets/staff/resend-tickets/", {"order": o1["id"]}, headers=w.gh).json["sent"] == 1
    assert app.post_json("/api/tickets/staff/resend-invoice/", {"order": o1["id"]}, headers=w.gh).json["sent"] == 1
    assert [m.recipients for m in box] == [["amina@example.org"], ["karim@example.org"]]
    r = app.get("/api/tickets/staff/export/", headers=w.gh)
    assert r.content_type.startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(r.body))
    assert book.sheetnames == ["Orders", "Attendees"]
    assert_text_cells(r.body, ["amina@example.org", "karim@example.org", o1["invoice_number"]])
    app.get("/api/tickets/staff/orders/", headers=f.auth(f.member(w.event, "participant"), w.event), status=403)


def test_onsite_order_completed_by_staff(app, f):
    w = make_world(app, f)
    me = f.member(w.event, "participant")
    h = f.auth(me, w.event)
    order = app.post_json("/api/payments/checkout/create-intent/", order_body(w, ("Me", me.email), provider="onsite"),
                          headers=h, status=201).json
    assert order["payment"]["pay_at"] == "cash desk"
    # The buyer cannot mark it paid.
    assert app.post_json("/api/payments/checkout/confirm/", {"order": order["id"]}, headers=h,
                         status=202).json["status"] == "pending"
    test_order = buy(app, w, ("Other", "other@example.org"), buyer={"email": "o@example.org"})
    app.post_json(f"/api/tickets/staff/orders/{test_order['id']}/mark-paid/", headers=w.gh, status=409)
    paid = app.post_json(f"/api/tickets/staff/orders/{order['id']}/mark-paid/", headers=w.gh).json
    assert paid["status"] == "paid"
    app.post_json(f"/api/rooms/{w.hall.id}/verify_access/", {"qr_data": str(me.id)}, headers=w.ch, status=200)


def test_cancel_my_pending_order(app, f):
    w = make_world(app, f, quantity=1)
    me = f.member(w.event, "participant")
    h = f.auth(me, w.event)
    order = app.post_json("/api/payments/checkout/create-intent/", order_body(w, ("Me", me.email)), headers=h,
                          status=201).json
    assert app.post_json(f"/api/orders/{order['id']}/cancel/", headers=h).json["status"] == "cancelled"
    app.post_json(f"/api/orders/{order['id']}/cancel/", headers=h, status=409)
    left = {t["name"]: t["remaining"] for t in app.get(f"/api/tickets/types/?event={w.event.id}").json["results"]}
    assert left["Standard"] == 1
    app.post_json(f"/api/orders/{uuid.uuid4()}/cancel/", headers=h, status=404)


def test_comp_ticket_can_be_revoked(app, f):
    w = make_world(app, f)
    r = app.post_json("/api/tickets/staff/comp/", {"ticket_type": w.standard["id"], "reason": "Press",
                                                   "attendees": [{"name": "Journalist", "email": "j@example.org"},
                                                                 {"name": "Camera", "email": "c@example.org"}]},
                      headers=w.gh, status=201).json
    first = r["tickets"][0]
    out = app.post_json("/api/tickets/staff/refund/", {"order": r["id"], "ticket": first["id"], "amount": "0",
                                                       "reason": "Not coming"}, headers=w.gh).json
    statuses = {t["id"]: t["status"] for t in out["tickets"]}
    assert statuses[first["id"]] == "refunded" and list(statuses.values()).count("valid") == 1
    assert out["status"] == "partially_refunded"
    out = app.post_json("/api/tickets/staff/refund/", {"order": r["id"], "reason": "Event press pass withdrawn"},
                        headers=w.gh).json
    assert out["status"] == "refunded" and {t["status"] for t in out["tickets"]} == {"refunded"}
