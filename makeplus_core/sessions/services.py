"""Session domain functions: scheduling rules, status actions, swaps.

Rules: a session ends after it starts, lies inside its event's dates, is held in a
room of the same event, and never overlaps another (non-cancelled) session of
that room (the room row is locked while checking, so two concurrent writes cannot
both pass). A paid session has a positive price. Every change is reported to the
plugins through ``makeplus_session_changed`` after the flush, in the same
transaction: the writing functions take the plugin manager (``request.plugins``) as a
required argument, so no caller can skip the plugins by forgetting it.
"""
from __future__ import annotations

import decimal
import functools

import sqlalchemy as sa

from .. import api, errors
from ..db import RawSelect, contains_pattern, icontains
from ..events.models import Event
from ..events.services import save_image_upload
from ..modules import event_hook
from ..rooms.models import Room
from .models import Session

FIELDS = ("title", "description", "speaker_name", "speaker_title", "speaker_bio", "speaker_photo_url",
          "start_time", "end_time", "theme", "status", "session_type", "is_paid", "price", "capacity",
          "cover_image")
LIVE, DONE, NOT_STARTED, CANCELLED = "en_cours", "termine", "pas_encore", "cancelled"
ORDERINGS = {
    "start_time": (Session.start_time, Session.title),
    "-start_time": (Session.start_time.desc(), Session.title),
    "end_time": (Session.end_time, Session.title),
    "-end_time": (Session.end_time.desc(), Session.title),
    "title": (Session.title, Session.start_time),
    "-title": (Session.title.desc(), Session.start_time),
}


def notify(pm, db, session, action, changes, request):
    """``makeplus_session_changed`` for the plugins switched on for the session's event."""
    event_hook(pm, "makeplus_session_changed", db, session.event_id)(
        dbsession=db, session=session, action=action, changes=changes or {}, request=request)


def list_query(event_id, room_id=None, status=None, session_type=None, is_paid=None, search=None,
               ordering=None):
    """The event's sessions, filtered by the values given (``None`` or empty: no filter)."""
    where = _filters(event_id, room_id, status or None, session_type or None, is_paid, search or None)
    return sa.select(Session).where(*where).order_by(*ORDERINGS[ordering or "start_time"], Session.id)


def _filters(event_id, room_id, status, session_type, is_paid, search) -> list:
    """The conditions of a session list (``None``: no filter); the values may be bind parameters."""
    equal = ((Session.event_id, event_id), (Session.room_id, room_id), (Session.status, status),
             (Session.session_type, session_type))
    where = [column == value for column, value in equal if value is not None]
    if is_paid is not None:
        where.append(Session.is_paid.is_(is_paid))
    if search is not None:
        where.append(icontains(search, Session.title, Session.description, Session.speaker_name, Session.theme))
    return where


def list_page(db, event_id, *, room_id=None, status=None, session_type=None, is_paid=None, search=None,
              ordering=None, limit: int, offset: int) -> list:
    """One page of :func:`list_query` as rows rather than ORM objects (the list's whole cost was
    mostly loading entities): each row has a session's attributes, ``room_name`` and ``total``
    (the length of the whole list). One statement, built and compiled once per set of filters."""
    params = {"event_id": event_id, "room_id": room_id, "status": status or None,
              "session_type": session_type or None, "search": contains_pattern(search) if search else None}
    params = {name: value for name, value in params.items() if value is not None}
    query = _page_query(frozenset(params), is_paid, ordering or "start_time")
    params.update(limit=limit, offset=offset)
    return query.all(db.connection(), params)


@functools.cache
def _page_query(filters: frozenset, is_paid, ordering: str) -> RawSelect:
    """:func:`list_page`'s statement for one set of filters (the names of its parameters)."""
    where = _filters(*(sa.bindparam(name) if name in filters else None
                       for name in ("event_id", "room_id", "status", "session_type")),
                     is_paid, sa.bindparam("search") if "search" in filters else None)
    columns = [prop.columns[0].label(prop.key) for prop in sa.inspect(Session).column_attrs]
    stmt = (sa.select(*columns, Room.name.label("room_name"), sa.func.count().over().label("total"))
            .join_from(Session, Room, Room.id == Session.room_id).where(*where)
            .order_by(*ORDERINGS[ordering], Session.id)
            .limit(sa.bindparam("limit", type_=sa.Integer)).offset(sa.bindparam("offset", type_=sa.Integer)))
    return RawSelect(stmt)


