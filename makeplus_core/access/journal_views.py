"""REST: the scan journal (``/api/room-access/``, seed 001/003) and who is where.

* ``GET /api/room-access/`` — the journal of my event, filtered, paginated, newest
  first; ``?format=xlsx`` (or ``/api/room-access/export/``) downloads it as Excel.
* ``GET /api/room-access/{id}/`` — one entry.
* ``GET /api/rooms/{id}/access_history/`` — the journal of one room (seed alias).
* ``GET /api/rooms/{id}/current_participants/`` — holders admitted in the room's current
  window (the figure of ``current_participants`` in the room JSON).
* ``GET /api/sessions/{id}/participants/`` — registered / paid / admitted people of a session.
* ``GET|POST|DELETE /api/sessions/{id}/register/``, ``POST /api/sessions/{id}/unregister/`` — a
  participant's own registration for an atelier (:mod:`.registrations`).

Readers: gestionnaires and platform admins see everything; a controller sees the rooms
they may scan (``journal.scannable_rooms``); other roles get 403.
"""
from __future__ import annotations

from .. import api, errors, xlsx
from ..audit.views import parse_when
from ..participants.models import Participant
from ..rooms.models import Room
from ..schema import to_int
from ..sessions.models import Session
from . import journal, registrations
from .models import RoomAccess
from .schemas import JournalQuery


def reader(request):
    """(identity, event id, role) of a caller who may read scans (gestionnaire, controller, admin)."""
    ident = api.identity(request)
    event_id = api.require_event(request)
    role = "admin" if ident.is_admin else api.role_in_event(request, event_id)
    return ident, event_id, role


def readable_room(request, room_id=None) -> Room:
    """The room of the path, in my event, that I may scan at (else 404 / 403)."""
    ident, event_id, role = reader(request)
    room = api.get_or_404(request.dbsession, Room, room_id or request.matchdict["id"], event_id, label="Room")
    journal.check_room_reader(request.dbsession, ident.user_id, room, role)
    return room


def _filters(request, event_id, fixed_room=None) -> dict:
    q = api.validate(JournalQuery(), dict(request.GET), partial=True)
    db = request.dbsession
    out = {}
    room = fixed_room
    raw_room = q.get("room", q.get("room_id"))
    if raw_room is not None and fixed_room is None:
        room = api.get_or_404(db, Room, api.parse_uuid(raw_room, "room"), event_id, label="Room", field="room")
    if room is not None:
        out["room_id"] = room.id
    raw_participant = q.get("participant", q.get("participant_id"))
    if raw_participant is not None:
        p = api.get_or_404(db, Participant, api.parse_uuid(raw_participant, "participant"), event_id,
                           label="Participant", field="participant")
        out["participant_id"] = p.id
    if q.get("user") is not None:
        out["user_id"] = to_int(q["user"], "user", minimum=1)
    if q.get("session") is not None:
        s = api.get_or_404(db, Session, api.parse_uuid(q["session"], "session"), event_id, label="Session",
                           field="session")
        out["session_id"] = s.id
    for key in ("status", "reason", "direction"):
        if q.get(key) is not None:
            out[key] = q[key]
    out["since"] = parse_when(api.param(request, "from", "date_from"), "from")
    out["until"] = parse_when(api.param(request, "to", "date_to"), "to", end=True)
    if out["since"] and out["until"] and out["since"] > out["until"]:
        raise errors.Invalid("to: must not be before from", field="to")
    return out


def _journal(request, fixed_room=None, force_xlsx=False):
    ident, event_id, role = reader(request)
    db = request.dbsession
    rooms = journal.scannable_rooms(db, ident.user_id, event_id, role)
    if fixed_room is not None and rooms is not journal.ALL and fixed_room.id not in rooms:
        raise errors.Forbidden("You are not assigned to this room")
    filters = _filters(request, event_id, fixed_room)
    if "room_id" in filters and rooms is not journal.ALL and filters["room_id"] not in rooms:
        raise errors.Forbidden("You are not assigned to this room", field="room")
    reveal = bool(ident.is_admin)
    stmt = journal.journal_query(event_id, rooms=rooms, reveal_all=reveal, **filters)
    if force_xlsx or request.GET.get("format") == "xlsx":
        sheet = xlsx.Sheet("Scans", journal.XLSX_HEADERS, journal.xlsx_rows(db, stmt, reveal))
        resp = xlsx.xlsx_response(f"room-access-{event_id}.xlsx", [sheet])
        resp.headers["Cache-Control"] = "private, no-store"
        return resp
    return api.paginate(request, stmt, lambda rows: journal.serialize(db, rows, reveal))


