"""What a badge holder has paid for in an event (the app's ``paid_items``)."""
from __future__ import annotations

import sqlalchemy as sa

from ..participants.models import Participant
from ..sessions.models import Session
from .models import SessionAccess


def paid_items(db, user_id: int, event_id) -> list[dict]:
    """The holder's paid-atelier rights in one event, one query.

    Amounts are JSON numbers here (the app parses them as numbers).
    """
    rows = db.execute(
        sa.select(SessionAccess, Session.title, Session.id)
        .join(Participant, Participant.id == SessionAccess.participant_id)
        .join(Session, Session.id == SessionAccess.session_id)
        .where(Participant.user_id == user_id, Participant.event_id == event_id)
        .order_by(Session.start_time)
    ).all()
    items = []
    for access, title, session_id in rows:
        items.append({
            "type": "session",
            "id": str(session_id),
            "session_id": str(session_id),
            "title": title,
            "payment_status": access.payment_status,
            "amount_paid": float(access.amount_paid),
            "has_access": bool(access.has_access),
        })
    return items
