"""Scan statistics (SQL aggregates only) and badge re-issue."""
from __future__ import annotations

import bisect
import datetime as dt

import sqlalchemy as sa

from ..auth import badges
from ..auth.models import User
from ..db import utcnow
from ..events.models import UserEventAssignment
from ..participants.models import Participant
from ..rooms.models import Room
from ..sessions.models import Session
from ..staff.models import RoomAssignment
from .models import RoomAccess, RoomAccessHourly, RoomDayVisitor
from .window import day_start

RECENT_LIMIT = 20


def current_room_assignment(db, user_id: int, event_id, at=None):
    """The room the user is assigned to at ``at`` (now) in the event, or None.

    Uses the staff domain's function when it exists (core-people), else this query.
    """
    try:
        from ..staff.services import current_room_assignment as staff_fn  # type: ignore
    except ImportError:
        staff_fn = None
    if staff_fn is not None:
        found = staff_fn(db, user_id, event_id, at=at)
        return getattr(found, "room_id", found)
    at = at or utcnow()
    return db.scalar(
        sa.select(RoomAssignment.room_id)
        .where(RoomAssignment.user_id == user_id, RoomAssignment.event_id == event_id,
               RoomAssignment.is_active.is_(True), RoomAssignment.start_time <= at, RoomAssignment.end_time > at)
        .order_by(RoomAssignment.start_time.desc()).limit(1)
    )


def _counts(db, where, today):
    granted = RoomAccess.status == "granted"
    is_today = RoomAccess.access_time >= today
    row = db.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((is_today, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((granted, 1), else_=0)), 0),
            sa.func.count(sa.distinct(sa.case((granted, RoomAccess.user_id)))),
            sa.func.count(sa.distinct(sa.case((sa.and_(granted, is_today), RoomAccess.user_id)))),
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(granted, is_today), 1), else_=0)), 0),
        ).where(*where)
    ).one()
    total, today_scans, granted_n, uniq, uniq_today, granted_today = (int(v or 0) for v in row)
    return {"total_scans": total, "today_scans": today_scans, "granted": granted_n,
            "denied": total - granted_n, "granted_today": granted_today,
            "unique_participants": uniq, "unique_participants_today": uniq_today}


def recent_scans(db, where, limit=RECENT_LIMIT) -> list[dict]:
    verifier = sa.orm.aliased(User)
    rows = db.execute(
        sa.select(RoomAccess, User, Participant.id, Session.title, Room.name, verifier.username)
        .outerjoin(User, User.id == RoomAccess.user_id)
        .outerjoin(Participant, Participant.id == RoomAccess.participant_id)
        .outerjoin(Session, Session.id == RoomAccess.session_id)
        .outerjoin(Room, Room.id == RoomAccess.room_id)
        .outerjoin(verifier, verifier.id == RoomAccess.verified_by_id)
        .where(*where).order_by(RoomAccess.access_time.desc()).limit(limit)
    ).all()
    out = []
    from .pipeline import PRE_MEMBERSHIP_LAYERS

    for access, user, pid, title, room_name, verified_by in rows:
        participant = None
        # a denial decided before the holder was found in the event never names them
        # (an unknown/revoked badge, a plain id of someone outside the event…)
        named = access.status == "granted" or access.layer not in PRE_MEMBERSHIP_LAYERS
        if user is not None and named:
            participant = {"id": str(pid) if pid else None, "user_id": user.id, "name": user.full_name,
                           "email": user.email, "badge_id": user.badge_id}
        out.append({
            "id": str(access.id), "participant": participant, "session": title, "room_name": room_name,
            "status": access.status, "reason": access.reason, "layer": access.layer,
            "http_status": access.http_status, "scanned_at": access.access_time,
            "accessed_at": access.access_time, "verified_by": verified_by,
        })
    return out


def room_brief(room) -> dict | None:
    if room is None:
        return None
    return {"id": str(room.id), "name": room.name, "capacity": room.capacity}


