"""What a badge holder has paid for in an event (the app's ``paid_items``).

The core lists the holder's paid-atelier rights (``SessionAccess``); every enabled
plugin adds its own through the ``makeplus_paid_items`` hook (``caisse``: dinners,
goodies and other extras sold at a desk). Amounts are JSON numbers (the app parses them
as numbers).
"""
from __future__ import annotations

import functools

import sqlalchemy as sa

from ..participants.models import Participant
from ..sessions.models import Session
from .models import SessionAccess


@functools.cache
def _core_paid_items_statement():
    """Built once (only the parameters change): the columns the items need, no ORM entity."""
    return (sa.select(SessionAccess.payment_status, SessionAccess.amount_paid, SessionAccess.has_access,
                      Session.title, Session.id)
            .join(Participant, Participant.id == SessionAccess.participant_id)
            .join(Session, Session.id == SessionAccess.session_id)
            .where(Participant.user_id == sa.bindparam("user_id", type_=sa.Integer),
                   Participant.event_id == sa.bindparam("event_id", type_=Participant.event_id.type))
            .order_by(Session.start_time))


def core_paid_items(db, user_id: int, event_id) -> list[dict]:
    """The holder's paid-atelier rights in one event, one query."""
    rows = db.execute(_core_paid_items_statement(), {"user_id": user_id, "event_id": event_id}).all()
    items = []
    for payment_status, amount_paid, has_access, title, session_id in rows:
        items.append({
            "type": "session",
            "id": str(session_id),
            "session_id": str(session_id),
            "title": title,
            "payment_status": payment_status,
            "amount_paid": float(amount_paid),
            "has_access": bool(has_access),
            "source": "core",
        })
    return items


def _plugin_manager(db):
    request = db.info.get("request") if hasattr(db, "info") else None
    registry = getattr(request, "registry", None)
    try:
        return registry.makeplus.plugins if registry is not None else None
    except KeyError:
        return None


def paid_items(db, user_id: int, event_id, pm=None, ateliers: bool = True, plugins: bool = True) -> list[dict]:
    """The core's paid ateliers, then every enabled plugin's ``makeplus_paid_items``.

    ``pm``: the plugin manager (default: the one of the request the session serves;
    without one, only the core's items). ``ateliers=False``: the caller knows the holder
    has no ``SessionAccess`` row in the event (no query for them); ``plugins=False``: every
    plugin's ``makeplus_paid_items_gates`` said it has nothing to list (no hook call)."""
    items = core_paid_items(db, user_id, event_id) if ateliers else []
    pm = pm or _plugin_manager(db)
    if not plugins or pm is None or not pm.hook.makeplus_paid_items.get_hookimpls():
        return items
    from ..modules import event_hook

    hook = event_hook(pm, "makeplus_paid_items", db, event_id)
    for contributed in hook(dbsession=db, user_id=user_id, event_id=event_id):
        for item in contributed or []:
            item = dict(item)
            item["amount_paid"] = float(item.get("amount_paid") or 0)
            item.setdefault("session_id", "")
            item["has_access"] = bool(item.get("has_access"))
            items.append(item)
    return items
