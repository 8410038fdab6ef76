"""Excel export of an event's participants: the rows, written by :mod:`makeplus_core.xlsx`
(streamed from a temp file, formula injection neutralised)."""
from __future__ import annotations

import sqlalchemy as sa

from ..auth.models import User
from ..events.models import UserEventAssignment
from ..rooms.models import Room
from ..xlsx import Sheet
from .models import Participant, participant_allowed_rooms

HEADERS = ["Name", "First name", "Last name", "Email", "Organization", "Role", "Badge number", "Badge ID",
           "Checked in", "Checked in at (UTC)", "Registration date (UTC)", "Allowed rooms"]


def participants_sheet(db, event_id) -> Sheet:
    """The event's participants as one sheet (rows streamed from the database)."""
    rooms: dict = {}
    for pid, name in db.execute(
            sa.select(participant_allowed_rooms.c.participant_id, Room.name)
            .join(Room, Room.id == participant_allowed_rooms.c.room_id)
            .where(Room.event_id == event_id).order_by(Room.name)):
        rooms.setdefault(pid, []).append(name)

    stmt = (
        sa.select(Participant.id, Participant.badge_number, Participant.is_checked_in, Participant.checked_in_at,
                  Participant.registration_date, User.first_name, User.last_name, User.email,
                  Participant.organization, User.badge_id, UserEventAssignment.role)
        .join(User, User.id == Participant.user_id)
        .outerjoin(UserEventAssignment, sa.and_(UserEventAssignment.user_id == Participant.user_id,
                                                UserEventAssignment.event_id == Participant.event_id))
        .where(Participant.event_id == event_id)
        .order_by(User.last_name, User.first_name, Participant.id)
        .execution_options(yield_per=2000)
    )

    def rows():
        for row in db.execute(stmt):
            name = f"{row.first_name} {row.last_name}".strip()
            yield [name, row.first_name, row.last_name, row.email, row.organization or "", row.role or "",
                   row.badge_number, row.badge_id or "", bool(row.is_checked_in), row.checked_in_at,
                   row.registration_date, ", ".join(rooms.get(row.id, []))]

    return Sheet("Participants", HEADERS, rows())
