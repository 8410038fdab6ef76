"""Events whose records must not be lost: refuse deletion, archive instead.

An event that holds records (scans, paid registrations, and whatever the plugins
report through ``makeplus_event_records``: cash-desk sales, lead scans, e-poster
submissions) cannot be deleted (409, ``reason: "event_has_records"``); it is
archived instead (``POST /api/events/{id}/archive/``): read-only and hidden from
lists. A platform admin may restore it (``POST /api/events/{id}/restore/``).

Read-only is enforced once, on the request's database session, not by each view:
a ``before_flush`` listener refuses any ORM insert/update/delete of a row carrying
the ``event_id`` of an archived event (or a change to the archived event itself,
other than restoring it), and a ``do_orm_execute`` listener does the same for a
Core-style ``INSERT`` that names such an ``event_id`` (the scan pipeline's row).
Each event is checked at most once per session (one small query, none when the
event row is already loaded).
"""
from __future__ import annotations

import itertools
import uuid

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.sql.dml import Insert

from .. import errors
from ..access.models import RoomAccess, SessionAccess
from ..db import utcnow
from ..sessions.models import Session
from .models import Event

CHECKED = "makeplus.events_not_archived"
ARCHIVE_FIELDS = {"archived_at", "archived_by_id", "updated_at"}


def archived_conflict(event_id) -> errors.Conflict:
    return errors.Conflict(
        "This event is archived: it is read-only (a platform admin can restore it with "
        f"POST /api/events/{event_id}/restore/)", reason="event_archived", event=str(event_id))


# --------------------------------------------------------------------------- records


def core_records(db, event_id) -> dict:
    """Records of the core that deleting the event would destroy (two counts)."""
    scans = db.scalar(sa.select(sa.func.count()).select_from(RoomAccess).where(RoomAccess.event_id == event_id))
    paid = db.scalar(sa.select(sa.func.count()).select_from(SessionAccess)
                     .join(Session, Session.id == SessionAccess.session_id)
                     .where(Session.event_id == event_id, SessionAccess.payment_status == "paid"))
    return {"scans": int(scans or 0), "paid_registrations": int(paid or 0)}


def event_records(db, event_id, pm) -> dict:
    """``{kind: count}`` of every record of the event that must not be destroyed
    (only kinds with a count above zero)."""
    found = core_records(db, event_id)
    for contribution in pm.hook.makeplus_event_records(dbsession=db, event_id=event_id):
        for kind, n in (contribution or {}).items():
            found[kind] = found.get(kind, 0) + int(n or 0)
    return {k: n for k, n in found.items() if n}


def check_deletable(db, event: Event, pm) -> None:
    """409 when the event holds records (archive it instead) or is archived."""
    if event.archived_at is not None:
        raise archived_conflict(event.id)
    records = event_records(db, event.id, pm)
    if records:
        what = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(records.items()))
        raise errors.Conflict(
            f"This event holds records that must not be destroyed ({what}): archive it instead "
            f"(POST /api/events/{event.id}/archive/)", reason="event_has_records", records=records)


# --------------------------------------------------------------------------- archive / restore


def archive(db, event: Event, user_id: int) -> Event:
    if event.archived_at is not None:
        raise errors.Conflict("This event is already archived", reason="event_archived")
    event.archived_at = utcnow()
    event.archived_by_id = user_id
    db.flush()
    return event


def restore(db, event: Event) -> Event:
    if event.archived_at is None:
        raise errors.Conflict("This event is not archived", reason="event_not_archived")
    event.archived_at = None
    event.archived_by_id = None
    db.flush()
    _checked(db).discard(event.id)
    return event


# --------------------------------------------------------------------------- read-only guard


def _checked(session) -> set:
    return session.info.setdefault(CHECKED, set())


def mark_not_archived(session, event_id) -> None:
    """Record that ``event_id`` was just read as not archived in this session (the
    request's identity query does it for the token's event, so its writes cost no
    extra query)."""
    _checked(session).add(event_id)


def _refuse_archived(session, event_ids) -> None:
    """Raise 409 if one of ``event_ids`` is archived (each checked once per session)."""
    checked = _checked(session)
    todo = {eid for eid in event_ids if eid is not None and eid not in checked}
    if not todo:
        return
    unknown = set()
    for eid in todo:
        loaded = session.identity_map.get(session.identity_key(Event, eid)) if isinstance(eid, uuid.UUID) \
            else None
        if loaded is None:
            unknown.add(eid)
        elif loaded.archived_at is not None:
            raise archived_conflict(eid)
    if unknown:
        with session.no_autoflush:
            archived = session.execute(sa.select(Event.id).where(
                Event.id.in_(list(unknown)), Event.archived_at.is_not(None))).scalars().first()
        if archived is not None:
            raise archived_conflict(archived)
    checked.update(todo)


def _before_flush(session, flush_context, instances) -> None:
    ids = set()
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Event):
            state = sa.inspect(obj)
            if state.pending:
                continue
            h = state.attrs.archived_at.history
            was = h.deleted[0] if h.deleted else (h.unchanged[0] if h.unchanged else None)
            if was is not None:
                changed = {a.key for a in state.attrs if a.history.has_changes()}
                if obj in session.deleted or not changed <= ARCHIVE_FIELDS:
                    raise archived_conflict(obj.id)
            continue
        eid = getattr(obj, "event_id", None)
        if eid is not None:
            ids.add(eid)
    if ids:
        _refuse_archived(session, ids)


def _do_orm_execute(state) -> None:
    stmt = state.statement
    if not isinstance(stmt, Insert):
        return
    table = stmt.table
    if "event_id" not in getattr(table, "c", {}) or table.name == "events":
        return
    eid = _inserted_event_id(stmt)
    if eid is None:  # a cached INSERT executed with its parameters (the scan journal's row)
        params = state.parameters
        rows = params if isinstance(params, (list, tuple)) else [params or {}]
        found = {row.get("event_id") for row in rows if isinstance(row, dict)} - {None}
        if found:
            _refuse_archived(state.session, found)
            return
    if eid is None:  # not a plain single-row .values(...): read the compiled parameters
        eid = stmt.compile(dialect=state.session.get_bind().dialect).params.get("event_id")
    if eid is not None:
        _refuse_archived(state.session, {eid})


def _inserted_event_id(stmt):
    """The ``event_id`` of ``insert(...).values(event_id=...)`` without compiling it (the
    scan path runs this on every scan)."""
    for column, value in (getattr(stmt, "_values", None) or {}).items():
        if getattr(column, "key", column) == "event_id":
            return getattr(value, "value", value)
    return None


def install(session_factory) -> None:
    """Guard every session of ``session_factory`` (the app's request sessions)."""
    sa_event.listen(session_factory, "before_flush", _before_flush)
    sa_event.listen(session_factory, "do_orm_execute", _do_orm_execute)
