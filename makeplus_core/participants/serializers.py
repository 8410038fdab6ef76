"""Participants as JSON: the list/item shape (two queries per page) and the enrolment answer."""
from __future__ import annotations

import sqlalchemy as sa

from ..auth.models import User
from ..events.models import UserEventAssignment
from ..modules import extend_json
from ..rooms.models import Room
from .models import Participant, participant_allowed_rooms


def serialize(request, objs) -> list[dict]:
    """Participants as JSON, in two queries whatever their number (plus plugin hooks)."""
    objs = list(objs)
    out: list[dict] = []
    if not objs:
        return out
    db = request.dbsession
    ids = [p.id for p in objs]
    people = {
        pid: (user, role)
        for pid, user, role in db.execute(
            sa.select(Participant.id, User, UserEventAssignment.role)
            .join(User, User.id == Participant.user_id)
            .outerjoin(UserEventAssignment, sa.and_(UserEventAssignment.user_id == Participant.user_id,
                                                    UserEventAssignment.event_id == Participant.event_id))
            .where(Participant.id.in_(ids)))
    }
    rooms: dict = {pid: [] for pid in ids}
    for pid, room_id, room_name in db.execute(
            sa.select(participant_allowed_rooms.c.participant_id, Room.id, Room.name)
            .join(Room, Room.id == participant_allowed_rooms.c.room_id)
            .where(participant_allowed_rooms.c.participant_id.in_(ids))
            .order_by(Room.name)):
        rooms[pid].append((room_id, room_name))
    for p in objs:
        user, role = people[p.id]
        out.append({
            "id": str(p.id),
            "user": user.id,
            "user_id": user.id,
            "event": str(p.event_id),
            "event_id": str(p.event_id),
            "name": user.full_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "phone": p.phone,
            "organization": p.organization,
            "badge_number": p.badge_number,
            "badge_id": user.badge_id,
            "qr_code_data": {"user_id": user.id, "badge_id": user.badge_id},
            "registration_date": p.registration_date,
            "is_checked_in": bool(p.is_checked_in),
            "checked_in_at": p.checked_in_at,
            "allowed_rooms": [str(r) for r, _ in rooms[p.id]],
            "allowed_room_names": [n for _, n in rooms[p.id]],
            "notes": p.notes,
            "role": role,
        })

    extend_json(request, "participant", objs, out)  # plugins switched off for the event skip
    return out


def as_typed(body: dict, data: dict, invitation_sent: bool, created: bool) -> dict:
    """The enrolment answer for event staff: the account's own data replaced by what they typed
    (a badge only for an account created by this request)."""
    first, last = data.get("first_name", ""), data.get("last_name", "")
    body.update(first_name=first, last_name=last, name=f"{first} {last}".strip() or body["email"],
                invitation_sent=invitation_sent)
    if not created:
        body.update(badge_id=None, qr_code_data=None)
    return body
