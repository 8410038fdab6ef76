"""A badge holder's participant row in an event, with its per-event badge number.

Kept apart from :mod:`.services` because giving someone a badge role
(:func:`makeplus_core.events.services.assign_role`) creates the row: events depend on this
module, and participants' services depend on events.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from .models import Participant


def badge_prefix(event_name: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", event_name or "")
    letters = "".join(w[0] for w in words[:4]).upper()
    return letters or "EVT"


def badge_number_for(event, user_id: int) -> str:
    """A per-event badge number; deterministic so concurrent creations cannot clash."""
    return f"{badge_prefix(event.name)}-{user_id:05d}"


def ensure_participant(db, event, user_id: int) -> Participant:
    participant = db.scalar(sa.select(Participant).where(Participant.user_id == user_id,
                                                         Participant.event_id == event.id))
    if participant is None:
        participant = Participant(user_id=user_id, event_id=event.id,
                                  badge_number=badge_number_for(event, user_id))
        db.add(participant)
        db.flush()
    return participant
