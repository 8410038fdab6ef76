"""Excel export of an event's scan journal (``room_access``: every granted or denied scan,
with where, who, by whom, the deciding layer and the reason), written by
:mod:`makeplus_core.xlsx` (streamed from a temp file, formula injection neutralised).

Used by the background exports (``POST /api/exports/`` ``{"kind": "scans"}``) and the
dashboard's Exports page."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..auth.models import User
from ..participants.models import Participant
from ..rooms.models import Room
from ..sessions.models import Session
from ..xlsx import Sheet
from .models import RoomAccess

HEADERS = ["Time (UTC)", "Status", "HTTP status", "Room", "Session", "Name", "E-mail", "Badge number",
           "Layer", "Reason", "Scanned by"]


def scan_journal_sheet(db, event_id) -> Sheet:
    """The event's scans, newest first, as one sheet (rows streamed from the database):
    the event-level scans and those of its rooms."""
    holder, scanner = aliased(User), aliased(User)
    room_ids = sa.select(Room.id).where(Room.event_id == event_id)
    stmt = (
        sa.select(RoomAccess.access_time, RoomAccess.status, RoomAccess.http_status, Room.name, Session.title,
                  holder.first_name, holder.last_name, holder.email, Participant.badge_number, RoomAccess.layer,
                  RoomAccess.reason, scanner.email.label("scanner"))
        .outerjoin(Room, Room.id == RoomAccess.room_id)
        .outerjoin(Session, Session.id == RoomAccess.session_id)
        .outerjoin(holder, holder.id == RoomAccess.user_id)
        .outerjoin(Participant, Participant.id == RoomAccess.participant_id)
        .outerjoin(scanner, scanner.id == RoomAccess.verified_by_id)
        .where(sa.or_(RoomAccess.event_id == event_id, RoomAccess.room_id.in_(room_ids)))
        .order_by(RoomAccess.access_time.desc(), RoomAccess.id)
        .execution_options(yield_per=2000)
    )

    def rows():
        for r in db.execute(stmt):
            name = f"{r.first_name or ''} {r.last_name or ''}".strip()
            yield [r.access_time, r.status, r.http_status, r.name or "", r.title or "", name, r.email or "",
                   r.badge_number or "", r.layer, r.reason, r.scanner or ""]

    return Sheet("Scans", HEADERS, rows())