def lock_room(db, room_id, event_id) -> Room:
    """The room (row-locked until the transaction ends) if it belongs to ``event_id``; else 404."""
    try:
        rid = api.parse_uuid(room_id, "room")
    except errors.Invalid:
        raise errors.NotFound("room: room not found in this event", field="room") from None
    room = db.scalar(sa.select(Room).where(Room.id == rid, Room.event_id == event_id).with_for_update())
    if room is None:
        raise errors.NotFound("room: room not found in this event", field="room")
    return room


def find_overlap(db, room_id, start, end, exclude_ids=()) -> Session | None:
    stmt = sa.select(Session).where(Session.room_id == room_id, Session.status != CANCELLED,
                                    Session.start_time < end, Session.end_time > start)
    ids = [i for i in exclude_ids if i is not None]
    if ids:
        stmt = stmt.where(Session.id.not_in(ids))
    return db.scalars(stmt.order_by(Session.start_time).limit(1)).first()


def check_slot(db, event: Event, room_id, start, end, status, exclude_ids=()) -> None:
    if end <= start:
        raise errors.Invalid("end_time: must be after start_time", field="end_time")
    if start < event.start_date or start > event.end_date:
        raise errors.Invalid("start_time: the session must take place during the event", field="start_time")
    if end > event.end_date:
        raise errors.Invalid("end_time: the session must end before the event ends", field="end_time")
    if status == CANCELLED:
        return
    clash = find_overlap(db, room_id, start, end, exclude_ids)
    if clash is not None:
        raise errors.Conflict(
            f"This room is already booked by the session {clash.title!r} (id {clash.id}) "
            f"from {api.isoformat(clash.start_time)} to {api.isoformat(clash.end_time)}",
            field="start_time",
            conflicting_session={"id": str(clash.id), "title": clash.title,
                                 "start_time": api.isoformat(clash.start_time),
                                 "end_time": api.isoformat(clash.end_time)})


def _check_price(is_paid, price) -> None:
    if is_paid and (price is None or decimal.Decimal(price) <= 0):
        raise errors.Invalid("price: a paid session needs a price greater than 0", field="price")


def create(db, event: Event, data: dict, user_id, pm, request=None) -> Session:
    room = lock_room(db, data["room"], event.id)
    check_slot(db, event, room.id, data["start_time"], data["end_time"], data.get("status"))
    _check_price(data.get("is_paid"), data.get("price"))
    values = {k: data[k] for k in FIELDS if k in data}
    if values.get("price") is None:
        values["price"] = decimal.Decimal("0.00")
    session = Session(event_id=event.id, room_id=room.id, created_by_id=user_id,
                      meta=data.get("metadata") or {}, **values)
    db.add(session)
    db.flush()
    notify(pm, db, session, "created", {}, request)
    return session


def update(db, session: Session, data: dict, pm, request=None) -> dict:
    event = db.get(Event, session.event_id)
    room_id = session.room_id
    if "room" in data:
        room_id = lock_room(db, data["room"], session.event_id).id
    else:
        lock_room(db, room_id, session.event_id)
    start = data.get("start_time", session.start_time)
    end = data.get("end_time", session.end_time)
    status = data.get("status", session.status)
    if ({"room", "start_time", "end_time", "status"} & set(data)):
        check_slot(db, event, room_id, start, end, status, exclude_ids=[session.id])
    is_paid = data.get("is_paid", session.is_paid)
    price = data["price"] if data.get("price") is not None else session.price
    _check_price(is_paid, price)
    values = {k: data[k] for k in FIELDS if k in data}
    if "price" in values and values["price"] is None:
        values["price"] = decimal.Decimal("0.00")
    values["room_id"] = room_id
    if "metadata" in data:
        values["meta"] = data["metadata"]
    changes = {}
    for key, value in values.items():
        old = getattr(session, key)
        if old != value:
            changes[key] = (old, value)
            setattr(session, key, value)
    db.flush()
    # Also without column changes: plugins read their own validated fields (makeplus_schema_fields).
    notify(pm, db, session, "updated", changes, request)
    return changes


