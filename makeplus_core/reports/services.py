"""Reports: per-event and per-session figures, computed with SQL aggregates
(``count``/``sum``/``group_by`` over the rows of one page of events or sessions: a
fixed number of queries whatever the page size).

Definitions (docs/insights.md):

* registered participants: ``participants`` rows of the event; present: those
  checked in (``is_checked_in``);
* scans: ``room_access`` rows of the event (its ``event_id``, or its room's event for
  room-door scans), granted and denied; unique attendees: distinct participants with
  a granted scan;
* revenue: ``sum(session_access.amount_paid)`` where ``payment_status = 'paid'``;
* per session, attendance: distinct participants with a granted ``room_access`` for
  the session; capacity: the session's ``capacity``, else its room's; seats taken:
  paid ``session_access`` rows for a paid atelier (``is_paid``), attendance otherwise;
  remaining capacity: ``max(capacity - taken, 0)`` (``None`` when unlimited).
"""
from __future__ import annotations

import decimal

import sqlalchemy as sa

from ..access.models import RoomAccess, SessionAccess
from ..agenda.models import AgendaBookmark
from ..events.models import Event, UserEventAssignment
from ..participants.models import Participant
from ..roles import GESTIONNAIRE
from ..rooms.models import Room
from ..sessions.models import Session
from ..xlsx import Sheet

ZERO = decimal.Decimal("0.00")


def managed_events_query(user_id: int, is_admin: bool):
    stmt = sa.select(Event)
    if not is_admin:
        stmt = stmt.where(Event.id.in_(
            sa.select(UserEventAssignment.event_id).where(UserEventAssignment.user_id == user_id,
                                                          UserEventAssignment.role == GESTIONNAIRE,
                                                          UserEventAssignment.is_active.is_(True))))
    return stmt.order_by(Event.start_date.desc(), Event.id)


def manages_any(db, managed_events) -> bool:
    """Whether ``managed_events`` (:func:`managed_events_query`) finds at least one event."""
    return bool(db.scalar(sa.select(sa.exists(managed_events.order_by(None)))))


def event_figures(db, event_ids) -> dict:
    ids = list(event_ids)
    out = {eid: {"sessions": 0, "registered_participants": 0, "present_participants": 0, "scans": 0,
                 "scans_granted": 0, "scans_denied": 0, "unique_attendees": 0, "revenue": ZERO} for eid in ids}
    if not ids:
        return out
    for eid, n in db.execute(sa.select(Session.event_id, sa.func.count()).where(Session.event_id.in_(ids))
                             .group_by(Session.event_id)):
        out[eid]["sessions"] = n
    present = sa.func.sum(sa.case((Participant.is_checked_in.is_(True), 1), else_=0))
    for eid, n, p in db.execute(sa.select(Participant.event_id, sa.func.count(), present)
                                .where(Participant.event_id.in_(ids)).group_by(Participant.event_id)):
        out[eid]["registered_participants"] = n
        out[eid]["present_participants"] = int(p or 0)
    scan_event = sa.func.coalesce(RoomAccess.event_id, Room.event_id)
    granted = RoomAccess.status == "granted"
    stmt = (sa.select(scan_event.label("ev"), sa.func.count(),
                      sa.func.sum(sa.case((granted, 1), else_=0)),
                      sa.func.count(sa.distinct(sa.case((granted, RoomAccess.participant_id)))))
            .select_from(RoomAccess).outerjoin(Room, Room.id == RoomAccess.room_id)
            .where(scan_event.in_(ids)).group_by(scan_event))
    for eid, total, ok, unique in db.execute(stmt):
        out[eid].update(scans=total, scans_granted=int(ok or 0), scans_denied=total - int(ok or 0),
                        unique_attendees=unique)
    for eid, revenue in db.execute(
            sa.select(Session.event_id, sa.func.sum(SessionAccess.amount_paid))
            .join(Session, Session.id == SessionAccess.session_id)
            .where(Session.event_id.in_(ids), SessionAccess.payment_status == "paid")
            .group_by(Session.event_id)):
        out[eid]["revenue"] = decimal.Decimal(revenue or 0).quantize(ZERO)
    return out


