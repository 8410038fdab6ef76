"""Paid-atelier rights (SessionAccess): grant, update, list, and the participant's
``my-ateliers`` view. Domain functions only (views in ``session_access_views.py``).

Status rules: ``paid`` sets ``paid_at`` (and ``granted_at``) and grants access unless
``has_access`` is given explicitly; ``refunded`` always removes access; ``pending``
has no access unless granted explicitly. A paid record without ``amount_paid``
takes the session's price.
"""
from __future__ import annotations

import decimal

import sqlalchemy as sa

from .. import errors
from ..auth.models import User
from ..db import utcnow
from ..participants.models import Participant
from ..rooms.models import Room
from ..sessions.models import Session
from .models import PAYMENT_STATUSES, SessionAccess


def amount_as_text(value):
    """Amounts may come as JSON numbers or strings (call on the raw body before validating)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


# "free" is set only by a participant's own registration for a free atelier (registrations.py)
MANAGED_STATUSES = tuple(s for s in PAYMENT_STATUSES if s != "free")


def list_query(event_id, *, own_participant_id=None, participant_id=None, session_id=None,
               payment_status=None, has_access=None):
    stmt = (sa.select(SessionAccess).join(Participant, Participant.id == SessionAccess.participant_id)
            .where(Participant.event_id == event_id))
    if own_participant_id is not None:
        stmt = stmt.where(SessionAccess.participant_id == own_participant_id)
    if participant_id is not None:
        stmt = stmt.where(SessionAccess.participant_id == participant_id)
    if session_id is not None:
        stmt = stmt.where(SessionAccess.session_id == session_id)
    if payment_status:
        stmt = stmt.where(SessionAccess.payment_status == payment_status)
    if has_access is not None:
        stmt = stmt.where(SessionAccess.has_access.is_(has_access))
    return stmt.order_by(SessionAccess.registered_at, SessionAccess.id)


def get_in_event(db, access_id, event_id, own_participant_id=None) -> SessionAccess:
    from ..api import get_or_404

    obj = get_or_404(db, SessionAccess, access_id, label="Session access")
    event_of = db.scalar(sa.select(Participant.event_id).where(Participant.id == obj.participant_id))
    if event_of != event_id or (own_participant_id is not None and obj.participant_id != own_participant_id):
        raise errors.NotFound("Session access not found", field="id")
    return obj


def _apply_status(obj: SessionAccess, session: Session, data: dict, granted_by_id) -> None:
    now = utcnow()
    status = data.get("payment_status", obj.payment_status)
    if "amount_paid" in data:
        obj.amount_paid = decimal.Decimal(str(data["amount_paid"])).quantize(decimal.Decimal("0.01"))
    if status == "paid" and obj.payment_status != "paid":
        obj.paid_at = now
        if "amount_paid" not in data and not obj.amount_paid:
            obj.amount_paid = session.price
    obj.payment_status = status
    if status == "refunded":
        has_access = False
    elif "has_access" in data:
        has_access = data["has_access"]
    elif "payment_status" in data:
        has_access = status in ("paid", "free")
    else:
        has_access = bool(obj.has_access)
    if has_access and not obj.has_access:
        obj.granted_at = now
        obj.granted_by_id = granted_by_id
    obj.has_access = has_access
    obj.updated_at = now


def create(db, event_id, data: dict, granted_by_id=None) -> SessionAccess:
    from ..api import get_or_404, parse_uuid

    participant = get_or_404(db, Participant, parse_uuid(data["participant"], "participant"), event_id,
                             label="Participant", field="participant")
    session = get_or_404(db, Session, parse_uuid(data["session"], "session"), event_id, label="Session",
                         field="session")
    if db.scalar(sa.select(SessionAccess.id).where(SessionAccess.participant_id == participant.id,
                                                   SessionAccess.session_id == session.id)) is not None:
        raise errors.Conflict("session: this participant already has an access record for this session",
                              field="session")
    obj = SessionAccess(participant_id=participant.id, session_id=session.id, payment_status="pending",
                        has_access=False, amount_paid=decimal.Decimal("0.00"), registered_at=utcnow())
    _apply_status(obj, session, {**data, "payment_status": data.get("payment_status", "pending")},
                  granted_by_id)
    return _insert(db, [obj])[0]


def create_many(db, event_id, pairs: list, payment_status: str = "paid", granted_by_id=None) -> list:
    """:func:`create` for many ``(participant id, session id)`` pairs of the event at once (the
    bulk import's paid ateliers): the sessions read in one query, the existing records checked
    in one, the new ones inserted together. 400 naming ``session`` for a session of another
    event, 409 when a pair already has a record."""
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        return []
    sessions = {s.id: s for s in db.scalars(sa.select(Session).where(
        Session.event_id == event_id, Session.id.in_({sid for _, sid in pairs})))}
    for _, sid in pairs:
        if sid not in sessions:
            raise errors.NotFound("Session not found", field="session")
    participants = set(db.scalars(sa.select(Participant.id).where(
        Participant.event_id == event_id, Participant.id.in_({pid for pid, _ in pairs}))))
    if len(participants) != len({pid for pid, _ in pairs}):
        raise errors.NotFound("Participant not found", field="participant")
    already = db.execute(sa.select(SessionAccess.participant_id, SessionAccess.session_id).where(
        SessionAccess.participant_id.in_(participants))).all()
    if set(map(tuple, already)) & set(pairs):
        raise errors.Conflict("session: this participant already has an access record for this session",
                              field="session")
    now = utcnow()
    objs = []
    for pid, sid in pairs:
        obj = SessionAccess(participant_id=pid, session_id=sid, payment_status="pending", has_access=False,
                            amount_paid=decimal.Decimal("0.00"), registered_at=now)
        _apply_status(obj, sessions[sid], {"payment_status": payment_status}, granted_by_id)
        objs.append(obj)
    return _insert(db, objs)


def _insert(db, objs: list) -> list:
    db.add_all(objs)
    try:
        db.flush()
    except sa.exc.IntegrityError:  # concurrent duplicate (PostgreSQL)
        raise errors.Conflict("session: this participant already has an access record for this session",
                              field="session") from None
    return objs


def update(db, obj: SessionAccess, data: dict, granted_by_id=None) -> SessionAccess:
    session = db.get(Session, obj.session_id)
    _apply_status(obj, session, data, granted_by_id)
    db.flush()
    return obj


def serialize(request, objs) -> list[dict]:
    objs = list(objs)
    if not objs:
        return []
    db = request.dbsession
    sessions = {sid: (title, is_paid, price) for sid, title, is_paid, price in db.execute(
        sa.select(Session.id, Session.title, Session.is_paid, Session.price)
        .where(Session.id.in_({o.session_id for o in objs})))}
    people = {pid: (first, last, email) for pid, first, last, email in db.execute(
        sa.select(Participant.id, User.first_name, User.last_name, User.email)
        .join(User, User.id == Participant.user_id)
        .where(Participant.id.in_({o.participant_id for o in objs})))}
    out = []
    for o in objs:
        title, is_paid, price = sessions.get(o.session_id, (None, None, None))
        first, last, email = people.get(o.participant_id, ("", "", None))
        out.append({
            "id": str(o.id),
            "participant": str(o.participant_id),
            "participant_id": str(o.participant_id),
            "participant_name": f"{first} {last}".strip(),
            "participant_email": email,
            "session": str(o.session_id),
            "session_id": str(o.session_id),
            "session_title": title,
            "session_price": _money(price),
            "payment_status": o.payment_status,
            "has_access": bool(o.has_access),
            "amount_paid": _money(o.amount_paid),
            "registered_at": o.registered_at,
            "paid_at": o.paid_at,
            "granted_at": o.granted_at,
            "updated_at": o.updated_at,
        })
    return out


def _money(value):
    from ..api import money

    return money(value)


# --------------------------------------------------------------------------- my-ateliers


def my_ateliers(db, participant: Participant, user: User) -> dict:
    """The participant's paid ateliers (sessions with ``is_paid``) they hold a SessionAccess
    record for, with a payment summary; amounts are JSON numbers. One query.

    Paid ateliers the participant has not registered for are not listed (the answer is
    "my" ateliers). ``refunded`` records are listed but counted in neither paid nor pending.
    """
    rows = db.execute(
        sa.select(SessionAccess, Session, Room)
        .join(Session, Session.id == SessionAccess.session_id)
        .join(Room, Room.id == Session.room_id)
        .where(SessionAccess.participant_id == participant.id, Session.is_paid.is_(True),
               Session.event_id == participant.event_id)
        .order_by(Session.start_time, Session.id)
    ).all()
    ateliers = []
    paid_count = pending_count = 0
    total_paid = total_pending = decimal.Decimal("0")
    for access, session, room in rows:
        if access.payment_status == "paid":
            paid_count += 1
            total_paid += access.amount_paid or session.price
        elif access.payment_status == "pending":
            pending_count += 1
            total_pending += session.price
        ateliers.append({
            "id": str(access.id),
            "session_id": str(session.id),
            "title": session.title,
            "description": session.description,
            "speaker_name": session.speaker_name,
            "speaker_title": session.speaker_title,
            "speaker_bio": session.speaker_bio,
            "speaker_photo_url": session.speaker_photo_url,
            "theme": session.theme,
            "room": {"id": str(room.id), "name": room.name, "capacity": room.capacity},
            "room_id": str(room.id),
            "room_name": room.name,
            "start_time": session.start_time,
            "end_time": session.end_time,
            "status": session.status,
            "price": float(session.price),
            "payment_status": access.payment_status,
            "has_access": bool(access.has_access),
            "amount_paid": float(access.amount_paid),
            "paid_at": access.paid_at,
            "registered_at": access.registered_at,
        })
    return {
        "participant": {"id": str(participant.id), "name": user.full_name, "email": user.email,
                        "badge_id": user.badge_id, "badge_number": participant.badge_number},
        "summary": {
            "total_ateliers": len(ateliers),
            "paid_count": paid_count,
            "pending_count": pending_count,
            "total_paid": float(total_paid),
            "total_pending": float(total_pending),
            "total_amount": float(total_paid + total_pending),
        },
        "ateliers": ateliers,
    }