def room_counts(db, room_id, today) -> dict:
    """:func:`_counts` of one room, read from the roll-ups that the database keeps
    (``room_access_hourly``, ``room_day_visitors``, revision 0014_stats_rollups): two
    statements over a few rows per hour and per visitor-day, whatever the journal's size.
    ``today`` is a UTC midnight (:func:`day_start`), so hour buckets split on it exactly."""
    h = RoomAccessHourly
    granted = h.status == "granted"
    is_today = h.hour >= today
    total, today_scans, granted_n, granted_today = (int(v or 0) for v in db.execute(
        sa.select(sa.func.sum(h.count),
                  sa.func.sum(sa.case((is_today, h.count), else_=0)),
                  sa.func.sum(sa.case((granted, h.count), else_=0)),
                  sa.func.sum(sa.case((sa.and_(granted, is_today), h.count), else_=0)))
        .where(h.room_id == room_id)).one())
    v = RoomDayVisitor
    uniq, uniq_today = (int(x or 0) for x in db.execute(
        sa.select(sa.func.count(sa.distinct(v.user_id)),
                  sa.func.count(sa.distinct(sa.case((v.day >= today.date(), v.user_id)))))
        .where(v.room_id == room_id)).one())
    return {"total_scans": total, "today_scans": today_scans, "granted": granted_n,
            "denied": total - granted_n, "granted_today": granted_today,
            "unique_participants": uniq, "unique_participants_today": uniq_today}


def room_statistics(db, room) -> dict:
    where = [RoomAccess.room_id == room.id]
    stats = room_counts(db, room.id, day_start())
    stats["current_occupancy"] = _occupancy(db, room)
    stats["tracks_exits"] = bool(room.tracks_exits)
    return {"room": room_brief(room), "statistics": stats, "recent_scans": recent_scans(db, where),
            "occupancy_timeline": occupancy_timeline(db, room)}


def _occupancy(db, room) -> int:
    from ..rooms.services import room_occupancy

    return room_occupancy(db, [room])[room.id]


TIMELINE_STEP = dt.timedelta(minutes=15)


def _timeline_edges(start, now):
    """The chart's points: every 15 minutes from ``start``, and ``now`` last."""
    t = start
    while t <= now + TIMELINE_STEP:
        edge = min(t, now)
        yield edge
        if edge == now:
            return
        t += TIMELINE_STEP


def occupancy_timeline(db, room, now=None) -> list[dict]:
    """Occupancy over today (15-minute points, for the statistics chart).

    Rooms that do not track exits: distinct holders admitted since the UTC day's start
    (today's rule), i.e. the day's visitors whose first granted entry
    (``room_day_visitors.first_entry_at``, kept by the journal's triggers) is at or before
    each point: one query over the day's visitors, whatever the number of scans. Rooms that
    track exits: people inside at each point (entries minus exits per person, from the event
    day's start in the event's timezone), walked over the day's granted scans of the room.
    """
    now = now or utcnow()
    if not room.tracks_exits:
        start = day_start(now)
        firsts = db.scalars(sa.select(RoomDayVisitor.first_entry_at)
                            .where(RoomDayVisitor.room_id == room.id, RoomDayVisitor.day == start.date(),
                                   RoomDayVisitor.first_entry_at <= now)
                            .order_by(RoomDayVisitor.first_entry_at)).all()
        return [{"time": edge, "occupancy": bisect.bisect_right(firsts, edge)}
                for edge in _timeline_edges(start, now)]
    return _inside_timeline(db, room, now)


def _inside_timeline(db, room, now) -> list[dict]:
    """The timeline of a room that tracks exits, from the event day's granted scans."""
    from ..events.models import Event
    from .presence import event_day_start

    tz = db.scalar(sa.select(Event.timezone).where(Event.id == room.event_id))
    start = event_day_start(tz, now)
    rows = db.execute(sa.select(RoomAccess.access_time, RoomAccess.user_id, RoomAccess.direction)
                      .where(RoomAccess.room_id == room.id, RoomAccess.status == "granted",
                             RoomAccess.access_time >= start, RoomAccess.access_time <= now)
                      .order_by(RoomAccess.access_time)).all()
    inside: set = set()
    points, i = [], 0
    for edge in _timeline_edges(start, now):
        while i < len(rows) and _aware(rows[i][0]) <= edge:
            _, user_id, direction = rows[i]
            if direction == "exit":
                inside.discard(user_id)
            else:
                inside.add(user_id)
            i += 1
        points.append({"time": edge, "occupancy": len(inside)})
    return points


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def granted_holders(db, *where) -> list:
    """``(user, participant_id, first access, last access, scans)`` of each distinct holder
    granted by the journal rows matching ``where``, by first access (one query)."""
    return db.execute(
        sa.select(User, Participant.id, sa.func.min(RoomAccess.access_time), sa.func.max(RoomAccess.access_time),
                  sa.func.count())
        .join(User, User.id == RoomAccess.user_id)
        .outerjoin(Participant, Participant.id == RoomAccess.participant_id)
        .where(RoomAccess.status == "granted", *where)
        .group_by(User.id, Participant.id)
        .order_by(sa.func.min(RoomAccess.access_time), User.id)
    ).all()


