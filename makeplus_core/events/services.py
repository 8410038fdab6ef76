"""Event domain functions shared by the API, the pages and the demo data."""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from .. import errors, modules
from ..access.badge_policy import SETTING as PLAIN_IDS
from ..access.models import SessionAccess
from ..auth.models import User
from ..db import icontains
from ..participants.models import Participant
from ..participants.registration import ensure_participant
from ..roles import BADGE_ROLES, GESTIONNAIRE, ROLES
from ..rooms.models import Room
from ..sessions.models import Session
from ..storage import read_upload, save_bytes, save_pdf_upload
from .archive import check_deletable
from .models import Event, UserEventAssignment


def assign_role(db, user_id: int, event: Event, role: str, assigned_by_id: int | None = None,
                is_active: bool = True) -> UserEventAssignment:
    """Give ``user_id`` its one role in ``event`` (creating or updating the assignment).

    Badge holders (participant, exposant) also get their Participant row.
    """
    if role not in ROLES:
        raise errors.Invalid(f"role: must be one of {', '.join(ROLES)}", field="role")
    assignment = db.scalar(sa.select(UserEventAssignment).where(UserEventAssignment.user_id == user_id,
                                                                UserEventAssignment.event_id == event.id))
    if assignment is None:
        assignment = UserEventAssignment(user_id=user_id, event_id=event.id, role=role,
                                         assigned_by_id=assigned_by_id, is_active=is_active)
        db.add(assignment)
    else:
        assignment.role = role
        assignment.is_active = is_active
    db.flush()
    if role in BADGE_ROLES:
        ensure_participant(db, event, user_id)
    return assignment


# --------------------------------------------------------------------------- access


def role_of(db, user_id: int, event_ids) -> dict:
    """``{event_id: role}`` of the user's active assignments among ``event_ids`` (one query)."""
    ids = list(event_ids)
    if not ids:
        return {}
    rows = db.execute(sa.select(UserEventAssignment.event_id, UserEventAssignment.role).where(
        UserEventAssignment.user_id == user_id, UserEventAssignment.event_id.in_(ids),
        UserEventAssignment.is_active.is_(True)))
    return {event_id: role for event_id, role in rows}


def is_gestionnaire_anywhere(db, user_id: int) -> bool:
    return db.scalar(sa.select(UserEventAssignment.id).where(
        UserEventAssignment.user_id == user_id, UserEventAssignment.role == GESTIONNAIRE,
        UserEventAssignment.is_active.is_(True)).limit(1)) is not None


def get_for_user(db, event_id, user_id: int, is_admin: bool, write: bool = False) -> tuple[Event, str | None]:
    """The event and the caller's role in it.

    Not a member (and not a platform admin): 404. ``write`` and not the event's
    gestionnaire: 403.
    """
    try:
        eid = uuid.UUID(str(event_id))
    except ValueError:
        raise errors.NotFound("Event not found") from None
    event = db.get(Event, eid)
    if event is None:
        raise errors.NotFound("Event not found")
    role = role_of(db, user_id, [eid]).get(eid)
    if role is None and not is_admin:
        raise errors.NotFound("Event not found")
    if write and not is_admin and role != GESTIONNAIRE:
        raise errors.Forbidden("Only a gestionnaire des salles of this event can change it")
    return event, role


def list_query(user_id: int, is_admin: bool, status=None, is_active=None, search=None, archived=False):
    """Events of the user (all for platform admins); archived ones only with ``archived=True``."""
    stmt = sa.select(Event).where(Event.archived_at.is_not(None) if archived else Event.archived_at.is_(None))
    if not is_admin:
        stmt = stmt.where(Event.id.in_(sa.select(UserEventAssignment.event_id).where(
            UserEventAssignment.user_id == user_id, UserEventAssignment.is_active.is_(True))))
    if status:
        stmt = stmt.where(Event.status == status)
    if is_active is not None:
        stmt = stmt.where(Event.is_active.is_(is_active))
    if search:
        stmt = stmt.where(icontains(search, Event.name, Event.location, Event.description))
    return stmt.order_by(Event.start_date.desc(), Event.name, Event.id)


# --------------------------------------------------------------------------- writes

FIELDS = ("name", "description", "location", "location_details", "start_date", "end_date", "status", "is_active", "timezone",
          "themes", "settings", "organizer_name", "organizer_email", "organizer_phone", "primary_color")


