"""The event check-in's writes in one round trip (PostgreSQL): the journal row and the
participant's first check-in, ``WITH ins AS (INSERT … RETURNING id), upd AS (UPDATE
participants … WHERE NOT is_checked_in AND EXISTS (SELECT FROM ins) RETURNING id) SELECT …``.

Two statements became one (issue 20): the same rows as the pipeline's ``record`` followed by
its conditional ``UPDATE``. The update's ``is_checked_in IS false`` keeps the check-in
happening once under any concurrency (a concurrent update waits for the row lock, then
finds it checked in), and a scan id already journaled (``ON CONFLICT DO NOTHING``: the
retry of an idempotent scan) inserts nothing and so checks nobody in.
"""
from __future__ import annotations

import functools
import types
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from zope.sqlalchemy import mark_changed

from ..auth.models import User
from ..db import RawSelect
from ..events.models import Event, UserEventAssignment
from ..participants.models import Participant
from ..rooms.models import Room
from .models import RoomAccess, SessionAccess


@functools.cache
def _query(keyed: bool) -> RawSelect:
    journal = RoomAccess.__table__
    ins = postgresql.insert(journal).values({c.name: sa.bindparam(c.name, type_=c.type) for c in journal.c})
    if keyed:
        ins = ins.on_conflict_do_nothing(index_elements=["verified_by_id", "scan_id"])
    ins = ins.returning(journal.c.id).cte("ins")
    people = Participant.__table__
    upd = (sa.update(people)
           .where(people.c.id == sa.bindparam("check_in_id", type_=people.c.id.type),
                  people.c.is_checked_in.is_(False), sa.exists(sa.select(ins.c.id)))
           .values(is_checked_in=True, checked_in_at=sa.bindparam("access_time", type_=journal.c.access_time.type))
           .returning(people.c.id).cte("upd"))
    return RawSelect(sa.select(sa.select(ins.c.id).scalar_subquery().label("recorded_id"),
                               sa.exists(sa.select(upd.c.id)).label("first")))


def record_check_in(db, values: dict, participant_id) -> tuple[bool, bool]:
    """Insert the journal row ``values`` (``RoomAccess`` columns) and, when it was inserted
    and ``participant_id`` is not ``None``, check the participant in at ``access_time`` unless
    already checked in. One statement, in the request's transaction (PostgreSQL only).
    Returns ``(recorded, first)``: ``recorded`` False when the scan id was already journaled
    (nothing written), ``first`` True when this scan checked the participant in."""
    row = _query(values["scan_id"] is not None).first(db.connection(), {**values, "check_in_id": participant_id})
    mark_changed(db)
    return row.recorded_id is not None, bool(row.first)


# --------------------------------------------------------------------------- the whole check-in


def event_gate(gate, event_id):
    """A plugin's access gate (``makeplus_access_gates``) at the event scanner, which has no
    room: the gate sees the event as a room without an id (``room.id`` NULL, ``room.event_id``
    the event). A gate that reads another room column cannot say: true (its hook is asked)."""
    event_as_room = types.SimpleNamespace(id=sa.cast(sa.null(), Room.id.type), event_id=event_id)
    try:
        return gate(event_as_room, User)
    except AttributeError:
        return sa.true()


# The holder's columns the check-in reads (its answer, the pipeline's checks, the plugins' hooks).
USER_COLUMNS = ("id", "email", "username", "first_name", "last_name", "profile_photo_url", "is_active", "badge_id")
PARTICIPANT_COLUMNS = ("id", "user_id", "event_id", "is_checked_in", "checked_in_at")


@functools.cache
def _whole_query(access_gates: tuple, item_gates: tuple | None) -> RawSelect:
    """``WITH h AS (the holder, as the pipeline's holder read), ins AS (INSERT the granted
    journal row SELECT … FROM h WHERE <granted>), upd AS (UPDATE participants … the first
    check-in) SELECT h.*, ins.id, upd``: what the database alone can grant (no plugin's access
    gate is true) is decided and recorded in the one statement; otherwise nothing is written
    and the pipeline decides on the row read."""
    event_id = sa.bindparam("event_id", type_=sa.Uuid)
    uea = UserEventAssignment
    gates = [event_gate(gate, event_id).label(f"gate_{i}") for i, gate in enumerate(access_gates)]
    items = [gate(User, Participant, event_id).label(f"items_{i}") for i, gate in enumerate(item_gates or ())]
    holder = (
        sa.select(*[getattr(User, c).label(f"u_{c}") for c in USER_COLUMNS],
                  *[getattr(Participant, c).label(f"p_{c}") for c in PARTICIPANT_COLUMNS],
                  uea.role.label("role"), uea.is_active.label("active"), Event.name.label("event_name"),
                  Event.settings.label("event_settings"),
                  sa.exists().where(SessionAccess.participant_id == Participant.id).label("has_ateliers"),
                  *gates, *items)
        .outerjoin(uea, sa.and_(uea.user_id == User.id, uea.event_id == event_id))
        .outerjoin(Participant, sa.and_(Participant.user_id == User.id, Participant.event_id == event_id))
        .outerjoin(Event, Event.id == event_id)
        .where(User.id == sa.bindparam("user_id", type_=sa.Integer))
    ).cte("h")
    h = holder.c
    granted = sa.and_(h.u_badge_id == sa.bindparam("badge_id", type_=sa.String), h.u_is_active.is_(True),
                      h.active.is_(True), h.role.is_not(None), h.event_name.is_not(None),
                      *[sa.not_(getattr(h, f"gate_{i}")) for i in range(len(gates))])
    journal = RoomAccess.__table__
    const = sa.literal_column
    ins = (journal.insert()
           .from_select(["id", "event_id", "participant_id", "user_id", "verified_by_id", "access_time", "status",
                         "layer", "reason", "http_status", "direction"],
                        sa.select(sa.bindparam("access_id", type_=sa.Uuid), event_id, h.p_id, h.u_id,
                                  sa.bindparam("scanner_id", type_=sa.Integer),
                                  sa.bindparam("now", type_=journal.c.access_time.type), const("'granted'"),
                                  const("'core'"), const("'checked_in'"), const("200"), const("'entry'"))
                        .where(granted))
           .returning(journal.c.id).cte("ins"))
    people = Participant.__table__
    upd = (sa.update(people)
           .where(people.c.id == sa.select(h.p_id).scalar_subquery(), people.c.is_checked_in.is_(False),
                  sa.exists(sa.select(ins.c.id)))
           .values(is_checked_in=True, checked_in_at=sa.bindparam("now", type_=journal.c.access_time.type))
           .returning(people.c.id).cte("upd"))
    return RawSelect(sa.select(holder, sa.select(ins.c.id).scalar_subquery().label("recorded_id"),
                               sa.exists(sa.select(upd.c.id)).label("first")))


def whole_check_in(db, access_gates: tuple, item_gates, *, user_id, badge_id, event_id, scanner_id, now):
    """The check-in of a badge in one statement (PostgreSQL, no idempotency key, no plugin
    recording scans, a badge carrying its id): the holder's row read as the pipeline's holder
    read does (``None``: no such user), with ``recorded_id`` (the journal row inserted when
    the database alone grants: the badge matches an active account with an active role in the
    event and no plugin's access gate is true) and ``first`` (this scan checked them in)."""
    row = _whole_query(access_gates, item_gates).first(db.connection(), {
        "user_id": user_id, "badge_id": badge_id, "event_id": event_id, "scanner_id": scanner_id, "now": now,
        "access_id": uuid.uuid4()})
    if row is not None and row.recorded_id is not None:
        mark_changed(db)
    return row
