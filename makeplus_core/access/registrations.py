"""A participant's own registration for an atelier (a session), and its cancellation.

Registrations are ``SessionAccess`` rows (the paid-atelier rights the door checks):

* a **free** session → ``payment_status = "free"``, ``has_access = true`` (confirmed) while
  seats remain: the session's ``capacity``, else its room's, else unlimited; full → 409
  ``session_full``. The seat count is read under a row lock on the session
  (``SELECT … FOR UPDATE``), so concurrent registrations never exceed the capacity
  (PostgreSQL; SQLite serialises writers);
* a **paid** session → ``payment_status = "pending"``, no access, until it is paid at a
  cash desk (the caisse plugin's sale turns it ``paid``) or marked paid by a gestionnaire
  (``PATCH /api/session-access/{id}/``); the seat is taken at payment (the desk checks it).

Only before the session starts (and never for a finished or cancelled one). A registration
is cancelled by its holder before the session starts: free or pending rows are removed
(the seat is free again); a paid one is refunded at the desk (409 here). A refunded
registration may register again.
"""
from __future__ import annotations

import sqlalchemy as sa

from .. import errors
from ..db import utcnow
from ..participants.models import Participant
from ..rooms.models import Room
from ..sessions.models import Session
from .models import SessionAccess

CLOSED_STATUSES = ("termine", "cancelled", "completed", "finished")


def _open_session(db, session_id, event_id, now, lock=False) -> Session:
    stmt = sa.select(Session).where(Session.id == session_id, Session.event_id == event_id)
    if lock:
        stmt = stmt.with_for_update()
    session = db.scalar(stmt)
    if session is None:
        raise errors.NotFound("Session not found", field="id")
    if session.status in CLOSED_STATUSES or session.start_time <= now or session.status == "en_cours":
        raise errors.Conflict("session: registration closes when the session starts", field="session",
                              reason="session_started")
    return session


def capacity_of(db, session) -> int | None:
    if session.capacity is not None:
        return session.capacity
    return db.scalar(sa.select(Room.capacity).where(Room.id == session.room_id))


def seats_taken(db, session_id) -> int:
    return int(db.scalar(sa.select(sa.func.count()).select_from(SessionAccess).where(
        SessionAccess.session_id == session_id, SessionAccess.has_access.is_(True))) or 0)


def register(db, participant: Participant, session_id) -> tuple[SessionAccess, bool]:
    """Register ``participant`` for the session; ``(row, created)``. See the module doc."""
    now = utcnow()
    session = _open_session(db, session_id, participant.event_id, now, lock=True)
    existing = db.scalar(sa.select(SessionAccess).where(SessionAccess.participant_id == participant.id,
                                                        SessionAccess.session_id == session.id)
                         .with_for_update())
    if existing is not None and existing.payment_status != "refunded":
        raise errors.Conflict("session: you are already registered for this session", field="session",
                              reason="already_registered")
    if session.is_paid:
        values = {"payment_status": "pending", "has_access": False}
    else:
        capacity = capacity_of(db, session)
        if capacity is not None and seats_taken(db, session.id) >= capacity:
            raise errors.Conflict("session: this atelier is full", field="session", reason="session_full")
        values = {"payment_status": "free", "has_access": True, "granted_at": now}
    if existing is not None:  # a refunded registration registers again
        for key, value in values.items():
            setattr(existing, key, value)
        existing.registered_at = now
        existing.paid_at = None
        existing.updated_at = now
        db.flush()
        return existing, False
    row = SessionAccess(participant_id=participant.id, session_id=session.id, registered_at=now, **values)
    db.add(row)
    try:
        db.flush()
    except sa.exc.IntegrityError:  # a concurrent registration of the same person
        raise errors.Conflict("session: you are already registered for this session", field="session",
                              reason="already_registered") from None
    return row, True


def cancel(db, participant: Participant, session_id) -> None:
    """Cancel ``participant``'s registration before the session starts (see the module doc)."""
    now = utcnow()
    session = _open_session(db, session_id, participant.event_id, now)
    row = db.scalar(sa.select(SessionAccess).where(SessionAccess.participant_id == participant.id,
                                                   SessionAccess.session_id == session.id).with_for_update())
    if row is None or row.payment_status == "refunded":
        raise errors.NotFound("You are not registered for this session", field="session")
    if row.payment_status == "paid":
        raise errors.Conflict("session: a paid registration is refunded at the cash desk", field="session",
                              reason="paid_registration")
    db.delete(row)
    db.flush()


def registration_json(db, session, row: SessionAccess | None) -> dict:
    capacity = capacity_of(db, session)
    taken = seats_taken(db, session.id)
    state = None
    if row is not None and row.payment_status != "refunded":
        state = "confirmed" if row.has_access else "pending"
    return {
        "session": str(session.id), "session_id": str(session.id), "title": session.title,
        "is_paid": bool(session.is_paid), "price": float(session.price or 0),
        "registered": state is not None, "status": state,
        "registration": None if row is None else {
            "id": str(row.id), "payment_status": row.payment_status, "has_access": bool(row.has_access),
            "amount_paid": float(row.amount_paid or 0), "registered_at": row.registered_at,
            "paid_at": row.paid_at},
        "capacity": capacity, "seats_taken": taken,
        "seats_left": None if capacity is None else max(capacity - taken, 0),
    }
