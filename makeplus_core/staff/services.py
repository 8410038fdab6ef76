"""Staff domain functions: users' per-event roles (user assignments) and staff room
assignments for time slots."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from .. import errors
from ..api import get_or_404
from ..auth.models import User
from ..auth.services import user_matches
from ..db import utcnow
from ..events.models import Event, UserEventAssignment
from ..events.services import assign_role
from ..roles import STAFF_ROLES
from ..rooms.models import Room
from .models import RoomAssignment

# --------------------------------------------------------------------------- room assignments (queries)


def current_room_assignment(db, user_id: int, event_id, at: dt.datetime | None = None):
    """The user's active room assignment in the event at ``at`` (default now), or ``None``.

    When several overlap (they should not), the one that started last wins.
    """
    at = at or utcnow()
    return db.scalar(
        sa.select(RoomAssignment)
        .where(RoomAssignment.user_id == user_id, RoomAssignment.event_id == event_id,
               RoomAssignment.is_active.is_(True), RoomAssignment.start_time <= at,
               RoomAssignment.end_time > at)
        .order_by(RoomAssignment.start_time.desc())
        .limit(1)
    )


def relevant_room_assignments(db, pairs, at: dt.datetime | None = None) -> dict:
    """For (user_id, event_id) pairs: the current room assignment, else the next one, else
    the latest past one, as ``{(user_id, event_id): (RoomAssignment, room name)}``. One query."""
    at = at or utcnow()
    pairs = set(pairs)
    if not pairs:
        return {}
    rows = db.execute(
        sa.select(RoomAssignment, Room.name)
        .join(Room, Room.id == RoomAssignment.room_id)
        .where(RoomAssignment.user_id.in_({u for u, _ in pairs}),
               RoomAssignment.event_id.in_({e for _, e in pairs}),
               RoomAssignment.is_active.is_(True))
    ).all()

    def rank(item):
        ra = item[0]
        if ra.start_time <= at < ra.end_time:
            return (0, -ra.start_time.timestamp())
        if ra.start_time > at:
            return (1, ra.start_time.timestamp())
        return (2, -ra.end_time.timestamp())

    best: dict = {}
    for item in rows:
        key = (item[0].user_id, item[0].event_id)
        if key in pairs and (key not in best or rank(item) < rank(best[key])):
            best[key] = item
    return best


def _matching(stmt, model, **values):
    """``stmt`` restricted to the rows whose columns equal the given values (``None`` or an empty
    string: that column is not filtered)."""
    for name, value in values.items():
        if value is not None and value != "":
            stmt = stmt.where(getattr(model, name) == value)
    return stmt


def room_assignment_list_query(event_id, *, room_id=None, user_id=None, role=None, is_active=None,
                               current=None, at=None):
    stmt = _matching(sa.select(RoomAssignment).where(RoomAssignment.event_id == event_id), RoomAssignment,
                     room_id=room_id, user_id=user_id, role=role, is_active=is_active)
    if current is not None:
        at = at or utcnow()
        now_cond = sa.and_(RoomAssignment.is_active.is_(True), RoomAssignment.start_time <= at,
                           RoomAssignment.end_time > at)
        stmt = stmt.where(now_cond if current else sa.not_(now_cond))
    return stmt.order_by(RoomAssignment.start_time, RoomAssignment.id)


# --------------------------------------------------------------------------- room assignments (writes)


def _check_room_assignment(db, event_id, values: dict, exclude_id=None) -> None:
    get_or_404(db, Room, values["room_id"], event_id, label="Room", field="room")
    assignment = db.scalar(
        sa.select(UserEventAssignment)
        .where(UserEventAssignment.user_id == values["user_id"], UserEventAssignment.event_id == event_id)
        .with_for_update()  # serialises concurrent assignments of one staff member
    )
    if assignment is None or not assignment.is_active or assignment.role not in STAFF_ROLES:
        raise errors.Invalid("user: must be assigned to this event as gestionnaire_des_salles or "
                             "controlleur_des_badges", field="user")
    if not values.get("role"):
        values["role"] = assignment.role
    if values["role"] not in STAFF_ROLES:
        raise errors.Invalid(f"role: must be one of {', '.join(STAFF_ROLES)}", field="role")
    if values["end_time"] <= values["start_time"]:
        raise errors.Invalid("end_time: must be after start_time", field="end_time")
    if not values.get("is_active", True):
        return
    stmt = (
        sa.select(RoomAssignment, Room.name)
        .join(Room, Room.id == RoomAssignment.room_id)
        .where(RoomAssignment.user_id == values["user_id"], RoomAssignment.event_id == event_id,
               RoomAssignment.is_active.is_(True),
               RoomAssignment.start_time < values["end_time"], RoomAssignment.end_time > values["start_time"])
        .order_by(RoomAssignment.start_time)
        .with_for_update(of=RoomAssignment)
    )
    if exclude_id is not None:
        stmt = stmt.where(RoomAssignment.id != exclude_id)
    clash = db.execute(stmt).first()
    if clash is not None:
        ra, room_name = clash
        raise errors.Conflict(
            f"user: already assigned to room {room_name} from {ra.start_time.isoformat()} to "
            f"{ra.end_time.isoformat()}", field="user",
            clash={"id": str(ra.id), "room_id": str(ra.room_id), "room_name": room_name,
                   "start_time": ra.start_time, "end_time": ra.end_time})


def create_room_assignment(db, event_id, data: dict, assigned_by_id=None) -> RoomAssignment:
    values = {"user_id": data["user"], "room_id": data["room"], "role": data.get("role"),
              "start_time": data["start_time"], "end_time": data["end_time"],
              "is_active": data.get("is_active", True)}
    _check_room_assignment(db, event_id, values)
    obj = RoomAssignment(event_id=event_id, assigned_by_id=assigned_by_id, **values)
    db.add(obj)
    db.flush()
    return obj


def update_room_assignment(db, obj: RoomAssignment, data: dict) -> RoomAssignment:
    values = {"user_id": data.get("user", obj.user_id), "room_id": data.get("room", obj.room_id),
              "role": data.get("role", obj.role), "start_time": data.get("start_time", obj.start_time),
              "end_time": data.get("end_time", obj.end_time), "is_active": data.get("is_active", obj.is_active)}
    _check_room_assignment(db, obj.event_id, values, exclude_id=obj.id)
    for key, value in values.items():
        setattr(obj, key, value)
    db.flush()
    return obj


def delete_room_assignment(db, obj: RoomAssignment) -> None:
    db.delete(obj)
    db.flush()


# --------------------------------------------------------------------------- user assignments


def user_assignment_list_query(event_id, *, own_user_id=None, user_id=None, role=None, is_active=None,
                               search=None):
    stmt = sa.select(UserEventAssignment).where(UserEventAssignment.event_id == event_id)
    if search:
        stmt = stmt.join(User, User.id == UserEventAssignment.user_id).where(user_matches(search, User.badge_id))
    stmt = _matching(stmt, UserEventAssignment, user_id=own_user_id)  # a member's own rows only
    stmt = _matching(stmt, UserEventAssignment, user_id=user_id, role=role, is_active=is_active)
    return stmt.order_by(UserEventAssignment.assigned_at, UserEventAssignment.id)


def create_user_assignment(db, event: Event, data: dict, assigned_by_id=None) -> UserEventAssignment:
    """Give ``data["user"]`` a role in ``event``. The caller resolved that account by the
    enrolment rule (``auth.invitations``: by e-mail for event staff, by id for platform
    admins only): this function never looks accounts up for event staff."""
    if db.get(User, data["user"]) is None:
        raise errors.Invalid("user: no such user", field="user")
    existing = db.scalar(sa.select(UserEventAssignment.role).where(
        UserEventAssignment.user_id == data["user"], UserEventAssignment.event_id == event.id))
    if existing is not None:
        raise errors.Conflict(f"user: already assigned to this event as {existing} (one role per user "
                              "per event: update that assignment instead)", field="user")
    try:
        return assign_role(db, data["user"], event, data["role"], assigned_by_id=assigned_by_id,
                           is_active=data.get("is_active", True))
    except sa.exc.IntegrityError:  # a concurrent request created it first (PostgreSQL)
        raise errors.Conflict("user: already assigned to this event", field="user") from None


def update_user_assignment(db, obj: UserEventAssignment, data: dict) -> UserEventAssignment:
    event = db.get(Event, obj.event_id)
    return assign_role(db, obj.user_id, event, data.get("role", obj.role),
                       is_active=data.get("is_active", obj.is_active))


def delete_user_assignment(db, obj: UserEventAssignment) -> None:
    """Remove the user's role in the event (their participant row, if any, stays)."""
    db.delete(obj)
    db.flush()
