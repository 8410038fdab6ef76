"""The scan journal (``room_access`` rows) as staff read it, and who may read what.

Domain functions only (views in ``journal_views.py``):

* :func:`scannable_rooms` — the rooms a scanner may scan in an event (the rule of the
  pipeline's ``scanner`` step): every room for gestionnaires, platform admins and
  controllers without room assignments; the rooms of their active assignments for a
  controller who has some.
* :func:`journal_query` — the journal of an event, filtered and scoped.
* :func:`serialize` — a page of rows as JSON, in one query whatever the page size.
* :func:`room_people` — distinct holders granted in a room since a moment.
* :func:`session_participants` — registrations, payments and admissions of a session.

Privacy: a denial decided before the holder was found to be one of the event's people
(``pipeline.PRE_MEMBERSHIP_LAYERS``: a malformed QR, an unknown or revoked badge, a
disabled account, a badge of someone outside the event — e.g. a plain id typed by
anyone) never names its holder, here either: such rows are listed without participant or
user and a ``user``/``participant`` filter never matches them (platform admins excepted).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from .. import errors
from ..auth.models import User
from ..db import utcnow
from ..participants.models import Participant
from ..roles import CONTROLLEUR, GESTIONNAIRE
from ..rooms.models import Room
from ..sessions.models import Session
from ..staff.models import RoomAssignment
from .models import RoomAccess, SessionAccess
from .pipeline import PRE_MEMBERSHIP_LAYERS
from .services import granted_holders
from .window import current_window_start

STATUSES = ("granted", "denied")
DIRECTIONS = ("entry", "exit")
ALL = None  # scannable_rooms: every room of the event


def scannable_rooms(db, user_id: int, event_id, role: str | None):
    """``ALL`` (every room and the event-level scans) or the set of room ids the caller
    may scan; raises 403 for a role that scans nowhere."""
    if role in ("admin", GESTIONNAIRE):
        return ALL
    if role != CONTROLLEUR:
        raise errors.Forbidden("You do not have permission to perform this action")
    rooms = set(db.scalars(sa.select(RoomAssignment.room_id).where(
        RoomAssignment.user_id == user_id, RoomAssignment.event_id == event_id,
        RoomAssignment.is_active.is_(True))))
    return rooms or ALL


def check_room_reader(db, user_id: int, room, role: str | None) -> None:
    """403 unless the caller may scan at ``room`` (see :func:`scannable_rooms`)."""
    rooms = scannable_rooms(db, user_id, room.event_id, role)
    if rooms is not ALL and room.id not in rooms:
        raise errors.Forbidden("You are not assigned to this room")


def _identified():
    """The rows that may name their holder (see the module's privacy note)."""
    return sa.or_(RoomAccess.status == "granted", RoomAccess.layer.not_in(tuple(PRE_MEMBERSHIP_LAYERS)))


def journal_query(event_id, *, rooms=ALL, room_id=None, participant_id=None, user_id=None, session_id=None,
                  status=None, reason=None, direction=None, since=None, until=None, reveal_all=False):
    """The event's journal, newest first, as a ``select(RoomAccess)``.

    ``direction``: ``"entry"`` or ``"exit"``, the row's ``room_access.direction``.
    """
    stmt = sa.select(RoomAccess).where(RoomAccess.event_id == event_id)
    if rooms is not ALL:
        stmt = stmt.where(RoomAccess.room_id.in_(rooms or [None]))
    if (participant_id is not None or user_id is not None) and not reveal_all:
        stmt = stmt.where(_identified())
    equal = ((RoomAccess.room_id, room_id), (RoomAccess.participant_id, participant_id),
             (RoomAccess.user_id, user_id), (RoomAccess.session_id, session_id), (RoomAccess.status, status),
             (RoomAccess.reason, reason), (RoomAccess.direction, direction))
    stmt = stmt.where(*(column == value for column, value in equal if value is not None))
    if since is not None:
        stmt = stmt.where(RoomAccess.access_time >= since)
    if until is not None:
        stmt = stmt.where(RoomAccess.access_time <= until)
    return stmt.order_by(RoomAccess.access_time.desc(), RoomAccess.id)


def _lookups(db, rows):
    users = {r.user_id for r in rows if r.user_id} | {r.verified_by_id for r in rows if r.verified_by_id}
    names = {}
    if users:
        names = {u.id: u for u in db.scalars(sa.select(User).where(User.id.in_(users)))}
    rooms = {r.room_id for r in rows if r.room_id}
    room_names = dict(db.execute(sa.select(Room.id, Room.name).where(Room.id.in_(rooms))).all()) if rooms else {}
    sessions = {r.session_id for r in rows if r.session_id}
    titles = dict(db.execute(sa.select(Session.id, Session.title).where(Session.id.in_(sessions))).all()) \
        if sessions else {}
    return names, room_names, titles


def serialize(db, rows, reveal_all=False) -> list[dict]:
    """JSON of journal rows (three small lookups per page, whatever its size)."""
    rows = list(rows)
    if not rows:
        return []
    users, room_names, titles = _lookups(db, rows)
    out = []
    for r in rows:
        named = reveal_all or r.status == "granted" or r.layer not in PRE_MEMBERSHIP_LAYERS
        holder = users.get(r.user_id) if named else None
        verifier = users.get(r.verified_by_id)
        out.append({
            "id": str(r.id),
            "event": str(r.event_id) if r.event_id else None,
            "room": str(r.room_id) if r.room_id else None,
            "room_id": str(r.room_id) if r.room_id else None,
            "room_name": room_names.get(r.room_id),
            "session": str(r.session_id) if r.session_id else None,
            "session_id": str(r.session_id) if r.session_id else None,
            "session_title": titles.get(r.session_id),
            "participant": str(r.participant_id) if named and r.participant_id else None,
            "participant_id": str(r.participant_id) if named and r.participant_id else None,
            "user": holder.id if holder else None,
            "user_id": holder.id if holder else None,
            "participant_name": holder.full_name if holder else None,
            "participant_email": holder.email if holder else None,
            "verified_by": r.verified_by_id,
            "verified_by_name": verifier.full_name if verifier else None,
            "access_time": r.access_time,
            "accessed_at": r.access_time,
            "status": r.status,
            "direction": r.direction or "entry",
            "layer": r.layer,
            "reason": r.reason,
            "denial_reason": r.reason if r.status == "denied" else None,
            "http_status": r.http_status,
            "scan_id": r.scan_id,
        })
    return out


XLSX_HEADERS = ["Time (UTC)", "Room", "Session", "Participant", "Email", "Status", "Direction", "Layer",
                "Reason", "HTTP status", "Scanned by"]


def xlsx_rows(db, stmt, reveal_all=False, chunk=1000):
    """The rows of the spreadsheet, read ``chunk`` journal rows at a time."""
    offset = 0
    while True:
        rows = db.scalars(stmt.limit(chunk).offset(offset)).all()
        if not rows:
            return
        for item in serialize(db, rows, reveal_all):
            yield [item["access_time"], item["room_name"] or "(event check-in)", item["session_title"],
                   item["participant_name"], item["participant_email"], item["status"], item["direction"],
                   item["layer"], item["reason"], item["http_status"], item["verified_by_name"]]
        if len(rows) < chunk:
            return
        offset += chunk


# --------------------------------------------------------------------------- who is in a room


def window_start(db, room, now: dt.datetime | None = None) -> dt.datetime:
    """The room's current capacity window (:mod:`.window`): the start of the session running
    in it now, else the start of the current UTC day."""
    return current_window_start(db, room.id, now or utcnow())


def room_people(db, room, since: dt.datetime) -> list[dict]:
    """Distinct holders granted in ``room`` since ``since``, with first/last entry (one query)."""
    rows = granted_holders(db, RoomAccess.room_id == room.id, RoomAccess.access_time >= since)
    return [{"id": str(pid) if pid else None, "participant_id": str(pid) if pid else None, "user_id": user.id,
             "name": user.full_name, "email": user.email, "badge_id": user.badge_id, "first_access": first,
             "last_access": last, "scans": n} for user, pid, first, last, n in rows]


# --------------------------------------------------------------------------- session participants


def session_participants(db, session) -> dict:
    """Who registered for ``session`` (and paid), and who was admitted at its door.

    Two queries: the registrations (``SessionAccess``) and the granted scans recorded with
    this session; merged per participant.
    """
    regs = db.execute(
        sa.select(SessionAccess, Participant.id, User)
        .join(Participant, Participant.id == SessionAccess.participant_id)
        .join(User, User.id == Participant.user_id)
        .where(SessionAccess.session_id == session.id, Participant.event_id == session.event_id)
    ).all()
    admitted = granted_holders(db, RoomAccess.session_id == session.id, RoomAccess.event_id == session.event_id)
    people: dict = {}

    def entry(user, pid):
        return people.setdefault(user.id, {
            "participant_id": str(pid) if pid else None, "user_id": user.id, "name": user.full_name,
            "email": user.email, "badge_id": user.badge_id, "registered": False, "registration": None,
            "payment_status": None, "has_access": False, "amount_paid": 0.0, "admitted": False,
            "first_access": None, "last_access": None, "scans": 0})

    for access, pid, user in regs:
        item = entry(user, pid)
        item.update(registered=True, payment_status=access.payment_status, has_access=bool(access.has_access),
                    amount_paid=float(access.amount_paid),
                    registration={"id": str(access.id), "registered_at": access.registered_at,
                                  "paid_at": access.paid_at, "payment_status": access.payment_status})
    for user, pid, first, last, n in admitted:
        item = entry(user, pid)
        item.update(admitted=True, first_access=first, last_access=last, scans=int(n))
        if item["participant_id"] is None and pid:
            item["participant_id"] = str(pid)
    results = sorted(people.values(), key=lambda p: (p["name"].lower(), p["user_id"]))
    summary = {
        "registered": sum(1 for p in results if p["registered"]),
        "paid": sum(1 for p in results if p["payment_status"] == "paid"),
        "pending": sum(1 for p in results if p["payment_status"] == "pending"),
        "admitted": sum(1 for p in results if p["admitted"]),
        "capacity": session.capacity,
    }
    return {"session": {"id": str(session.id), "title": session.title, "room_id": str(session.room_id),
                        "is_paid": bool(session.is_paid), "capacity": session.capacity},
            "summary": summary, "count": len(results), "next": None, "previous": None, "results": results}