def room_participants_today(db, room) -> list[dict]:
    """Distinct holders granted in ``room`` today with their first/last entry."""
    rows = granted_holders(db, RoomAccess.room_id == room.id, RoomAccess.access_time >= day_start())
    return [{"id": str(pid) if pid else None, "user_id": user.id, "name": user.full_name, "email": user.email,
             "badge_id": user.badge_id, "first_access": first, "last_access": last, "scans": n}
            for user, pid, first, last, n in rows]


def my_room_statistics(db, user_id: int, event_id) -> dict:
    room_id = current_room_assignment(db, user_id, event_id)
    room = db.get(Room, room_id) if room_id is not None else None
    today = day_start()
    mine = [RoomAccess.verified_by_id == user_id, RoomAccess.event_id == event_id]
    my_counts = _counts(db, mine, today)
    if room is not None:
        where = [RoomAccess.room_id == room.id]
        stats = room_counts(db, room.id, today)
        stats["current_occupancy"] = _occupancy(db, room)
    else:
        where, stats = mine, dict(my_counts)
    return {
        "room": room_brief(room),
        "statistics": stats,
        "my_check_ins_today": my_counts["granted_today"],
        "my_scans_today": my_counts["today_scans"],
        "recent_scans": recent_scans(db, where),
    }


def user_in_event(db, user_id: int, event_id) -> User | None:
    return db.scalar(sa.select(User).join(UserEventAssignment, UserEventAssignment.user_id == User.id)
                     .where(User.id == user_id, UserEventAssignment.event_id == event_id))


def reissue_badge(db, user) -> User:
    """Revoke ``user``'s badge and give a new one: every old QR (JSON or signed)
    carries the old badge id and is refused from now on."""
    from .models import RevokedBadge

    db.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    if user.badge_id:  # remembered for the offline scanners' manifest
        db.merge(RevokedBadge(badge_id=user.badge_id, user_id=user.id, revoked_at=utcnow()))
    badges.issue_badge(user)
    db.flush()
    return user


def scans_per_hour(db, event_id, status: str = "granted") -> list[dict]:
    """Room scans of an event per (room, UTC hour), one grouped query.

    ``[{"room_id", "room_name", "hour": "YYYY-MM-DD HH:00", "scans"}]`` ordered by hour
    then room name; ``status`` ``"granted"`` (default), ``"denied"`` or ``None`` (both).
    """
    from ..rooms.models import Room

    if db.get_bind().dialect.name == "postgresql":
        hour = sa.func.to_char(sa.func.date_trunc("hour", sa.func.timezone("UTC", RoomAccess.access_time)),
                               "YYYY-MM-DD HH24:00")
    else:
        hour = sa.func.strftime("%Y-%m-%d %H:00", RoomAccess.access_time)
    hour = hour.label("hour")
    stmt = (sa.select(RoomAccess.room_id, Room.name, hour, sa.func.count())
            .join(Room, Room.id == RoomAccess.room_id)
            .where(RoomAccess.event_id == event_id, RoomAccess.room_id.is_not(None)))
    if status:
        stmt = stmt.where(RoomAccess.status == status)
    rows = db.execute(stmt.group_by(RoomAccess.room_id, Room.name, hour).order_by(hour, Room.name)).all()
    return [{"room_id": rid, "room_name": name, "hour": h, "scans": int(n)} for rid, name, h, n in rows]
