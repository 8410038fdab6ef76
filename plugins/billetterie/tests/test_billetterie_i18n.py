"""French first (issue 18) for the billetterie: its dashboard pages (catalog, Babel money),
its mails (French by default, README "Languages"), its API error messages and the door's
(``Accept-Language: fr``; codes and fields unchanged)."""
import sqlalchemy as sa
from bhelpers import buy, make_world, order_body

from makeplus_core.plugin_api import Event
from makeplus_dashboard.testing import login


def _plain(text):
    return text.replace("\xa0", " ").replace("\u202f", " ")


def test_dashboard_pages_are_french_with_french_money_and_english_on_request(app, f):
    w = make_world(app, f)
    order = buy(app, w, ("Amina", "amina@example.org"), buyer={"email": "karim@example.org"})
    login(app, w.gest.email)
    base = f"/dashboard/events/{w.event.id}/billetterie"
    types = _plain(app.get(f"{base}/types/").text)
    assert "Types de billets" in types and "Nouveau type de billet" in types and "Visible dans la boutique" in types
    assert "5 000,00 DZD" in types and "en vente" in types
    orders = _plain(app.get(f"{base}/orders/").text)
    assert "Commandes de billets" in orders and "1 billets valides, 0 remboursés" in orders
    detail = _plain(app.get(f"{base}/orders/{order['id']}/").text)
    assert f"Commande {order['invoice_number']}" in detail and "total 5 000,00 DZD" in detail
    assert "Toute la commande" in detail and "Montant (vide : tout ce qui reste)" in detail
    english = _plain(app.get(f"{base}/types/?lang=en").text)
    assert "Ticket types" in english and "DZD5,000.00" in english and "Types de billets" not in english


def test_mails_are_french_by_default(app, f):
    w = make_world(app, f)
    box = app.app.registry.makeplus.mailer.outbox
    box.clear()
    buy(app, w, ("Amina", "amina@example.org"), buyer={"email": "karim@example.org"})
    ticket = next(m for m in box if m.recipients == ["amina@example.org"] and "votre billet" in m.subject)
    assert "Bonjour Amina," in ticket.body and "un QR par personne" in ticket.body
    confirmation = next(m for m in box if "commande INV-" in m.subject)
    assert "Merci pour votre commande" in confirmation.body and "5 000,00 DZD" in _plain(confirmation.body)
    # The contact form writes to the organisers: French too.
    box.clear()
    app.post_json("/api/config/contact/", {"event": str(w.event.id), "name": "Visiteur", "email": "v@example.org",
                                                 "subject": "Parking?", "message": "Où se garer ?"},
                  headers={"Accept-Language": "en"}, status=202)
    assert "Message envoyé depuis la billetterie" in box[-1].body and "contact : Parking?" in box[-1].subject


def test_confirmation_follows_the_buyer_and_tickets_the_event_language(app, f, db):
    w = make_world(app, f)
    box = app.app.registry.makeplus.mailer.outbox
    box.clear()
    # The buyer asked in English: their own confirmation is English, the attendee's ticket stays French.
    buy(app, w, ("Amina", "amina@example.org"), buyer={"email": "karim@example.org"}, headers={"Accept-Language": "en"})
    confirmation = next(m for m in box if m.recipients == ["karim@example.org"] and "INV-" in m.subject)
    assert "Thank you for your order" in confirmation.body and "DZD5,000.00" in _plain(confirmation.body)
    assert any(m.recipients == ["amina@example.org"] and "votre billet" in m.subject for m in box)
    # An event that names English in its metadata: its ticket mails are English.
    db.execute(sa.update(Event).where(Event.id == w.event.id).values(meta={"language": "en"}))
    db.commit()
    box.clear()
    buy(app, w, ("Yacine", "yacine@example.org"), buyer={"email": "karim@example.org"})
    ticket = next(m for m in box if m.recipients == ["yacine@example.org"] and "ticket" in m.subject)
    assert "your ticket" in ticket.subject and "Hello Yacine," in ticket.body


def test_billetterie_and_door_errors_follow_accept_language(app, f):
    w = make_world(app, f)
    body = order_body(w, buyer={"email": "karim@example.org"})
    en = app.post_json("/api/payments/checkout/create-intent/", body, status=400).json
    fr = app.post_json("/api/payments/checkout/create-intent/", body, headers={"Accept-Language": "fr"},
                       status=400).json
    assert en["message"] == "items: order at least one ticket"
    assert fr["message"] == "items: commandez au moins un billet"
    assert en["error"] == fr["error"] and en["field"] == fr["field"] == "items" and set(en) == set(fr)
    missing = "/api/orders/00000000-0000-4000-8000-000000000000/"
    fr = app.get(missing, headers={**w.gh, "Accept-Language": "fr"}, status=404).json
    assert fr["message"] == "Commande introuvable" and fr["error"] == "not_found"
    # The door's scan journal
    url = "/api/room-access/?from=2026-03-10&to=2026-03-01"
    en = app.get(url, headers=w.gh, status=400).json
    fr = app.get(url, headers={**w.gh, "Accept-Language": "fr"}, status=400).json
    assert en["message"] == "to: must not be before from" and fr["message"] == "to: ne doit pas précéder from"
    assert en["field"] == fr["field"] == "to" and en["error"] == fr["error"]
