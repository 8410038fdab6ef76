"""Demo caisse on the first demo event (idempotent).

``caisse@makeplus.demo`` / the demo password; items: the paid ateliers (synced from
the sessions) and a gala dinner; a few sales (one cancelled). The sales use fixed
idempotency keys, so loading the demo twice records them once.
"""
import decimal

import sqlalchemy as sa

from makeplus_core.plugin_api import Participant, passwords

from . import services
from .models import Caisse, Item

EMAIL = "caisse@makeplus.demo"
DINNER = "Dîner de gala"


def load(db, demo):
    event = demo.events[0]
    caisse = db.scalar(sa.select(Caisse).where(Caisse.email == EMAIL))
    if caisse is None:
        caisse = Caisse(event_id=event.id, name="Caisse Accueil", email=EMAIL,
                        password_hash=passwords.hash_password(demo.password))
        db.add(caisse)
        db.flush()
    services.sync_event_items(db, event.id)
    dinner = db.scalar(sa.select(Item).where(Item.event_id == event.id, Item.name == DINNER))
    if dinner is None:
        dinner = Item(event_id=event.id, item_type="dinner", name=DINNER, price=decimal.Decimal("3500.00"),
                      description="Dîner de gala du premier soir, Hôtel El Aurassi", capacity=200)
        db.add(dinner)
        db.flush()
    by_title = {i.name: i for i in db.scalars(sa.select(Item).where(Item.event_id == event.id))}
    pitch = by_title.get("Atelier Pitch Deck & Levée de Fonds")

    def participant(email):
        user = demo.users.get(email)
        return db.scalar(sa.select(Participant).where(Participant.user_id == user.id,
                                                      Participant.event_id == event.id)) if user else None

    sara, ahmed, karim = (participant("participant2@makeplus.demo"), participant("participant@makeplus.demo"),
                          participant("multi@makeplus.demo"))
    sales = [
        ("demo-1", sara, [pitch, dinner], "cash", "Vente démo"),
        ("demo-2", ahmed, [dinner], "bank_transfer", "Virement reçu"),
        ("demo-3", karim, [pitch], "cash", "Vente démo annulée ensuite"),
    ]
    for key, who, items, method, notes in sales:
        if who is None or any(i is None for i in items):
            continue
        if services.find_by_key(db, caisse.id, key) is not None:
            continue
        txn, _ = services.sell(db, caisse, who.id, [str(i.id) for i in items], method, notes, idempotency_key=key)
        if key == "demo-3":
            services.cancel(db, caisse, txn.id, "Le participant a changé d'avis")
    db.flush()