def set_status(db, session: Session, status: str, pm, request=None) -> dict:
    changes = {}
    if session.status != status:
        changes = {"status": (session.status, status)}
        session.status = status
        db.flush()
    notify(pm, db, session, "status", changes, request)
    return changes


def delete(db, session: Session, pm, request=None) -> None:
    db.delete(session)
    db.flush()
    notify(pm, db, session, "deleted", {}, request)


def swap_times(db, event_id, first_id, second_id, pm, request=None) -> list[Session]:
    """Exchange the time slots of two sessions of ``event_id`` (rooms stay)."""
    ids = []
    for field, value in (("session_1_id", first_id), ("session_2_id", second_id)):
        try:
            ids.append(api.parse_uuid(value, field))
        except errors.Invalid:
            raise errors.NotFound(f"{field}: session not found", field=field) from None
    if ids[0] == ids[1]:
        raise errors.Invalid("session_2_id: choose two different sessions", field="session_2_id")
    found = {s.id: s for s in db.scalars(sa.select(Session).where(Session.id.in_(ids),
                                                                  Session.event_id == event_id)
                                         .with_for_update())}
    for field, sid in zip(("session_1_id", "session_2_id"), ids, strict=False):
        if sid not in found:
            raise errors.NotFound(f"{field}: session not found", field=field)
    a, b = found[ids[0]], found[ids[1]]
    event = db.get(Event, event_id)
    for room_id in sorted({a.room_id, b.room_id}, key=str):  # fixed order: no lock-order deadlock
        lock_room(db, room_id, event_id)
    slot_a, slot_b = (a.start_time, a.end_time), (b.start_time, b.end_time)
    check_slot(db, event, a.room_id, *slot_b, a.status, exclude_ids=ids)
    check_slot(db, event, b.room_id, *slot_a, b.status, exclude_ids=ids)
    if a.room_id == b.room_id and slot_a[0] < slot_b[1] and slot_b[0] < slot_a[1]:
        raise errors.Conflict("The two sessions overlap in the same room", field="session_2_id")
    a.start_time, a.end_time = slot_b
    b.start_time, b.end_time = slot_a
    db.flush()
    for s, old, new in ((a, slot_a, slot_b), (b, slot_b, slot_a)):
        notify(pm, db, s, "updated", {"start_time": (old[0], new[0]), "end_time": (old[1], new[1])}, request)
    return [a, b]


# Uploaded images of a session: multipart field -> column (the JSON keeps its URL fields,
# ``speaker_photo_url`` and ``cover_image``, which then hold the file's URL).
IMAGE_FIELDS = {"speaker_photo": "speaker_photo_url", "cover_image": "cover_image"}
IMAGE_FOLDER = "session_images"


def read_images(request, required: bool = False) -> dict:
    """The session images of a multipart request (PNG/JPEG checked by content, stored under a
    random name): ``{column: stored path}``. ``required``: 400 naming ``speaker_photo`` when
    neither file is there."""
    if not (request.content_type or "").startswith("multipart/"):
        files = {}
    else:
        files = {}
        for field, column in IMAGE_FIELDS.items():
            path = save_image_upload(request, field, IMAGE_FOLDER)
            if path:
                files[column] = path
    if required and not files:
        raise errors.Invalid("speaker_photo: send a speaker_photo or a cover_image file (PNG or JPEG)",
                             field="speaker_photo")
    return files


def set_images(db, session, files: dict) -> None:
    """Store the uploaded images' paths on the session (audited like any update)."""
    for column, path in files.items():
        setattr(session, column, path)
    db.flush()