def check(db, event: Event, data: dict) -> None:
    """Every rule on ``data`` against ``event``, before anything is assigned: a change
    assigned first could be autoflushed by a lookup and hit a CHECK constraint (a 500)."""
    start = data.get("start_date", event.start_date)
    end = data.get("end_date", event.end_date)
    if start is None or end is None:
        raise errors.Invalid("start_date: required", field="start_date")
    if end <= start:
        raise errors.Invalid("end_date: must be after start_date", field="end_date")
    if "president" in data:
        if db.get(User, data["president"]) is None:
            raise errors.Invalid("president: unknown user", field="president")


def apply(db, event: Event, data: dict) -> dict:
    """Check, then copy validated ``data`` onto ``event``; returns ``{field: (old, new)}``."""
    check(db, event, data)
    changes = {}

    def put(attr, value):
        old = getattr(event, attr)
        if old != value:
            changes[attr] = (old, value)
            setattr(event, attr, value)

    for key in FIELDS:
        if key in data and key != "settings":
            put(key, data[key])
    if "settings" in data or "modules" in data:
        settings = dict(data.get("settings", event.settings) or {})
        if "settings" in data and modules.SETTING not in settings and (event.settings or {}).get(modules.SETTING):
            settings[modules.SETTING] = event.settings[modules.SETTING]  # settings without modules keep them
        if "modules" in data:
            settings = modules.merged(settings, data["modules"])
        put("settings", settings)
        if event.id is not None:
            modules.forget(db, event.id)
    if "accept_plain_user_id" in data:
        settings = dict(event.settings or {})
        settings[PLAIN_IDS] = bool(data["accept_plain_user_id"])
        put("settings", settings)
        if event.id is not None:
            modules.forget(db, event.id)
    if "metadata" in data:
        put("meta", data["metadata"])
    if "president" in data:
        put("president_id", data["president"])
    for key in ("logo", "banner"):
        if f"{key}_url" in data:
            put(key, data[f"{key}_url"] or None)
    for key in ("logo", "banner", "programme_file", "guide_file"):
        if key in data.get("_files", {}):
            put(key, data["_files"][key])
    return changes


def create(db, data: dict, user_id: int, is_admin: bool) -> Event:
    event = Event(created_by_id=user_id, themes=[], settings={}, meta={})
    apply(db, event, data)
    db.add(event)
    db.flush()
    if not is_admin:
        # A gestionnaire creating an event manages it.
        assign_role(db, user_id, event, GESTIONNAIRE, assigned_by_id=user_id)
    return event


def update(db, event: Event, data: dict) -> dict:
    changes = apply(db, event, data)
    db.flush()
    return changes


def delete(db, event: Event, pm) -> None:
    """Delete an event that holds nothing worth keeping; else 409 (archive it instead)."""
    check_deletable(db, event, pm)

    # sessions.room_id is ON DELETE RESTRICT: remove sessions before the cascade reaches rooms.
    db.execute(sa.delete(Session).where(Session.event_id == event.id))
    db.delete(event)
    db.flush()


# --------------------------------------------------------------------------- files

IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"))


def check_image(data: bytes, field: str) -> str:
    """The file suffix of a PNG or JPEG (by content); anything else is a 400."""
    for magic, suffix in IMAGE_TYPES:
        if data.startswith(magic):
            return suffix
    raise errors.Invalid(f"{field}: only PNG or JPEG images are accepted", field=field)


def save_image_upload(request, field: str, folder: str, required: bool = False) -> str | None:
    data = read_upload(request, field, required=required)
    if data is None:
        return None
    return save_bytes(request.registry, data, folder, check_image(data, field))


FILE_FOLDERS = {"programme_file": "programmes", "guide_file": "guides", "logo": "event_images",
                "banner": "event_images"}


def read_files(request) -> dict:
    """Files of a multipart event create/update, stored; ``{field: stored path}``."""
    if not (request.content_type or "").startswith("multipart/"):
        return {}
    files = {}
    for field in ("programme_file", "guide_file"):
        path = save_pdf_upload(request, field, FILE_FOLDERS[field], required=False)
        if path:
            files[field] = path
    for field in ("logo", "banner"):
        path = save_image_upload(request, field, FILE_FOLDERS[field])
        if path:
            files[field] = path
    return files


# --------------------------------------------------------------------------- statistics


def totals(db, event_ids) -> dict:
    """``{event_id: {total_rooms, total_sessions, total_participants}}`` (three grouped queries)."""
    ids = list(event_ids)
    out = {eid: {"total_rooms": 0, "total_sessions": 0, "total_participants": 0} for eid in ids}
    if not ids:
        return out
    for key, model in (("total_rooms", Room), ("total_sessions", Session),
                       ("total_participants", Participant)):
        rows = db.execute(sa.select(model.event_id, sa.func.count()).where(model.event_id.in_(ids))
                          .group_by(model.event_id))
        for eid, n in rows:
            out[eid][key] = n
    return out


