"""The QR scan pipeline: one decision, from the scanned text to the recorded answer.

Three doors share it and differ only in scope and answer shape:

* ``POST /api/rooms/{room_id}/verify_access/`` — a room door (:func:`scan_room`);
* ``POST /api/participants/scan/`` — the app's event-level scanner, a success is the
  event check-in (:func:`scan_event`);
* the exposant's lead scan (another domain) calls :func:`identify_badge`, which
  parses, identifies the holder and checks their event membership, raising
  :mod:`makeplus_core.errors` (400 malformed, 404 unknown/revoked, 403 not in the
  event) and returning a :class:`Holder`. It records nothing.

The steps, in order (each denial names its ``layer`` and a ``reason`` code):

1. ``scanner``  – the caller may scan here: controller or gestionnaire of the
   room's event, or a platform admin; when the scanner has room assignments in
   the event, one current assignment must be for this room. Checked first so
   someone who may not scan learns nothing about badges.
2. ``parse``    – the QR text: legacy JSON ``{"user_id": 15, "badge_id":
   "USER-15-…", …}`` (extra keys ignored), a signed token ``MP1.<kid>.<payload>.<sig>``
   (:mod:`makeplus_core.qr.signing`), or a plain user id ``"15"`` only where the
   event allows it (:mod:`.badge_policy`: the event's ``accept_plain_user_id``, else
   ``makeplus.badges.accept_plain_user_id``). Anything else: 400.
3. ``badge``    – the holder exists and the badge id equals the stored one
   (``secrets.compare_digest``); a re-issued badge makes the old one unknown: 404.
4. ``event``    – the holder has an active assignment in the event: else 403.
5. ``room``     – the room is in the participant's ``allowed_rooms`` when that list
   is not empty: else 403.
6. ``session``  – the session given (``session``/``session_id``) or the one running
   in the room now; a paid one (``is_paid``) needs a ``SessionAccess`` with
   ``has_access`` and ``payment_status == "paid"``: else 402.
7. ``capacity`` – a room with a capacity admits at most that many distinct holders
   per window (the running session, else the current UTC day), in O(1): a holder
   already admitted in the window (read in the door's main query) re-enters freely
   and takes no lock; a first entry inserts its admission and raises the window's
   counter with one conditional upsert (:mod:`.admission`), exact across processes.
8. ``plugin``   – every enabled plugin's ``makeplus_check_access``; the first
   denial wins.
9. record one ``RoomAccess`` row (granted or denied, layer, reason, HTTP status),
   then ``makeplus_access_recorded``, then the answer.

At a room door, steps 1 and 3–7 read everything in one query (:func:`load_door`):
a granted scan is that query, the insert of its journal row (plus two small writes for
a holder's first entry in a capped room) and the identity read of the request.

Idempotency: a scan carrying ``Idempotency-Key`` / ``X-Scan-Id`` / body ``scan_id``
is stored as ``RoomAccess.scan_id`` (unique per scanner) and its answer in the
key-value store; a retry returns the first answer and records nothing more.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import secrets
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from zope.sqlalchemy import mark_changed

from .. import api, errors
from ..auth.models import User
from ..db import UTCDateTime, utcnow
from ..events.models import Event, UserEventAssignment
from ..participants.models import Participant, participant_allowed_rooms
from ..qr.signing import BadToken, Keyring
from ..roles import CONTROLLEUR, GESTIONNAIRE
from ..rooms.models import Room
from ..sessions.models import Session
from ..staff.models import RoomAssignment
from . import admission, badge_policy
from ..modules import _event_settings, event_hook, remember
from .models import RoomAccess, SessionAccess

MAX_QR_LENGTH = 2048
MAX_USER_ID = 2**31 - 1
SCANNER_ROLES = (CONTROLLEUR, GESTIONNAIRE)
IDEMPOTENCY_TTL = 24 * 3600
PENDING_TTL = 30  # a crashed first attempt frees its key after this many seconds

# reason code -> (message shown to the scanner)
MESSAGES = {
    "granted": "Access granted successfully",
    "checked_in": "Check-in successful",
    "invalid_qr": "Invalid QR code format",
    "invalid_signature": "Invalid or tampered badge",
    "plain_id_refused": "Plain user-id badges are not accepted here; show the badge QR code",
    "unknown_user": "User not found",
    "unknown_badge": "Badge not recognised (unknown or revoked)",
    "account_disabled": "This account is disabled",
    "no_event_access": "User does not have access to this event",
    "room_not_allowed": "User does not have access to this room",
    "session_not_found": "Session not found in this room",
    "payment_required": "Payment required for this atelier",
    "room_full": "Room is at full capacity",
    "scanner_not_allowed": "You are not allowed to scan badges in this event",
    "scanner_wrong_room": "You are assigned to another room at this time",
}


# --------------------------------------------------------------------------- data


@dataclasses.dataclass
class QrBadge:
    user_id: int
    badge_id: str | None  # None for a plain user id
    format: str  # "json" | "signed" | "plain"


@dataclasses.dataclass
class Holder:
    """The badge holder as seen in one event."""

    user: User
    role: str | None  # active role in the event, None when none
    participant: Participant | None
    room_allowed: bool = True  # False when allowed_rooms is non-empty and lacks the room
    badge_format: str = "json"


@dataclasses.dataclass
class AccessAttempt:
    """What plugins see in ``makeplus_check_access`` / ``makeplus_access_recorded``."""

    kind: str  # "room" or "event"
    event_id: uuid.UUID
    scanner: User
    holder: Holder
    room: Room | None = None
    session: Session | None = None
    now: dt.datetime | None = None

    @property
    def user(self):
        return self.holder.user

    @property
    def participant(self):
        return self.holder.participant


class Deny(Exception):
    """A denial inside the pipeline (turned into a recorded row and an answer)."""

    def __init__(self, http_status: int, layer: str, reason: str, message: str | None = None,
                 holder: Holder | None = None, session: Session | None = None):
        super().__init__(reason)
        self.http_status = http_status
        self.layer = layer
        self.reason = reason
        self.message = message or MESSAGES.get(reason, reason)
        self.holder = holder
        self.session = session


@dataclasses.dataclass
class Answer:
    status: int
    body: dict

    def dumps(self) -> str:
        return json.dumps({"s": self.status, "b": self.body}, default=api._json_default)

    @classmethod
    def loads(cls, raw) -> "Answer":
        data = json.loads(raw)
        return cls(data["s"], data["b"])


# --------------------------------------------------------------------------- 2. parse


def parse_qr(qr_data, keyring: Keyring, accept_plain: bool) -> QrBadge:
    """The badge a QR text names; :class:`Deny` (400/404) when it names none."""
    if isinstance(qr_data, dict):
        payload = qr_data
    else:
        if not isinstance(qr_data, str):
            raise Deny(400, "parse", "invalid_qr")
        text = qr_data.strip()
        if not text or len(text) > MAX_QR_LENGTH:
            raise Deny(400, "parse", "invalid_qr")
        if text.startswith("MP1."):
            try:
                user_id, badge_id = keyring.verify(text)
            except BadToken:
                raise Deny(400, "parse", "invalid_signature")
            return QrBadge(_user_id(user_id), badge_id, "signed")
        if text.isascii() and text.isdigit():
            if not accept_plain:
                raise Deny(400, "parse", "plain_id_refused")
            return QrBadge(_user_id(int(text[:12])), None, "plain")
        if not text.startswith("{"):
            raise Deny(400, "parse", "invalid_qr")
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError):
            raise Deny(400, "parse", "invalid_qr")
        if not isinstance(payload, dict):
            raise Deny(400, "parse", "invalid_qr")
    user_id, badge_id = payload.get("user_id"), payload.get("badge_id")
    if isinstance(user_id, str) and user_id.isascii() and user_id.isdigit() and len(user_id) <= 12:
        user_id = int(user_id)
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise Deny(400, "parse", "invalid_qr")
    if not isinstance(badge_id, str) or not badge_id or len(badge_id) > 100:
        raise Deny(400, "parse", "invalid_qr")
    return QrBadge(_user_id(user_id), badge_id, "json")


def _user_id(value: int) -> int:
    if not 1 <= value <= MAX_USER_ID:
        raise Deny(404, "badge", "unknown_user")
    return value


# --------------------------------------------------------------------------- 3-5. holder


def load_holder(db, badge: QrBadge, event_id) -> Holder:
    """One query: the user, their role and Participant row in the event."""
    row = db.execute(_holder_statement(), {"user_id": badge.user_id, "event_id": event_id}).first()
    if row is None:
        raise Deny(404, "badge", "unknown_user")
    return check_holder(badge, row[0], row[1], row[2], row[3])


@functools.cache
def _holder_statement():
    event_id = sa.bindparam("event_id", type_=sa.Uuid)
    return (
        sa.select(User, UserEventAssignment.role, UserEventAssignment.is_active, Participant)
        .outerjoin(UserEventAssignment, sa.and_(UserEventAssignment.user_id == User.id,
                                                UserEventAssignment.event_id == event_id))
        .outerjoin(Participant, sa.and_(Participant.user_id == User.id, Participant.event_id == event_id))
        .where(User.id == sa.bindparam("user_id", type_=sa.Integer))
    )


def check_holder(badge: QrBadge, user, role, active, participant, room_allowed=True) -> Holder:
    """Steps 3–5 on the rows read: badge id, account, event role, allowed rooms."""
    holder = Holder(user=user, role=role if active else None, participant=participant,
                    room_allowed=bool(room_allowed), badge_format=badge.format)
    if badge.badge_id is not None and not secrets.compare_digest(
            badge.badge_id.encode("utf-8", "replace"), (user.badge_id or "").encode("utf-8")):
        # recorded with the user (audit), answered without naming them
        raise Deny(404, "badge", "unknown_badge", holder=holder)
    if not user.is_active:
        raise Deny(403, "badge", "account_disabled", holder=holder)
    if holder.role is None:
        raise Deny(403, "event", "no_event_access", holder=holder)
    if participant is not None and not holder.room_allowed:
        raise Deny(403, "room", "room_not_allowed", holder=holder)
    return holder


def identify_badge(db, registry_or_settings, qr_data, event_id) -> Holder:
    """Parse ``qr_data`` and identify its holder in ``event_id`` (the lead-scan door).

    ``registry_or_settings`` is the Pyramid registry (its badge keyring and
    settings are used) or a plain settings dict. Raises ``errors.Invalid`` (400,
    malformed QR), ``errors.NotFound`` (404, unknown user or revoked badge) or
    ``errors.Forbidden`` (403, not a member of the event / disabled account).
    """
    settings = getattr(registry_or_settings, "settings", registry_or_settings)
    keyring = getattr(registry_or_settings, "get", lambda k: None)("badge_keyring") \
        if hasattr(registry_or_settings, "settings") else None
    keyring = keyring or Keyring.from_settings(settings)
    try:
        badge = parse_qr(qr_data, keyring, True)
        if badge.format == "plain":
            refuse_plain_id_unless_allowed(settings, _event_settings(db, event_id))
        return load_holder(db, badge, event_id)
    except Deny as deny:
        cls = {400: errors.Invalid, 404: errors.NotFound}.get(deny.http_status, errors.Forbidden)
        raise cls(deny.message, field="qr_data" if deny.http_status == 400 else None, reason=deny.reason)


def accept_plain_ids(settings) -> bool:
    """The platform default for plain user-id badges (an event may choose otherwise)."""
    return badge_policy.platform_default(settings)


def refuse_plain_id_unless_allowed(settings, event_settings) -> None:
    """A plain user-id badge is accepted only where the event (else the platform) allows it."""
    if not badge_policy.plain_ids_allowed(settings, event_settings):
        raise Deny(400, "parse", "plain_id_refused")


# --------------------------------------------------------------------------- 1. scanner


def load_door(db, room_id, scanner_id, now, holder_id, session_id):
    """The one query of a room door (steps 1, 3–7 read together).

    Returns ``None`` (no such room) or a row with: ``Room``, ``has_any`` / ``here_now``
    (the scanner's room assignments), ``User`` (the badge's user, ``None`` when unknown
    or no badge was parsed), ``role`` / ``active`` (their assignment in the room's
    event), ``Participant``, ``room_ok`` (allowed rooms), ``Session`` (the one given,
    else the one running in the room now) with the holder's ``has_access`` /
    ``payment_status``, and ``admitted`` (already admitted in the capacity window).
    The statement is built once (two variants) and only its parameters change.
    """
    params = {"room_id": room_id, "scanner_id": scanner_id, "now": now, "holder_id": holder_id,
              "day": admission.day_start(now)}
    if session_id is not None:
        params["session_id"] = session_id
    row = db.execute(_door_statement(session_id is not None), params).first()
    if row is not None:
        remember(db, row.Room.event_id, row.event_settings)  # the event's modules, for the plugin hooks
    return row


@functools.cache
def _door_statement(session_given: bool):
    now = sa.bindparam("now", type_=UTCDateTime)
    ra = RoomAssignment
    active = sa.and_(ra.user_id == sa.bindparam("scanner_id", type_=sa.Integer), ra.event_id == Room.event_id,
                     ra.is_active.is_(True))
    has_any = sa.exists().where(active).label("has_any")
    here_now = sa.exists().where(active, ra.room_id == Room.id, ra.start_time <= now,
                                 ra.end_time > now).label("here_now")
    par = participant_allowed_rooms
    any_room = sa.exists().where(par.c.participant_id == Participant.id)
    this_room = sa.exists().where(par.c.participant_id == Participant.id, par.c.room_id == Room.id)
    if session_given:
        session_on = sa.and_(Session.id == sa.bindparam("session_id", type_=sa.Uuid), Session.room_id == Room.id)
    else:
        running = sa.orm.aliased(Session)
        running_id = (sa.select(running.id)
                      .where(running.room_id == Room.id, admission.running_session_filter(now, running))
                      .order_by(*admission.running_session_order(running)).limit(1)
                      .correlate(Room).scalar_subquery())
        session_on = Session.id == running_id
    window = sa.func.coalesce(Session.start_time, sa.bindparam("day", type_=UTCDateTime))
    uea = UserEventAssignment
    return (
        sa.select(Room, has_any, here_now, User, uea.role.label("role"), uea.is_active.label("active"),
                  Participant, sa.or_(~any_room, this_room).label("room_ok"), Session,
                  SessionAccess.has_access.label("has_access"),
                  SessionAccess.payment_status.label("payment_status"),
                  admission.admitted_clause(Room.id, User.id, window).label("admitted"),
                  Event.settings.label("event_settings"))
        .select_from(Room)
        .join(Event, Event.id == Room.event_id)
        .outerjoin(User, User.id == sa.bindparam("holder_id", type_=sa.Integer))
        .outerjoin(uea, sa.and_(uea.user_id == User.id, uea.event_id == Room.event_id))
        .outerjoin(Participant, sa.and_(Participant.user_id == User.id, Participant.event_id == Room.event_id))
        .outerjoin(Session, session_on)
        .outerjoin(SessionAccess, sa.and_(SessionAccess.session_id == Session.id,
                                          SessionAccess.participant_id == Participant.id))
        .where(Room.id == sa.bindparam("room_id", type_=sa.Uuid))
    )


def check_scanner(ident, role_in_event, has_assignments=False, assigned_here_now=True) -> None:
    if ident.is_admin:
        return
    if role_in_event not in SCANNER_ROLES:
        raise Deny(403, "scanner", "scanner_not_allowed")
    if has_assignments and not assigned_here_now:
        raise Deny(403, "scanner", "scanner_wrong_room")


# --------------------------------------------------------------------------- 6. session


def check_payment(session, has_access, payment_status, holder) -> None:
    if session is not None and session.is_paid and not (has_access and payment_status == "paid"):
        raise Deny(402, "payment", "payment_required", holder=holder, session=session)


# --------------------------------------------------------------------------- 7. capacity


def take_seat(db, room, session, holder, already_admitted, now):
    """Step 7: the holder's seat in a capped room; returns the window taken (to give it
    back if the scan is denied later) or ``None`` (no capacity, or already admitted)."""
    if room.capacity is None or already_admitted:
        return None
    window = admission.window_start(session, now)
    if not admission.admit(db, room.id, room.capacity, window, holder.user.id, now):
        raise Deny(403, "capacity", "room_full", holder=holder, session=session)
    return window


# --------------------------------------------------------------------------- 8. plugins


def _implemented(request, hook_name: str, event_id):
    """The hook caller when an enabled plugin implements it, else ``None`` (no call); the
    plugins switched off for ``event_id`` are left out (makeplus_core.modules)."""
    pm = request.registry["plugin_manager"]
    if not getattr(pm.hook, hook_name).get_hookimpls():
        return None
    hook = event_hook(pm, hook_name, request.dbsession, event_id)
    return hook if hook.get_hookimpls() else None


def ask_plugins(request, attempt: AccessAttempt) -> None:
    hook = _implemented(request, "makeplus_check_access", attempt.event_id)
    if hook is None:
        return
    results = hook(dbsession=request.dbsession, request=request, attempt=attempt)
    for result in results:
        if not result:
            continue
        status = int(result.get("status", 403))
        if not 400 <= status < 500:
            status = 403
        reason = str(result.get("reason") or "denied_by_plugin")[:300]
        raise Deny(status, str(result.get("layer") or "plugin")[:40], reason,
                   message=str(result.get("message") or reason), holder=attempt.holder, session=attempt.session)


# --------------------------------------------------------------------------- 9. record


_JOURNAL_INSERT = RoomAccess.__table__.insert()


def record(request, *, event_id, room_id, scanner_id, now, status, layer, reason, http_status,
           holder: Holder | None = None, session=None, scan_id=None, attempt=None) -> RoomAccess | None:
    """Insert the one RoomAccess row of this decision (one statement).

    With a ``scan_id`` already recorded by this scanner nothing is inserted and
    ``None`` is returned (the caller answers with the first decision).
    """
    db = request.dbsession
    values = dict(
        id=uuid.uuid4(), event_id=event_id, room_id=room_id, session_id=session.id if session else None,
        participant_id=holder.participant.id if holder and holder.participant else None,
        user_id=holder.user.id if holder else None, verified_by_id=scanner_id, access_time=now,
        status=status, layer=layer[:40], reason=reason[:300], http_status=http_status, scan_id=scan_id,
    )
    if scan_id is not None:
        dialect = db.get_bind().dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(RoomAccess).values(**values)
        ins = ins.on_conflict_do_nothing(index_elements=["verified_by_id", "scan_id"]).returning(RoomAccess.id)
        inserted = db.execute(ins).first()
        mark_changed(db)
        if inserted is None:  # this scan id was already recorded: the caller replays it
            return None
    else:
        db.execute(_JOURNAL_INSERT, values)
        mark_changed(db)
    access = RoomAccess(**values)
    hook = _implemented(request, "makeplus_access_recorded", event_id)
    if hook is not None:
        hook(dbsession=db, request=request, access=access, attempt=attempt)
    return access


# --------------------------------------------------------------------------- answers


def _name(user) -> str:
    return user.full_name


def user_brief(holder):
    return {"name": _name(holder.user), "email": holder.user.email} if holder else None


def participant_brief(holder, photo=True) -> dict:
    user = holder.user
    data = {"id": str(holder.participant.id) if holder.participant else None, "user_id": user.id,
            "name": _name(user), "email": user.email, "badge_id": user.badge_id}
    if photo:
        data["photo_url"] = user.profile_photo_url
    return data


# Denials decided before the holder was found to be a member of the event (steps 1-4:
# scanner, malformed QR, unknown badge, disabled account, not in the event) never name
# the holder: the scanner learns nothing about whose badge it is. Later denials (room,
# payment, capacity, a plugin's) may, as the holder is one of the event's people.
PRE_MEMBERSHIP_LAYERS = frozenset({"scanner", "parse", "badge", "event"})


def denial_answer(deny: Deny) -> Answer:
    body = {"status": "denied", "error": deny.reason, "reason": deny.reason, "layer": deny.layer,
            "message": deny.message, "detail": deny.message}
    if deny.holder is not None and deny.http_status in (402, 403) and deny.layer not in PRE_MEMBERSHIP_LAYERS:
        body["user"] = user_brief(deny.holder)
        if deny.http_status == 402:
            body["participant"] = participant_brief(deny.holder, photo=False)
    if deny.session is not None and deny.http_status == 402:
        body["session"] = {"id": str(deny.session.id), "title": deny.session.title,
                           "price": api.money(deny.session.price)}
    return Answer(deny.http_status, body)


def room_granted_answer(access: RoomAccess, holder: Holder, room: Room, session) -> Answer:
    return Answer(200, {
        "status": "granted",
        "message": MESSAGES["granted"],
        "participant": participant_brief(holder),
        "access": {"id": str(access.id), "accessed_at": api.isoformat(access.access_time),
                   "room_name": room.name},
        "session": {"id": str(session.id), "title": session.title} if session is not None else None,
    })


def answer_from_row(db, verified_by_id, scan_id) -> Answer | None:
    """Rebuild the first answer of an idempotent scan from its recorded row (used
    when the key-value store lost it, e.g. another process without Redis)."""
    row = db.execute(
        sa.select(RoomAccess, User, Participant, Room.name, Session)
        .outerjoin(User, User.id == RoomAccess.user_id)
        .outerjoin(Participant, Participant.id == RoomAccess.participant_id)
        .outerjoin(Room, Room.id == RoomAccess.room_id)
        .outerjoin(Session, Session.id == RoomAccess.session_id)
        .where(RoomAccess.verified_by_id == verified_by_id, RoomAccess.scan_id == scan_id)
    ).first()
    if row is None:
        return None
    access, user, participant, room_name, session = row
    holder = Holder(user=user, role=None, participant=participant) if user is not None else None
    if access.status == "granted":
        if access.room_id is not None:
            return room_granted_answer(access, holder, Room(name=room_name), session)
        return event_success_answer(db, access, holder, None)
    return denial_answer(Deny(access.http_status, access.layer, access.reason, holder=holder, session=session))


def event_success_answer(db, access, holder: Holder, event: Event | None, first_check_in=None) -> Answer:
    from .paid_items import paid_items

    items = paid_items(db, holder.user.id, access.event_id)
    paid = [i for i in items if i["payment_status"] == "paid"]
    if event is None:
        event = db.get(Event, access.event_id)
    participant = holder.participant
    return Answer(200, {
        "status": "success",
        "message": MESSAGES["checked_in"],
        "participant": participant_brief(holder, photo=False),
        "event": {"id": str(event.id), "name": event.name},
        "paid_items": items,
        "total_paid_items": len(paid),
        "total_amount": float(sum(i["amount_paid"] for i in paid)),
        "access": {"id": str(access.id), "accessed_at": api.isoformat(access.access_time)},
        "first_check_in": first_check_in,
        "checked_in_at": api.isoformat(participant.checked_in_at) if participant else None,
    })


# --------------------------------------------------------------------------- idempotency


def scan_key(request, body) -> str | None:
    key = (request.headers.get("Idempotency-Key") or request.headers.get("X-Scan-Id")
           or (body.get("scan_id") if isinstance(body.get("scan_id"), str) else None))
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 100:
        raise errors.Invalid("Idempotency-Key must be 1 to 100 characters", field="Idempotency-Key")
    return key


def idempotent(request, scope: str, key: str | None, run) -> Answer:
    """Run ``run()`` once per (scanner, scope, key); retries get the first answer.

    A ``pending`` marker is set with ``set_nx`` in the key-value store; concurrent
    retries wait for the first answer (written after commit). The unique
    ``(verified_by_id, scan_id)`` constraint backs this up across processes.
    """
    if key is None:
        return run()
    store = request.registry["kv_store"]
    kv_key = f"scan-idem:{request.identity.user_id}:{scope}:{key}"
    deadline = time.monotonic() + 15
    while True:
        if store.set_nx(kv_key, "pending", PENDING_TTL):
            break
        raw = store.read(kv_key)
        if raw is not None and raw not in ("pending", b"pending"):
            return Answer.loads(raw)
        if time.monotonic() > deadline:
            break  # the first attempt vanished: fall through, the DB constraint decides
        time.sleep(0.02)
    try:
        answer = run()
    except BaseException:
        store.delete(kv_key)
        raise

    def after_commit(success):
        if success:
            store.write(kv_key, answer.dumps(), IDEMPOTENCY_TTL)
        else:
            store.delete(kv_key)

    txn = request.tm.get()
    txn.addAfterCommitHook(after_commit)
    txn.addAfterAbortHook(lambda: store.delete(kv_key))
    return answer


# --------------------------------------------------------------------------- the doors


def _session_param(body):
    raw = body.get("session") or body.get("session_id")
    if raw in (None, ""):
        return None
    if isinstance(raw, dict):
        raw = raw.get("id")
    try:
        return uuid.UUID(str(raw))
    except (TypeError, ValueError, AttributeError):
        raise Deny(400, "parse", "invalid_session_id", message="session: not a valid id")


def scan_room(request, room_id, body: dict, key: str | None) -> Answer:
    """``verify_access`` at a room door; the room must be in the caller's event."""
    ident = request.identity
    db = request.dbsession
    now = utcnow()
    # Parsed before the door's query (it names the holder to read), answered in the
    # documented order: a scanner who may not scan here learns nothing about badges.
    badge = early_deny = session_id = None
    try:
        session_id = _session_param(body)
        badge = parse_qr(body.get("qr_data"), request.registry["badge_keyring"], True)
    except Deny as deny:
        early_deny = deny
    row = load_door(db, room_id, ident.user_id, now, badge.user_id if badge else None, session_id)
    if row is None or (row.Room.event_id != ident.event_id and not ident.is_admin):
        raise errors.NotFound("Room not found", field="room_id")
    if badge is not None and badge.format == "plain":  # the event's choice (read by the door's query)
        try:
            refuse_plain_id_unless_allowed(request.registry.settings, row.event_settings)
        except Deny as deny:
            early_deny, badge = deny, None
    room = row.Room
    role = ident.role if room.event_id == ident.event_id else None
    holder = session = seat = None
    try:
        check_scanner(ident, role, row.has_any, row.here_now)
        if early_deny is not None:
            raise early_deny
        if row.User is None:
            raise Deny(404, "badge", "unknown_user")
        holder = check_holder(badge, row.User, row.role, row.active, row.Participant, row.room_ok)
        session = row.Session
        if session_id is not None and session is None:
            raise Deny(404, "session", "session_not_found")
        check_payment(session, row.has_access, row.payment_status, holder)
        seat = take_seat(db, room, session, holder, row.admitted, now)
        attempt = AccessAttempt("room", room.event_id, ident.user, holder, room, session, now)
        ask_plugins(request, attempt)
    except Deny as deny:
        if seat is not None:
            admission.release(db, room.id, seat, holder.user.id)
        holder = deny.holder or holder
        session = deny.session or session
        attempt = AccessAttempt("room", room.event_id, ident.user, holder, room, session, now) if holder else None
        access = record(request, event_id=room.event_id, room_id=room.id, scanner_id=ident.user_id, now=now,
                        status="denied", layer=deny.layer, reason=deny.reason, http_status=deny.http_status,
                        holder=holder, session=session, scan_id=key, attempt=attempt)
        if access is None:
            return answer_from_row(db, ident.user_id, key)
        deny.holder = holder
        return denial_answer(deny)
    access = record(request, event_id=room.event_id, room_id=room.id, scanner_id=ident.user_id, now=now,
                    status="granted", layer="core", reason="granted", http_status=200, holder=holder,
                    session=session, scan_id=key, attempt=attempt)
    if access is None:  # a concurrent retry of this scan id was recorded first
        if seat is not None:
            admission.release(db, room.id, seat, holder.user.id)
        return answer_from_row(db, ident.user_id, key)
    return room_granted_answer(access, holder, room, session)