journal_svc = api.service("room-access", "/api/room-access/",
                          "The scan journal of my event (filters, pagination, ?format=xlsx)")


@journal_svc.get(schema=api.doc(querystring=JournalQuery))
def list_journal(request):
    return _journal(request)


journal_export = api.service("room-access-export", "/api/room-access/export/", "The scan journal as Excel (.xlsx)")


@journal_export.get(schema=api.doc(querystring=JournalQuery))
def export_journal(request):
    return _journal(request, force_xlsx=True)


journal_item = api.service("room-access-item", f"/api/room-access/{api.UUID_ID}/", "One scan journal entry")


@journal_item.get()
def get_journal_entry(request):
    ident, event_id, role = reader(request)
    db = request.dbsession
    rooms = journal.scannable_rooms(db, ident.user_id, event_id, role)
    entry = api.get_or_404(db, RoomAccess, request.matchdict["id"], event_id, label="Access record")
    if rooms is not journal.ALL and entry.room_id not in rooms:
        raise errors.NotFound("Access record not found", field="id")
    return journal.serialize(db, [entry], bool(ident.is_admin))[0]


room_history = api.service("room-access-history", f"/api/rooms/{api.UUID_ID}/access_history/",
                           "The scan journal of one room (seed alias)")


@room_history.get(schema=api.doc(querystring=JournalQuery))
def room_access_history(request):
    room = readable_room(request)
    return _journal(request, fixed_room=room)


room_current = api.service("room-current-participants", f"/api/rooms/{api.UUID_ID}/current_participants/",
                           "Holders admitted in the room's current window")


@room_current.get()
def room_current_participants(request):
    room = readable_room(request)
    db = request.dbsession
    since = journal.window_start(db, room)
    results = journal.room_people(db, room, since)
    return {"room": {"id": str(room.id), "name": room.name, "capacity": room.capacity},
            "since": since, "current_participants": len(results), "count": len(results), "next": None,
            "previous": None, "results": results}


session_people = api.service("session-participants", f"/api/sessions/{api.UUID_ID}/participants/",
                             "Registered, paid and admitted people of a session")


@session_people.get()
def session_participants(request):
    ident, event_id, role = reader(request)
    db = request.dbsession
    session = api.get_or_404(db, Session, request.matchdict["id"], event_id, label="Session")
    room = db.get(Room, session.room_id)
    journal.check_room_reader(db, ident.user_id, room, role)
    return journal.session_participants(db, session)


def includeme(config):
    config.scan(__name__)


def _me_as_participant(request):
    import sqlalchemy as sa

    from ..roles import BADGE_ROLES

    ident = api.identity(request)
    event_id = api.require_event(request)
    role = api.role_in_event(request, event_id)
    if role not in BADGE_ROLES:
        raise errors.Forbidden("Only the event's participants register for its ateliers")
    participant = request.dbsession.scalar(sa.select(Participant).where(
        Participant.user_id == ident.user_id, Participant.event_id == event_id))
    if participant is None:
        raise errors.NotFound("You have no participant profile in this event")
    return participant


def _registration_answer(request, participant, session_id):
    import sqlalchemy as sa

    from .models import SessionAccess

    db = request.dbsession
    session = api.get_or_404(db, Session, session_id, participant.event_id, label="Session")
    row = db.scalar(sa.select(SessionAccess).where(SessionAccess.participant_id == participant.id,
                                                   SessionAccess.session_id == session.id))
    return registrations.registration_json(db, session, row)


register_svc = api.service("session-register", f"/api/sessions/{api.UUID_ID}/register/",
                           "Register myself for an atelier (free: confirmed within capacity; paid: pending)")


@register_svc.get()
def my_registration(request):
    participant = _me_as_participant(request)
    return _registration_answer(request, participant, request.matchdict["id"])


@register_svc.post()
def register_view(request):
    participant = _me_as_participant(request)
    session_id = api.get_or_404(request.dbsession, Session, request.matchdict["id"], participant.event_id,
                                label="Session").id
    _, created = registrations.register(request.dbsession, participant, session_id)
    request.response.status = 201 if created else 200
    return _registration_answer(request, participant, session_id)


unregister_svc = api.service("session-unregister", f"/api/sessions/{api.UUID_ID}/unregister/",
                             "Cancel my registration before the session starts")


@register_svc.delete()
@unregister_svc.post()
def unregister_view(request):
    participant = _me_as_participant(request)
    session_id = api.get_or_404(request.dbsession, Session, request.matchdict["id"], participant.event_id,
                                label="Session").id
    registrations.cancel(request.dbsession, participant, session_id)
    answer = _registration_answer(request, participant, session_id)
    answer["message"] = "Registration cancelled"
    return answer