def event_rows(db, events) -> list[dict]:
    figures = event_figures(db, [e.id for e in events])
    return [{"event": str(e.id), "event_id": str(e.id), "name": e.name, "start_date": e.start_date,
             "end_date": e.end_date, "status": e.status, **figures[e.id]} for e in events]


def sessions_query(event_id):
    return sa.select(Session).where(Session.event_id == event_id).order_by(Session.start_time, Session.id)


def session_rows(db, sessions) -> list[dict]:
    ids = [s.id for s in sessions]
    if not ids:
        return []
    attendance = dict(db.execute(
        sa.select(RoomAccess.session_id, sa.func.count(sa.distinct(RoomAccess.participant_id)))
        .where(RoomAccess.session_id.in_(ids), RoomAccess.status == "granted",
               RoomAccess.participant_id.is_not(None))
        .group_by(RoomAccess.session_id)).all())
    paid = SessionAccess.payment_status == "paid"
    access = {sid: (int(p or 0), int(q or 0), r) for sid, p, q, r in db.execute(
        sa.select(SessionAccess.session_id, sa.func.sum(sa.case((paid, 1), else_=0)),
                  sa.func.sum(sa.case((SessionAccess.payment_status == "pending", 1), else_=0)),
                  sa.func.sum(sa.case((paid, SessionAccess.amount_paid), else_=0)))
        .where(SessionAccess.session_id.in_(ids)).group_by(SessionAccess.session_id))}
    bookmarks = dict(db.execute(
        sa.select(AgendaBookmark.session_id, sa.func.count()).where(AgendaBookmark.session_id.in_(ids))
        .group_by(AgendaBookmark.session_id)).all())
    rooms = {rid: (name, cap) for rid, name, cap in db.execute(
        sa.select(Room.id, Room.name, Room.capacity).where(Room.id.in_({s.room_id for s in sessions})))}
    out = []
    for s in sessions:
        room_name, room_cap = rooms.get(s.room_id, (None, None))
        capacity = s.capacity if s.capacity is not None else room_cap
        attended = attendance.get(s.id, 0)
        paid_n, pending_n, revenue = access.get(s.id, (0, 0, None))
        taken = paid_n if s.is_paid else attended
        out.append({
            "session": str(s.id), "session_id": str(s.id), "title": s.title, "room": str(s.room_id),
            "room_name": room_name, "start_time": s.start_time, "end_time": s.end_time,
            "session_type": s.session_type, "is_paid": s.is_paid, "status": s.status,
            "attendance": attended, "capacity": capacity, "seats_taken": taken,
            "remaining_capacity": None if capacity is None else max(capacity - taken, 0),
            "paid_ateliers": paid_n, "pending_ateliers": pending_n, "registrations": paid_n + pending_n,
            "bookmarks": bookmarks.get(s.id, 0),
            "revenue": decimal.Decimal(revenue or 0).quantize(ZERO),
        })
    return out


EVENT_COLUMNS = ["name", "start_date", "end_date", "status", "sessions", "registered_participants",
                 "present_participants", "scans", "scans_granted", "scans_denied", "unique_attendees", "revenue"]
SESSION_COLUMNS = ["title", "room_name", "start_time", "end_time", "session_type", "is_paid", "status",
                   "attendance", "capacity", "seats_taken", "remaining_capacity", "paid_ateliers",
                   "pending_ateliers", "bookmarks", "revenue"]


def events_sheet(db, events):
    """The events report (``GET /api/reports/events/?format=xlsx``) as a sheet."""
    rows = event_rows(db, events)
    return Sheet("Events", EVENT_COLUMNS, ([r[c] for c in EVENT_COLUMNS] for r in rows))


def sessions_sheet(db, event_id):
    """The sessions report of an event (``GET /api/reports/sessions/?format=xlsx``) as a sheet."""
    rows = session_rows(db, db.scalars(sessions_query(event_id)).all())
    return Sheet("Sessions", SESSION_COLUMNS, ([r[c] for c in SESSION_COLUMNS] for r in rows))
