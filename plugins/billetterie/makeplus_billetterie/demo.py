"""Demo ticket types on the first demo event (idempotent: looked up by name).

Three types sold with the ``test`` payment provider (development.ini lists it): a day
pass, a full pass that includes the event's paid ateliers, and a VIP pass; the day
pass may be upgraded to the full pass, the full pass to VIP.
"""
import decimal

import sqlalchemy as sa

from makeplus_core.plugin_api import Session

from .models import TicketType

TYPES = (
    ("Pass Journée", "Accès aux conférences d'une journée", "2500.00", 300),
    ("Pass Complet", "Toutes les conférences et les ateliers payants", "8000.00", 150),
    ("Pass VIP", "Pass complet, salon VIP et dîner de gala", "20000.00", 20),
)


def load(db, demo):
    event = demo.events[0]
    paid = [str(s) for s in db.scalars(sa.select(Session.id).where(Session.event_id == event.id,
                                                                   Session.is_paid.is_(True)).order_by(Session.id))]
    rows = {}
    for name, description, price, quantity in TYPES:
        obj = db.scalar(sa.select(TicketType).where(TicketType.event_id == event.id, TicketType.name == name))
        if obj is None:
            obj = TicketType(event_id=event.id, name=name, description=description, price=decimal.Decimal(price),
                             currency="DZD", quantity=quantity, per_order_limit=10,
                             session_ids=paid if name != "Pass Journée" else [])
            db.add(obj)
            db.flush()
        rows[name] = obj
    if not rows["Pass Journée"].upgradable_to:
        rows["Pass Journée"].upgradable_to = [str(rows["Pass Complet"].id), str(rows["Pass VIP"].id)]
        rows["Pass Complet"].upgradable_to = [str(rows["Pass VIP"].id)]
    db.flush()
