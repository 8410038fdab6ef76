"""The offline scanner's manifest: what a phone needs to decide at one room's door
for the next hours without the network (``GET /api/scanner/manifest/?room=``).

Content (see docs/access.md "Offline scanners"):

* ``keys`` — the Ed25519 **public** keys that verify ``MP2`` badge tokens (never a
  secret; legacy HMAC ``MP1`` badges can only be verified online);
* ``participants`` — one compact row per person admitted to the event (an active
  assignment and an active account): ``[user_id, badge_hash, room_ok, paid]`` where
  ``badge_hash`` is the base64url of the first 9 bytes of SHA-256 of the current
  badge id (the phone hashes the badge id read from a JSON QR or an MP2 token and
  compares; badge ids themselves never leave the server), ``room_ok`` is 1 when the
  person may enter this room (allowed rooms), ``paid`` the indexes in ``sessions`` of
  the paid ateliers this person paid for;
* ``revoked`` — badge hashes of the event's people that were re-issued (lost badges);
* ``sessions`` — the room's sessions that end after now and start within ``hours``;
* ``room`` — capacity, whether exits are tracked, the door's default direction.

``version`` is a digest of that content: the ETag (``If-None-Match`` → 304) and the
``since`` of the next call. A build is kept in the key-value store (Redis in
production) for :data:`SNAPSHOT_TTL`; ``?since=<version>`` answers only the rows that
changed (``participants``) and the user ids that left (``removed``) since that version,
or the full manifest (``full: true``) when that version is unknown or expired.
Four SQL statements whatever the number of participants.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import sqlalchemy as sa

from .. import api
from ..auth.models import User
from ..events.models import Event, UserEventAssignment
from ..participants.models import Participant, participant_allowed_rooms
from ..sessions.models import Session
from .models import RevokedBadge, SessionAccess

SNAPSHOT_TTL = 12 * 3600
DEFAULT_HOURS = 12
MAX_HOURS = 72
COLUMNS = ["user_id", "badge_hash", "room_ok", "paid"]


def badge_hash(badge_id: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(badge_id.encode("utf-8")).digest()[:9]).decode("ascii")


def build(db, keyring, settings, room, event: Event, now: dt.datetime, hours: int = DEFAULT_HOURS) -> dict:
    """The full manifest of ``room`` (a dict; ``participants`` keyed by user id)."""
    sessions = db.execute(
        sa.select(Session.id, Session.title, Session.start_time, Session.end_time, Session.is_paid)
        .where(Session.room_id == room.id, Session.end_time > now,
               Session.start_time <= now + dt.timedelta(hours=hours), Session.status != "cancelled")
        .order_by(Session.start_time, Session.id)).all()
    index = {s.id: i for i, s in enumerate(sessions)}
    par = participant_allowed_rooms
    any_room = sa.exists().where(par.c.participant_id == Participant.id)
    this_room = sa.exists().where(par.c.participant_id == Participant.id, par.c.room_id == room.id)
    uea = UserEventAssignment
    members = db.execute(
        sa.select(User.id, User.badge_id, sa.or_(Participant.id.is_(None), ~any_room, this_room))
        .join(uea, sa.and_(uea.user_id == User.id, uea.event_id == event.id))
        .outerjoin(Participant, sa.and_(Participant.user_id == User.id, Participant.event_id == event.id))
        .where(uea.is_active.is_(True), User.is_active.is_(True), User.badge_id.is_not(None))
        .order_by(User.id)).all()
    paid: dict[int, list[int]] = {}
    paid_ids = [s.id for s in sessions if s.is_paid]
    if paid_ids:
        for user_id, session_id in db.execute(
                sa.select(Participant.user_id, SessionAccess.session_id)
                .join(Participant, Participant.id == SessionAccess.participant_id)
                .where(SessionAccess.session_id.in_(paid_ids), SessionAccess.has_access.is_(True),
                       SessionAccess.payment_status == "paid", Participant.event_id == event.id)):
            paid.setdefault(user_id, []).append(index[session_id])
    revoked = db.scalars(
        sa.select(RevokedBadge.badge_id).join(uea, sa.and_(uea.user_id == RevokedBadge.user_id,
                                                           uea.event_id == event.id))
        .order_by(RevokedBadge.badge_id)).all()
    from .badge_policy import plain_ids_allowed

    content = {
        "event": {"id": str(event.id), "name": event.name, "timezone": event.timezone},
        "room": {"id": str(room.id), "name": room.name, "capacity": room.capacity,
                 "tracks_exits": bool(room.tracks_exits), "door_direction": room.door_direction},
        "keys": keyring.public_keys(),
        "accept_plain_user_id": plain_ids_allowed(settings, event.settings),
        "sessions": [{"id": str(s.id), "title": s.title, "start_time": api.isoformat(s.start_time),
                      "end_time": api.isoformat(s.end_time), "is_paid": bool(s.is_paid)} for s in sessions],
        "columns": COLUMNS,
        "participants": {uid: [uid, badge_hash(badge), 1 if ok else 0, sorted(paid.get(uid, []))]
                         for uid, badge, ok in members},
        "revoked": [badge_hash(b) for b in revoked],
    }
    content["version"] = digest(content)
    return content


def digest(content: dict) -> str:
    canonical = json.dumps({k: v for k, v in content.items() if k != "version"}, sort_keys=True,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def snapshot_key(room_id, version: str) -> str:
    return f"scanner-manifest:{room_id}:{version}"


def remember(store, room_id, content: dict) -> None:
    """Keep this version's rows so a later ``?since=`` can be answered as a delta."""
    key = snapshot_key(room_id, content["version"])
    rows = json.dumps(content["participants"], separators=(",", ":"))
    store.set_nx(key, rows, SNAPSHOT_TTL)


def answer(store, content: dict, since: str | None, now: dt.datetime) -> dict:
    """The JSON body: full, or the delta since ``since`` when that version is known."""
    body = {k: v for k, v in content.items() if k != "participants"}
    body["generated_at"] = api.isoformat(now)
    current = content["participants"]
    old_raw = store.read(snapshot_key(content["room"]["id"], since)) if since else None
    if old_raw is None:
        body.update(full=True, since=None, participants=list(current.values()), removed=[])
        return body
    old = {int(k): v for k, v in json.loads(old_raw).items()}
    body.update(full=False, since=since,
                participants=[row for uid, row in current.items() if old.get(uid) != row],
                removed=sorted(uid for uid in old if uid not in current))
    return body
