"""Whose badge a QR image shows, and the text it holds."""
from __future__ import annotations

import sqlalchemy as sa

from .. import api, errors
from ..auth import badges
from ..auth.models import User
from ..events.models import UserEventAssignment
from ..participants.models import Participant
from .signing import Keyring

VARIANTS = ("json", "signed")


def check_variant(variant: str) -> str:
    """``json`` (the badge's legacy payload, what the app shows) or ``signed`` (the signed token)."""
    if variant not in VARIANTS:
        raise errors.Invalid("variant: must be json or signed", field="variant")
    return variant


def participant(db, participant_id, event_id, field: str = "id") -> Participant:
    """The participant ``participant_id`` of ``event_id`` (404 otherwise)."""
    return api.get_or_404(db, Participant, participant_id, event_id, label="Participant", field=field)


def user_of(db, found: Participant) -> User:
    return db.get(User, found.user_id)


def member_user(db, user_id: int, event_id) -> User:
    """The user ``user_id`` if assigned to ``event_id`` (404 otherwise)."""
    user = db.scalar(sa.select(User).join(UserEventAssignment, UserEventAssignment.user_id == User.id)
                     .where(User.id == user_id, UserEventAssignment.event_id == event_id))
    if user is None:
        raise errors.NotFound("User not found", field="user_id")
    return user


def badge_text(keyring: Keyring, user: User, variant: str) -> str:
    """What the QR of ``user``'s badge holds (404 when they have no badge)."""
    if not user.badge_id:
        raise errors.NotFound("This user has no badge", field="user_id")
    if variant == "signed":
        return keyring.sign(user.id, user.badge_id)
    return badges.qr_payload_string(user)
