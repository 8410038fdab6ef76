"""Excel export of an event's participants (openpyxl write_only, streamed from a temp file).

Formula injection: every text cell is written with the explicit string data type
(``t="s"``), so a value such as ``=HYPERLINK("http://x")`` is stored and read back
exactly as typed, as text, and Excel/LibreOffice never evaluate it. No quote is
added to the value.
"""
from __future__ import annotations

import datetime as dt
import tempfile

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from ..auth.models import User
from ..events.models import UserEventAssignment
from ..rooms.models import Room
from .models import Participant, participant_allowed_rooms

HEADERS = ["Name", "First name", "Last name", "Email", "Organization", "Role", "Badge number", "Badge ID",
           "Checked in", "Checked in at (UTC)", "Registration date (UTC)", "Allowed rooms"]


def _naive(value: dt.datetime | None):
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _cell(ws, value):
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # never a formula, whatever the first character
        return cell
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    return cell


def export_participants(db, event_id):
    """An open temporary file holding the .xlsx (positioned at 0) and its size."""
    rooms: dict = {}
    for pid, name in db.execute(
            sa.select(participant_allowed_rooms.c.participant_id, Room.name)
            .join(Room, Room.id == participant_allowed_rooms.c.room_id)
            .where(Room.event_id == event_id).order_by(Room.name)):
        rooms.setdefault(pid, []).append(name)

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Participants")
    ws.append([_cell(ws, h) for h in HEADERS])
    stmt = (
        sa.select(Participant.id, Participant.badge_number, Participant.is_checked_in, Participant.checked_in_at,
                  Participant.registration_date, User.first_name, User.last_name, User.email,
                  User.organization, User.badge_id, UserEventAssignment.role)
        .join(User, User.id == Participant.user_id)
        .outerjoin(UserEventAssignment, sa.and_(UserEventAssignment.user_id == Participant.user_id,
                                                UserEventAssignment.event_id == Participant.event_id))
        .where(Participant.event_id == event_id)
        .order_by(User.last_name, User.first_name, Participant.id)
        .execution_options(yield_per=2000)
    )
    for row in db.execute(stmt):
        name = f"{row.first_name} {row.last_name}".strip()
        values = [name, row.first_name, row.last_name, row.email, row.organization or "", row.role or "",
                  row.badge_number, row.badge_id or "", "yes" if row.is_checked_in else "no",
                  _naive(row.checked_in_at), _naive(row.registration_date), ", ".join(rooms.get(row.id, []))]
        ws.append([_cell(ws, v) for v in values])
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    size = out.tell()
    out.seek(0)
    return out, size
