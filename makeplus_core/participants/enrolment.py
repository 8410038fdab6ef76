"""Domain functions for plugins that sell admission (the ``billetterie`` plugin):
enrol an e-mail address as a participant of an event, grant or revoke a paid atelier.

They follow the core's rules: accounts are found or created only through the
enrolment rule (``auth.invitations.enrol_by_email``: an unknown or unverified address
gets an invitation, never a usable password), an existing role in the event is kept
(a gestionnaire who buys a ticket stays a gestionnaire), and paid-atelier rights go
through ``access.session_access`` (the same status rules as the API). Every write
goes through the ORM, so the audit trail records it.
"""
from __future__ import annotations

import decimal

import sqlalchemy as sa

from ..access import session_access
from ..access.models import SessionAccess
from ..auth import invitations
from ..events.models import Event, UserEventAssignment
from ..events.services import assign_role
from ..roles import PARTICIPANT
from ..sessions.models import Session
from .models import Participant


def enrol_participant(db, event: Event, email: str, profile: dict | None = None, *, invited_by_id=None):
    """Make the owner of ``email`` a participant of ``event``.

    Returns ``(user, participant or None, invitation code or None, created)``. The
    invitation code (when the address has no verified account) must be mailed to the
    address (``auth.invitations.send_invitation``). A user who already holds a role
    in the event keeps it (and is re-activated); staff roles have no participant row.
    """
    user, code, created = invitations.enrol_by_email(db, email, profile, event=event,
                                                     invited_by_id=invited_by_id)
    assignment = db.scalar(sa.select(UserEventAssignment).where(UserEventAssignment.user_id == user.id,
                                                                UserEventAssignment.event_id == event.id))
    if assignment is None:
        assign_role(db, user.id, event, PARTICIPANT, assigned_by_id=invited_by_id)
    elif not assignment.is_active:
        assign_role(db, user.id, event, assignment.role, assigned_by_id=invited_by_id)
    participant = db.scalar(sa.select(Participant).where(Participant.user_id == user.id,
                                                         Participant.event_id == event.id))
    return user, participant, code, created


def grant_paid_access(db, participant: Participant, session: Session, amount, granted_by_id=None) -> SessionAccess:
    """Record ``session`` (a paid atelier of the participant's event) as paid by ``participant``."""
    if session.event_id != participant.event_id:
        raise ValueError("session and participant belong to different events")
    amount = decimal.Decimal(str(amount)).quantize(decimal.Decimal("0.01"))
    obj = db.scalar(sa.select(SessionAccess).where(SessionAccess.participant_id == participant.id,
                                                   SessionAccess.session_id == session.id).with_for_update())
    if obj is None:
        return session_access.create(db, participant.event_id,
                                     {"participant": str(participant.id), "session": str(session.id),
                                      "payment_status": "paid", "amount_paid": amount},
                                     granted_by_id=granted_by_id)
    return session_access.update(db, obj, {"payment_status": "paid", "has_access": True, "amount_paid": amount},
                                 granted_by_id=granted_by_id)


def revoke_paid_access(db, participant_id, session_ids) -> int:
    """Mark the participant's paid accesses to ``session_ids`` refunded (no access). Returns how many."""
    ids = list(session_ids)
    if not ids:
        return 0
    rows = list(db.scalars(sa.select(SessionAccess).where(SessionAccess.participant_id == participant_id,
                                                          SessionAccess.session_id.in_(ids)).with_for_update()))
    for obj in rows:
        session_access.update(db, obj, {"payment_status": "refunded"})
    return len(rows)