def checked_in_totals(db, event_ids) -> dict:
    """``{event_id: checked-in participants}`` (one grouped query)."""
    ids = list(event_ids)
    out = {eid: 0 for eid in ids}
    if ids:
        rows = db.execute(sa.select(Participant.event_id, sa.func.count()).where(
            Participant.event_id.in_(ids), Participant.is_checked_in.is_(True)).group_by(Participant.event_id))
        out.update({eid: int(n) for eid, n in rows})
    return out


def event_counts(db, event_id) -> dict:
    """The event's raw figures in four aggregate queries, shared by the event statistics,
    the dashboard stats endpoint and the web dashboard."""
    def count_if(cond):
        return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

    s = db.execute(sa.select(
        sa.func.count(Session.id),
        count_if(Session.status == "en_cours"),
        count_if(Session.status == "termine"),
        count_if(Session.status == "pas_encore"),
        count_if(Session.status == "cancelled"),
        count_if(Session.session_type == "atelier"),
        count_if(sa.and_(Session.session_type == "atelier", Session.is_paid.is_(True))),
        count_if(Session.is_paid.is_(True)),
    ).where(Session.event_id == event_id)).one()
    p = db.execute(sa.select(sa.func.count(Participant.id), count_if(Participant.is_checked_in.is_(True)))
                   .where(Participant.event_id == event_id)).one()
    rooms = db.execute(sa.select(sa.func.count(Room.id), count_if(Room.is_active.is_(True)))
                       .where(Room.event_id == event_id)).one()
    paid = db.execute(sa.select(sa.func.count(SessionAccess.id),
                                sa.func.coalesce(sa.func.sum(SessionAccess.amount_paid), 0))
                      .join(Session, Session.id == SessionAccess.session_id)
                      .where(Session.event_id == event_id, SessionAccess.payment_status == "paid")).one()
    return {
        "participants": int(p[0]), "checked_in": int(p[1]),
        "sessions": int(s[0]), "live": int(s[1]), "completed": int(s[2]), "not_started": int(s[3]),
        "cancelled": int(s[4]), "ateliers": int(s[5]), "paid_ateliers": int(s[6]), "paid_sessions": int(s[7]),
        "rooms": int(rooms[0]), "active_rooms": int(rooms[1]),
        "paid_registrations": int(paid[0]), "revenue": float(paid[1] or 0),
    }


# Who may read an event's money figures (revenue, payment splits) and per-booth counts.
FINANCE_ROLES = (GESTIONNAIRE, "admin")
MONEY_FIGURES = ("ateliers_revenue",)


def sees_finances(role: str | None) -> bool:
    return role in FINANCE_ROLES


def plugin_statistics(db, event_id, role: str | None, pm) -> dict:
    """Every plugin's section of an event's statistics, for a caller of ``role``."""
    out: dict = {}
    hook = modules.event_hook(pm, "makeplus_event_statistics", db, event_id)
    for extra in hook(dbsession=db, event_id=event_id, role=role):
        if extra:
            out.update(extra)
    return out


def statistics(db, event: Event, pm, role: str | None = None) -> dict:
    """The event's figures (``GET /api/events/{id}/statistics/``), plus each plugin's own section.

    ``role``: the caller's role in the event (``"admin"`` for a platform admin without
    one). Revenue is left out unless :func:`sees_finances`; plugins get the role too.
    """
    c = event_counts(db, event.id)
    stats = {
        "event_id": str(event.id),
        "total_participants": c["participants"],
        "checked_in_participants": c["checked_in"],
        "total_sessions": c["sessions"],
        "live_sessions": c["live"],
        "completed_sessions": c["completed"],
        "upcoming_sessions": c["not_started"],
        "cancelled_sessions": c["cancelled"],
        "total_ateliers": c["ateliers"],
        "paid_ateliers": c["paid_ateliers"],
        "total_rooms": c["rooms"],
        "active_rooms": c["active_rooms"],
        "paid_atelier_registrations": c["paid_registrations"],
        "ateliers_revenue": c["revenue"],
    }
    if not sees_finances(role):
        for key in MONEY_FIGURES:
            stats.pop(key)
    stats.update(plugin_statistics(db, event.id, role, pm))
    return stats