def scan_event(request, event_id, body: dict, key: str | None) -> Answer:
    """The app's event-level scanner: a success is the holder's event check-in."""
    ident = request.identity
    db = request.dbsession
    settings = request.registry.settings
    now = utcnow()
    state = {"holder": None}

    def decide():
        check_scanner(ident, ident.role)
        badge = parse_qr(body.get("qr_data"), request.registry["badge_keyring"], True)
        if badge.format == "plain":
            refuse_plain_id_unless_allowed(settings, _event_settings(db, event_id))
        holder = state["holder"] = load_holder(db, badge, event_id)
        attempt = AccessAttempt("event", event_id, ident.user, holder, None, None, now)
        ask_plugins(request, attempt)
        return holder, attempt

    try:
        holder, attempt = decide()
    except Deny as deny:
        holder = deny.holder or state["holder"]
        attempt = AccessAttempt("event", event_id, ident.user, holder, None, None, now) if holder else None
        access = record(request, event_id=event_id, room_id=None, scanner_id=ident.user_id, now=now,
                        status="denied", layer=deny.layer, reason=deny.reason, http_status=deny.http_status,
                        holder=holder, scan_id=key, attempt=attempt)
        if access is None:
            return answer_from_row(db, ident.user_id, key)
        deny.holder = holder
        return denial_answer(deny)
    access = record(request, event_id=event_id, room_id=None, scanner_id=ident.user_id, now=now,
                    status="granted", layer="core", reason="checked_in", http_status=200, holder=holder,
                    scan_id=key, attempt=attempt)
    if access is None:
        return answer_from_row(db, ident.user_id, key)
    first = None
    participant = holder.participant
    if participant is not None:
        # The check-in happens exactly once, whatever the concurrency.
        result = db.execute(sa.update(Participant)
                            .where(Participant.id == participant.id, Participant.is_checked_in.is_(False))
                            .values(is_checked_in=True, checked_in_at=now)
                            .execution_options(synchronize_session=False))
        first = result.rowcount == 1
        if first:  # reflect it without making the object dirty (no second UPDATE)
            set_committed_value(participant, "is_checked_in", True)
            set_committed_value(participant, "checked_in_at", now)
    return event_success_answer(db, access, holder, None, first_check_in=first)
