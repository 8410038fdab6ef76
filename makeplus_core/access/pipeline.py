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
   "USER-15-…", …}`` (extra keys ignored), a signed token ``MP2.<kid>.<payload>.<sig>`` (Ed25519) or legacy ``MP1.…`` (HMAC)
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

At a room door, steps 1 and 3–7 read everything in one SQLAlchemy Core statement
(:func:`load_door`), built once per variant; its rows are plain :class:`Entity` objects,
not ORM instances. With an access token (:func:`foldable_claims`) the same statement reads
the caller's identity (token record, account, role, token version: revocation acts at the
next scan) instead of a query of its own. On PostgreSQL, without an idempotency key nor a
plugin's access hook, it also inserts the granted journal row when the database alone can
grant (``WITH door AS (SELECT …), ins AS (INSERT … SELECT … WHERE <granted>)``), run on
its own in autocommit: **a granted scan is one statement and one round trip**. Anything
else (a denial, a first entry in a capped room, a plugin's hook, SQLite) continues in
Python in the request's transaction: the door's statement, the admission and counter for
a first entry in a capped room, the journal row (two statements on SQLite for a granted
scan: the door, the row).

The event check-in (:func:`scan_event`) on PostgreSQL, without an idempotency key, with a
badge carrying its id and every plugin's access hook gated, is one statement after the
identity (:func:`.check_in.whole_check_in`): the holder's row, and when the database alone
grants (no plugin's gate true) the journal row and the first check-in. Otherwise the holder
read says which statements could only find nothing (the plugins' access and paid-items gates,
the paid ateliers) and they are not run; on PostgreSQL the journal row and the check-in are
still one statement (:func:`.check_in.record_check_in`).

Idempotency: a scan carrying ``Idempotency-Key`` / ``X-Scan-Id`` / body ``scan_id``
is stored as ``RoomAccess.scan_id`` (unique per scanner) and its answer in the
key-value store; a retry returns the first answer and records nothing more.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import secrets
import types
import uuid

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from zope.sqlalchemy import mark_changed

from .. import api, errors, idempotency
from ..audit.services import record_row_update, record_update
from ..auth.models import AuthSession, User
from ..db import RawSelect, UTCDateTime, dialect_insert, keep_writes, utcnow
from ..events.models import Event, UserEventAssignment
from ..modules import _event_settings, event_hook, remember
from ..participants.models import Participant, participant_allowed_rooms
from ..qr.signing import BadToken, Keyring
from ..roles import CONTROLLEUR, GESTIONNAIRE
from ..rooms.models import Room
from ..sessions.models import Session
from ..staff.models import RoomAssignment
from . import admission, badge_policy, check_in, presence, window
from .models import RoomAccess, SessionAccess
from .window import day_start

MAX_QR_LENGTH = 2048
MAX_USER_ID = 2**31 - 1
SCANNER_ROLES = (CONTROLLEUR, GESTIONNAIRE)

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
    "exit": "Exit recorded",
    "invalid_direction": "direction: must be entry or exit",
}
DIRECTIONS = ("entry", "exit")


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
    event_name: str | None = None  # read with the holder by load_holder (the check-in's answer)
    # read with the holder by load_holder(…, gates=…) (the event scanner): False when no
    # plugin's access hook can deny here (their gates) / the holder has no paid-atelier right /
    plugins_may_deny: bool = True
    has_ateliers: bool = True
    plugins_may_list: bool = True  # a plugin's paid items (makeplus_paid_items_gates)


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
    direction: str = "entry"

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
    replayed: bool = False  # the first answer of this scan id, given again
    digest: str | None = None  # the request body's hash (a key reused with another body: 422)

    def dumps(self) -> str:
        return json.dumps({"s": self.status, "b": self.body, "d": self.digest}, default=api._json_default)

    @classmethod
    def loads(cls, raw) -> Answer:
        data = json.loads(raw)
        return cls(data["s"], data["b"], replayed=True, digest=data.get("d"))


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
        if text.startswith(("MP1.", "MP2.")):
            try:
                user_id, badge_id = keyring.verify(text)
            except BadToken:
                raise Deny(400, "parse", "invalid_signature") from None
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
            raise Deny(400, "parse", "invalid_qr") from None
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


def load_holder(db, badge: QrBadge, event_id, gates: tuple | None = None) -> Holder:
    """One query: the user, their role and Participant row in the event (and the event's
    name and settings: its switched-off plugins, for the hooks that follow).

    ``gates`` (the event scanner): ``(access gates, paid-items gates)``, the plugins'
    ``makeplus_access_gates`` and ``makeplus_paid_items_gates`` (each ``None`` when a
    plugin's hook must always be called). The same query then also says whether an access
    gate is true for this holder in this event (``plugins_may_deny``), whether the holder
    has any paid-atelier right (``has_ateliers``) and whether a paid-items gate is true
    (``plugins_may_list``), so that the statements that could only find nothing are not run."""
    row = db.execute(_holder_statement(gates), {"user_id": badge.user_id, "event_id": event_id}).first()
    if row is None:
        raise Deny(404, "badge", "unknown_user")
    if row[4] is not None:  # the event exists: its modules for the plugin hooks, no query of their own
        remember(db, event_id, row[5])
    holder = check_holder(badge, row[0], row[1], row[2], row[3])
    holder.event_name = row[4]
    if gates is not None:
        access, items = gates
        n = len(access or ())
        holder.has_ateliers = bool(row[6])
        holder.plugins_may_deny = access is None or any(row[7:7 + n])
        holder.plugins_may_list = items is None or any(row[7 + n:])
    return holder


@functools.cache
def _holder_statement(gates: tuple | None = None):
    event_id = sa.bindparam("event_id", type_=sa.Uuid)
    stmt = (
        sa.select(User, UserEventAssignment.role, UserEventAssignment.is_active, Participant, Event.name,
                  Event.settings)
        .outerjoin(UserEventAssignment, sa.and_(UserEventAssignment.user_id == User.id,
                                                UserEventAssignment.event_id == event_id))
        .outerjoin(Participant, sa.and_(Participant.user_id == User.id, Participant.event_id == event_id))
        .outerjoin(Event, Event.id == event_id)  # its name, for the check-in's answer
        .where(User.id == sa.bindparam("user_id", type_=sa.Integer))
    )
    if gates is None:
        return stmt
    access, items = gates
    return stmt.add_columns(sa.exists().where(SessionAccess.participant_id == Participant.id),
                            *[check_in.event_gate(gate, event_id) for gate in access or ()],
                            *[gate(User, Participant, event_id) for gate in items or ()])


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
    components = getattr(registry_or_settings, "makeplus", None)
    keyring = getattr(components, "badge_keyring", None) or Keyring.from_settings(settings)
    try:
        badge = parse_qr(qr_data, keyring, True)
        if badge.format == "plain":
            refuse_plain_id_unless_allowed(settings, _event_settings(db, event_id))
        return load_holder(db, badge, event_id)
    except Deny as deny:
        cls = {400: errors.Invalid, 404: errors.NotFound}.get(deny.http_status, errors.Forbidden)
        raise cls(deny.message, field="qr_data" if deny.http_status == 400 else None, reason=deny.reason) from None


def accept_plain_ids(settings) -> bool:
    """The platform default for plain user-id badges (an event may choose otherwise)."""
    return badge_policy.platform_default(settings)


def refuse_plain_id_unless_allowed(settings, event_settings) -> None:
    """A plain user-id badge is accepted only where the event (else the platform) allows it."""
    if not badge_policy.plain_ids_allowed(settings, event_settings):
        raise Deny(400, "parse", "plain_id_refused")


# --------------------------------------------------------------------------- 1. scanner


class Entity(types.SimpleNamespace):
    """A row of the door's query seen as an object: the columns the pipeline, its answers
    and the plugins' access hooks read (see :data:`DOOR_COLUMNS`). Not an ORM instance: the
    door reads plain columns (SQLAlchemy Core), a fraction of the cost of loading ORM
    objects, and nothing it returns is tracked by the request's session."""


class UserRow(Entity):
    full_name = User.__dict__["full_name"]


# The columns of each entity the door reads (prefix in the row, model, attribute names).
DOOR_COLUMNS = {
    "room": (Room, ("id", "event_id", "name", "capacity", "tracks_exits", "door_direction")),
    "u": (User, ("id", "email", "username", "first_name", "last_name", "profile_photo_url", "is_active",
                 "badge_id")),
    "p": (Participant, ("id",)),
    "s": (Session, ("id", "title", "start_time", "is_paid", "price")),
    "sc": (User, ("id", "email", "username", "first_name", "last_name", "is_admin", "token_version")),
}
_ENTITY_CLASS = {"room": Entity, "u": UserRow, "p": Entity, "s": Entity, "sc": UserRow}


def _entity(row, prefix):
    """The entity ``prefix`` of a door row, or ``None`` when its outer join found nothing."""
    if getattr(row, f"{prefix}_id") is None:
        return None
    return _ENTITY_CLASS[prefix](**{name: getattr(row, f"{prefix}_{name}") for name in DOOR_COLUMNS[prefix][1]})


@dataclasses.dataclass
class Door:
    """What the door's one statement read (see :func:`load_door`)."""

    room: Entity
    row: object  # the Core row: has_any, here_now, role, active, room_ok, has_access, payment_status, admitted…
    holder_user: UserRow | None
    participant: Entity | None
    session: Entity | None
    scanner: UserRow | None  # the caller's row when the identity was read here (``with_identity``)
    recorded_id: uuid.UUID | None  # the journal row already inserted by the same statement (PostgreSQL)


def load_door(db, room_id, scanner_id, now, holder_id, session_id, *, identity=None, fast_insert=None):
    """The one statement of a room door (steps 1, 3–7 read together), SQLAlchemy Core, built and
    compiled once per variant (:class:`~makeplus_core.db.RawSelect`); only its parameters change.
    ``db``: the request's session or a connection (in its transaction), or the engine (the
    statement on its own, autocommit: the one-statement grant below).

    Returns ``None`` (no such room) or a :class:`Door`: the room, the scanner's room
    assignments (``has_any`` / ``here_now``), the badge's user (``None`` when unknown or no
    badge was parsed) with their role / ``active`` in the room's event, their participant,
    ``room_ok`` (allowed rooms), the session (the one given, else the one running in the
    room now) with the holder's ``has_access`` / ``payment_status``, and ``admitted``
    (already admitted in the capacity window).

    ``identity`` (``{"sid", "event_id", "tv"}`` from a verified access token) folds the
    request's identity read into the same statement: the caller's user, token record,
    role in the token's event and that event's archive flag (:func:`identity_from_door`).
    ``fast_insert`` (``{"access_id", "badge_id"}``, PostgreSQL, with ``identity``) makes the
    statement also insert the granted journal row when everything the database knows grants
    the scan (``WITH door AS (SELECT …), ins AS (INSERT … SELECT … WHERE granted)``): a
    granted scan is then one statement. Anything the SQL cannot decide alone (a denial, a
    first entry in a capped room) leaves ``recorded_id`` ``None`` and Python decides.
    """
    params = {"room_id": room_id, "scanner_id": scanner_id, "now": now, "holder_id": holder_id,
              "day": day_start(now)}
    if session_id is not None:
        params["session_id"] = session_id
    if identity is not None:
        params.update(sid=identity["sid"], token_event=identity["event_id"], tv=identity["tv"])
    if fast_insert is not None:
        params.update(access_id=fast_insert["access_id"], badge_id=fast_insert["badge_id"])
    query = _door_query(session_id is not None, identity is not None, fast_insert is not None,
                        fast_insert["gates"] if fast_insert is not None else ())
    if isinstance(db, sa.Engine):  # the statement on its own (autocommit), PostgreSQL
        row = query.first_autocommit(db, params)
    else:
        row = query.first(db if isinstance(db, sa.Connection) else db.connection(), params)
    if row is None:
        return None
    return Door(room=_entity(row, "room"), row=row, holder_user=_entity(row, "u"), participant=_entity(row, "p"),
                session=_entity(row, "s"), scanner=_entity(row, "sc") if identity is not None else None,
                recorded_id=row.recorded_id if fast_insert is not None else None)


@functools.cache
def _door_query(*variant) -> RawSelect:
    """:func:`_door_statement` compiled once, run on the driver's cursor (:class:`RawSelect`)."""
    return RawSelect(_door_statement(*variant))


@functools.cache
def _door_statement(session_given: bool, with_identity: bool = False, fast_insert: bool = False,
                    gates: tuple = ()):
    now = sa.bindparam("now", type_=UTCDateTime)
    scanner_id = sa.bindparam("scanner_id", type_=sa.Integer)
    ra = RoomAssignment
    active = sa.and_(ra.user_id == scanner_id, ra.event_id == Room.event_id, ra.is_active.is_(True))
    has_any = sa.exists().where(active)
    here_now = sa.exists().where(active, ra.room_id == Room.id, ra.start_time <= now, ra.end_time > now)
    par = participant_allowed_rooms
    any_room = sa.exists().where(par.c.participant_id == Participant.id)
    this_room = sa.exists().where(par.c.participant_id == Participant.id, par.c.room_id == Room.id)
    room_ok = sa.or_(~any_room, this_room)
    if session_given:
        session_on = sa.and_(Session.id == sa.bindparam("session_id", type_=sa.Uuid), Session.room_id == Room.id)
    else:
        session_on = Session.id == window.running_session(Room.id, now)
    since = sa.func.coalesce(Session.start_time, sa.bindparam("day", type_=UTCDateTime))  # window.window_start
    admitted = admission.admitted_clause(Room.id, User.id, since)
    uea = UserEventAssignment
    columns = []
    for prefix, (model, names) in DOOR_COLUMNS.items():
        if prefix == "sc":
            continue
        columns += [getattr(model, name).label(f"{prefix}_{name}") for name in names]
    columns += [has_any.label("has_any"), here_now.label("here_now"),
                uea.role.label("role"), uea.is_active.label("active"), room_ok.label("room_ok"),
                SessionAccess.has_access.label("has_access"), SessionAccess.payment_status.label("payment_status"),
                admitted.label("admitted"), Event.settings.label("event_settings"),
                Event.archived_at.label("event_archived_at"), Event.timezone.label("event_tz")]
    stmt = (
        sa.select(*columns)
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
    if not with_identity:
        return stmt
    # The request's identity read (makeplus_core.security._identity_statement, access token), same rules.
    scanner = sa.orm.aliased(User)
    token_event = sa.bindparam("token_event", type_=sa.Uuid)
    suea = sa.orm.aliased(UserEventAssignment)
    tev = sa.orm.aliased(Event)
    stmt = (
        stmt.outerjoin(scanner, sa.and_(scanner.id == scanner_id, scanner.is_active.is_(True)))
        .outerjoin(AuthSession, sa.and_(AuthSession.id == sa.bindparam("sid", type_=sa.Uuid),
                                        AuthSession.user_id == scanner.id, AuthSession.revoked_at.is_(None),
                                        AuthSession.kind == "api"))
        .outerjoin(suea, sa.and_(suea.user_id == scanner.id, suea.event_id == token_event,
                                 suea.is_active.is_(True)))
        .outerjoin(tev, tev.id == token_event)
        .add_columns(*[getattr(scanner, name).label(f"sc_{name}") for name in DOOR_COLUMNS["sc"][1]],
                     AuthSession.id.label("sc_session"), suea.role.label("sc_role"),
                     tev.archived_at.label("sc_event_archived_at"))
    )
    if not fast_insert:
        return stmt
    # Everything steps 1 and 3-7 check, in SQL, on the door's row: the scan is granted without a
    # word from Python (check_scanner, check_holder, check_payment, take_seat agree, and
    # _granted_by_door checks it again on the same row).
    # a plugin's gate (makeplus_access_gates) true here: its access hook decides, in Python
    stmt = stmt.add_columns(*[gate(Room, User).label(f"gate_{i}") for i, gate in enumerate(gates)])
    door = stmt.cte("door")
    d = door.c
    const = sa.literal_column
    badge_id = sa.bindparam("badge_id", type_=sa.String)
    granted = sa.and_(
        d.sc_session.is_not(None), d.sc_token_version == sa.bindparam("tv", type_=sa.Integer),
        sa.or_(d.sc_is_admin.is_(True),
               sa.and_(d.room_event_id == token_event, sa.or_(*(d.sc_role == const(f"'{r}'") for r in SCANNER_ROLES)),
                       sa.or_(d.has_any.is_(False), d.here_now.is_(True)))),
        d.event_archived_at.is_(None),
        d.u_id.is_not(None), sa.or_(badge_id.is_(None), d.u_badge_id == badge_id), d.u_is_active.is_(True),
        d.active.is_(True), sa.or_(d.p_id.is_(None), d.room_ok.is_(True)),
        d.s_id.is_not(None) if session_given else sa.true(),
        sa.or_(d.s_id.is_(None), d.s_is_paid.is_(False),
               sa.and_(d.has_access.is_(True), d.payment_status == const("'paid'"))),
        sa.or_(d.room_capacity.is_(None), d.admitted.is_(True)),
        # exits and rooms that track them (presence counters) are decided in Python
        d.room_tracks_exits.is_(False), d.room_door_direction == const("'entry'"),
        *[sa.not_(getattr(d, f"gate_{i}")) for i in range(len(gates))],
    )
    journal = RoomAccess.__table__
    ins = (journal.insert()
           .from_select(["id", "event_id", "room_id", "session_id", "participant_id", "user_id", "verified_by_id",
                         "access_time", "status", "layer", "reason", "http_status", "direction"],
                        sa.select(sa.bindparam("access_id", type_=sa.Uuid), d.room_event_id, d.room_id, d.s_id,
                                  d.p_id, d.u_id, scanner_id, now, const("'granted'"), const("'core'"),
                                  const("'granted'"), const("200"), const("'entry'")).where(granted))
           .returning(journal.c.id).cte("ins"))
    return sa.select(door, ins.c.id.label("recorded_id")).select_from(door.outerjoin(ins, sa.true()))


def identity_from_door(request, claims, door: Door | None):
    """The request's identity from the door's row (the same checks as
    :meth:`makeplus_core.security.SecurityPolicy._load_identity` on an access token), set
    as the request's identity; ``None`` when the token is no longer valid (revoked session,
    account disabled, role removed, token version changed)."""
    from ..events.archive import mark_not_archived
    from ..security import Identity

    if door is None:
        return request.identity  # no such room: the identity is read on its own
    row, scanner = door.row, door.scanner
    ident = None
    if scanner is not None and row.sc_session is not None:
        role = row.sc_role
        if (role is not None or scanner.is_admin) and claims.get("tv") == scanner.token_version:
            if row.sc_event_archived_at is None and door.recorded_id is None:  # the request will write
                mark_not_archived(request.dbsession, claims["event_id"])
            ident = Identity(user=scanner, kind="access", session_id=claims["sid"], event_id=claims["event_id"],
                             role=role, claims=claims["claims"])
    request.environ["makeplus.identity"] = ident
    return ident


def foldable_claims(request):
    """The verified claims of an access token whose identity the door may read in its own
    statement (``{"user_id", "sid", "event_id", "tv", "claims"}``), or ``None``: no token,
    another kind of token, identity already read (then the normal identity read applies)."""
    if "makeplus.identity" in request.environ or request.authorization is None:
        return None
    claims = request.jwt_policy.get_claims(request)
    if not claims or claims.get("typ") != "access" or not isinstance(claims.get("tv"), int):
        return None
    try:
        user_id = int(claims["sub"])
        sid = uuid.UUID(claims["sid"])
        event_id = uuid.UUID(claims["event"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if not 1 <= user_id <= MAX_USER_ID:
        return None
    return {"user_id": user_id, "sid": sid, "event_id": event_id, "tv": claims["tv"], "claims": claims}


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
    window_start = window.window_start(session, now)
    if not admission.admit(db, room.id, room.capacity, window_start, holder.user.id, now):
        raise Deny(403, "capacity", "room_full", holder=holder, session=session)
    return window_start


# --------------------------------------------------------------------------- 8. plugins


def _implemented(request, hook_name: str, event_id):
    """The hook caller when an enabled plugin implements it, else ``None`` (no call); the
    plugins switched off for ``event_id`` are left out (makeplus_core.modules)."""
    pm = request.plugins
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


_JOURNAL_UPSERTS: dict = {}  # dialect name -> statement


def _journal_upsert(db):
    """The journal insert of a scan with a scan id (built once per dialect: only parameters change)."""
    name = db.get_bind().dialect.name
    if name not in _JOURNAL_UPSERTS:
        _JOURNAL_UPSERTS[name] = (dialect_insert(db, RoomAccess.__table__)
                                  .on_conflict_do_nothing(index_elements=["verified_by_id", "scan_id"])
                                  .returning(RoomAccess.__table__.c.id))
    return _JOURNAL_UPSERTS[name]


SCAN_ID_LENGTH = RoomAccess.__table__.c.scan_id.type.length  # 100


def journal_scan_id(key: str | None) -> str | None:
    """The journal's ``scan_id`` for a client's key (at most ``idempotency.MAX_KEY_LENGTH``
    characters): the key itself when it fits the column, else ``sha256:`` and its digest."""
    if key is None or len(key) <= SCAN_ID_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def journal_values(*, event_id, room_id, scanner_id, now, status, layer, reason, http_status,
                   holder: Holder | None = None, session=None, scan_id=None, access_id=None,
                   direction: str = "entry") -> dict:
    """The columns of one RoomAccess row."""
    return dict(
        id=access_id or uuid.uuid4(), event_id=event_id, room_id=room_id, session_id=session.id if session else None,
        participant_id=holder.participant.id if holder and holder.participant else None,
        user_id=holder.user.id if holder else None, verified_by_id=scanner_id, access_time=now,
        status=status, layer=layer[:40], reason=reason[:300], http_status=http_status, scan_id=journal_scan_id(scan_id),
        direction=direction,
    )


def _sql_safe(text: str | None) -> bool:
    """A badge id the database can compare (a QR may carry lone surrogates, which the
    driver cannot encode: such a badge is decided in Python, and denied)."""
    if text is None:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _access_gates(request):
    """The plugins' access gates (``makeplus_access_gates``), computed once at start-up: a tuple
    of ``gate(room, holder)`` callables, ``()`` when no plugin checks room scans, ``None`` when one
    checks them without a gate or records them (no one-statement path then)."""
    return request.registry.makeplus.access_gates


def record(request, *, event_id, room_id, scanner_id, now, status, layer, reason, http_status,
           holder: Holder | None = None, session=None, scan_id=None, attempt=None,
           direction: str = "entry") -> RoomAccess | None:
    """Insert the one RoomAccess row of this decision (one statement).

    With a ``scan_id`` already recorded by this scanner nothing is inserted and
    ``None`` is returned (the caller answers with the first decision).
    """
    db = request.dbsession
    values = journal_values(event_id=event_id, room_id=room_id, scanner_id=scanner_id, now=now, status=status,
                            layer=layer, reason=reason, http_status=http_status, holder=holder, session=session,
                            scan_id=scan_id, direction=direction)
    if scan_id is not None:
        inserted = db.execute(_journal_upsert(db), values).first()
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
    exit_ = getattr(access, "direction", "entry") == "exit"
    return Answer(200, {
        "status": "granted",
        "direction": "exit" if exit_ else "entry",
        "message": MESSAGES["exit" if exit_ else "granted"],
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
        .where(RoomAccess.verified_by_id == verified_by_id, RoomAccess.scan_id == journal_scan_id(scan_id))
    ).first()
    if row is None:
        return None
    access, user, participant, room_name, session = row
    holder = Holder(user=user, role=None, participant=participant) if user is not None else None
    if access.status == "granted":
        if access.room_id is not None:
            answer = room_granted_answer(access, holder, Room(name=room_name), session)
        else:
            answer = event_success_answer(db, access, holder, None)
    else:
        answer = denial_answer(Deny(access.http_status, access.layer, access.reason, holder=holder,
                                    session=session))
    answer.replayed = True
    return answer


def event_success_answer(db, access, holder: Holder, event: Event | None, first_check_in=None) -> Answer:
    from .paid_items import paid_items

    items = paid_items(db, holder.user.id, access.event_id, ateliers=holder.has_ateliers,
                       plugins=holder.plugins_may_list)
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
    """The scan's idempotency key: ``Idempotency-Key``, else ``X-Scan-Id``, else the body's
    ``scan_id`` (:func:`makeplus_core.idempotency.clean_key`: 1 to 200 characters)."""
    raw = (request.headers.get("Idempotency-Key") or request.headers.get("X-Scan-Id")
           or (body.get("scan_id") if isinstance(body.get("scan_id"), str) else None))
    return idempotency.clean_key(raw)


def idempotent(request, scope: str, key: str | None, run) -> Answer:
    """Run ``run()`` once per (scanner, scope, key); retries get the first answer.

    The key is claimed in the key-value store (:func:`makeplus_core.idempotency.claim`);
    concurrent retries wait for the first answer (written after commit). The unique
    ``(verified_by_id, scan_id)`` constraint backs this up across processes: a retry the
    store cannot answer records nothing and is answered from the first row
    (:func:`answer_from_row`). A key reused with another body is refused (422).
    """
    if key is None:
        return run()
    store = request.kv
    kv_key = f"scan-idem:{request.identity.user_id}:{scope}:{key}"
    digest = idempotency.body_digest(request)
    raw = idempotency.claim(store, kv_key)
    if raw is not None and raw != idempotency.PENDING:  # PENDING: the first attempt vanished, the DB decides
        answer = Answer.loads(raw)
        if answer.digest != digest:
            return Answer(422, idempotency.reused_key_body())
        return answer
    try:
        answer = run()
    except BaseException:
        store.delete(kv_key)
        raise
    answer.digest = digest
    ttl = int(request.registry.settings.get("makeplus.idempotency_ttl", idempotency.DEFAULT_TTL))

    def after_commit(success):
        if success:
            store.write(kv_key, answer.dumps(), ttl)
        else:
            store.delete(kv_key)

    txn = request.tm.get()
    txn.addAfterCommitHook(after_commit)
    txn.addAfterAbortHook(lambda: store.delete(kv_key))
    return answer


# --------------------------------------------------------------------------- the doors


class RoomDoor:
    """A room door (``verify_access`` and its aliases): :func:`scan_room` in ``room_id``.
    ``claims``: the caller's access token when the door's statement reads the identity
    (:func:`foldable_claims`)."""

    records_denials = True

    def __init__(self, room_id: uuid.UUID, claims: dict | None = None):
        self.room_id, self.claims = room_id, claims

    def scope(self, request, body) -> str:
        return f"room:{self.room_id}"

    def run(self, request, body, key) -> Answer:
        claims = self.claims
        if key is not None and claims is not None:
            claims = None  # an idempotent scan reads the identity first (the key is the caller's)
            if request.identity is None:
                raise errors.NotAuthenticated("Authentication credentials were not provided or are invalid")
        return scan_room(request, self.room_id, body, key, claims)


class EventDoor:
    """The app's event-level scanner (``participants/scan`` and its aliases): :func:`scan_event`
    in the caller's event; a success is the holder's check-in."""

    records_denials = True
    event_id = None

    def scope(self, request, body) -> str:
        self.event_id = api.require_event(request)
        return f"event:{self.event_id}"

    def run(self, request, body, key) -> Answer:
        return scan_event(request, self.event_id, body, key)


def door_services(*services) -> None:
    """Declare Cornice services as scan doors (their views call :func:`handle`): the generic
    ``Idempotency-Key`` tween lets them through, the door applies the key itself."""
    idempotency.keyed_by_view(*services)


def handle(request, door, body: dict | None = None):
    """The one entry point of every scan door; returns its JSON response.

    ``door`` says where the scan happens and what answers it (:class:`RoomDoor`,
    :class:`EventDoor`, a plugin's door such as the exposants' booth): ``scope(request,
    body)`` names it (and checks the caller may use it), ``run(request, body, key)``
    decides and records, returning an :class:`Answer`; ``records_denials`` (the doors that
    journal every decision) keeps a denial's writes though the answer is 4xx
    (:func:`makeplus_core.db.keep_writes`) and counts the scan in the ``scan`` rate limit.
    ``door`` may also be a function of the body returning the door (``/api/qr/verify/``).
    Idempotency (``Idempotency-Key`` / ``X-Scan-Id`` / body ``scan_id``) is applied here,
    once, per scanner and scope (:func:`idempotent`).
    """
    records = getattr(door, "records_denials", True)
    if records:
        keep_writes(request)  # a denied scan's journal row is kept
        if SCAN_COUNTED not in request.environ:  # the fast lane counted it (.door_tween)
            claims = getattr(door, "claims", None)
            user_key = claims["user_id"] if claims is not None else api.identity(request).user_id
            request.rate_limiter.hit(request, "scan", user_key=user_key)
    if body is None:
        body = api.json_body(request)
    if not hasattr(door, "run"):
        door = door(body)
    scope = door.scope(request, body)
    key = scan_key(request, body)
    return respond(idempotent(request, scope, key, lambda: door.run(request, body, key)))


SCAN_COUNTED = "makeplus.scan_counted"
DOOR_READ = "makeplus.door_read"


def fast_room_scan(request, room_id) -> Answer | None:
    """The room door's fast lane (:mod:`.door_tween`): the answer when the door's one statement
    grants and records the scan (an access token, no idempotency key, PostgreSQL, an entry, a
    signed badge, no plugin deciding in Python), else ``None`` and the request goes through
    the whole pipeline (:func:`handle`). The scan counts in the ``scan`` rate limit once, and
    the statement runs once: when it did not grant, :func:`scan_room` decides on the row it
    read (as it does without the fast lane: under READ COMMITTED every statement reads its own
    snapshot, so a row read just before the request's transaction is as current)."""
    claims = foldable_claims(request)
    if claims is None:
        return None
    body = api.json_body(request)
    if not isinstance(body, dict) or scan_key(request, body) is not None:
        return None
    request.rate_limiter.hit(request, "scan", user_key=claims["user_id"])
    request.environ[SCAN_COUNTED] = True
    return scan_room(request, room_id, body, None, claims, only_statement=True)


def respond(answer: Answer):
    """The JSON response of a door's answer (a replay says so: ``Idempotent-Replayed``)."""
    return api.json_response(answer.body, status=answer.status,
                             headers=idempotency.REPLAYED if answer.replayed else None)



def _session_param(body):
    raw = body.get("session") or body.get("session_id")
    if raw in (None, ""):
        return None
    if isinstance(raw, dict):
        raw = raw.get("id")
    try:
        return uuid.UUID(str(raw))
    except (TypeError, ValueError, AttributeError):
        raise Deny(400, "parse", "invalid_session_id", message="session: not a valid id") from None


def scan_direction(body) -> str | None:
    """The body's ``direction`` (``None`` when absent); 400 when not entry/exit."""
    raw = body.get("direction")
    if raw in (None, ""):
        return None
    if raw not in DIRECTIONS:
        raise errors.Invalid(MESSAGES["invalid_direction"], field="direction")
    return raw


def scan_room(request, room_id, body: dict, key: str | None, claims: dict | None = None, now=None,
              only_statement: bool = False) -> Answer | None:
    """``verify_access`` at a room door; the room must be in the caller's event.

    ``now`` is the time of the scan (an offline scan synced later), default the clock. The
    direction is the body's ``direction``, else the room's ``door_direction`` (entry/exit);
    exits and rooms that track exits (:mod:`.presence`) are decided in Python.

    With ``claims`` (:func:`foldable_claims`: an access token not yet checked against the
    database) the door's statement also reads the caller's identity, and on PostgreSQL,
    without an idempotency key nor a plugin's access hook, inserts the granted journal row
    itself: a granted scan is one statement (:func:`load_door`). Without them, the
    request's identity is read first (``request.identity``).

    ``only_statement`` (the door's fast lane, :mod:`.door_tween`): answer only a scan the
    one statement grants and records; ``None`` otherwise, with nothing written (the row the
    statement read is kept in the environ, ``DOOR_READ``, and the pipeline decides on it).
    """
    now = now or utcnow()
    asked_direction = scan_direction(body)
    # Parsed before the door's query (it names the holder to read), answered in the
    # documented order: a scanner who may not scan here learns nothing about badges.
    badge = early_deny = session_id = None
    try:
        session_id = _session_param(body)
        badge = parse_qr(body.get("qr_data"), request.badge_keyring, True)
    except Deny as deny:
        early_deny = deny
    fast = None
    if claims is not None:
        scanner_id = claims["user_id"]
        if (early_deny is None and key is None and request.registry.makeplus.db_engine.dialect.name == "postgresql"
                and asked_direction != "exit" and badge.format != "plain"  # plain ids: the event's choice, below
                and _sql_safe(badge.badge_id) and _access_gates(request) is not None):
            fast = {"access_id": uuid.uuid4(), "badge_id": badge.badge_id, "gates": _access_gates(request)}
    else:
        scanner_id = request.identity.user_id
    holder_id = badge.user_id if badge else None
    if only_statement and fast is None:
        return None
    read = request.environ.pop(DOOR_READ, None) if claims is not None else None
    if read is not None:  # the fast lane's statement, which did not grant: decide on its row
        now, door = read
    elif fast is not None:
        # One statement that decides and records: run on its own (autocommit), so a granted
        # scan costs one round trip, no BEGIN/COMMIT, no ORM session. Under READ COMMITTED
        # each statement reads its own snapshot anyway: when it did not grant, what follows
        # runs in the request's transaction exactly as if the door had been read there.
        door = load_door(request.registry.makeplus.db_engine, room_id, scanner_id, now, holder_id, session_id,
                         identity=claims, fast_insert=fast)
        if only_statement and (door is None or door.recorded_id is None):
            request.environ[DOOR_READ] = (now, door)  # nothing written: the pipeline decides on this row
            return None
    else:
        door = load_door(request.dbsession, room_id, scanner_id, now, holder_id, session_id, identity=claims)
    ident = identity_from_door(request, claims, door) if claims is not None else request.identity
    if ident is None:
        raise errors.NotAuthenticated("Authentication credentials were not provided or are invalid")
    if door is None or (door.room.event_id != ident.event_id and not ident.is_admin):
        raise errors.NotFound("Room not found", field="room_id")
    if door.recorded_id is not None:  # granted and recorded (scan_room_checks agrees, or it is a bug)
        return _granted_by_door(ident, door, badge, now)
    db = request.dbsession
    remember(db, door.room.event_id, door.row.event_settings)  # the event's modules, for the plugin hooks
    room, row = door.room, door.row
    direction = asked_direction or room.door_direction or "entry"
    if badge is not None and badge.format == "plain":  # the event's choice (read by the door's query)
        try:
            refuse_plain_id_unless_allowed(request.registry.settings, row.event_settings)
        except Deny as deny:
            early_deny, badge = deny, None
    role = ident.role if room.event_id == ident.event_id else None
    holder = session = seat = attempt = None
    entered = None  # the event day when this scan put the holder inside a room that tracks exits
    try:
        check_scanner(ident, role, row.has_any, row.here_now)
        if early_deny is not None:
            raise early_deny
        if door.holder_user is None:
            raise Deny(404, "badge", "unknown_user")
        session = door.session
        if direction == "exit":
            # an exit never needs payment nor a seat, and is allowed from any room
            holder = check_holder(badge, door.holder_user, row.role, row.active, door.participant, True)
        else:
            holder = check_holder(badge, door.holder_user, row.role, row.active, door.participant, row.room_ok)
            if session_id is not None and session is None:
                raise Deny(404, "session", "session_not_found")
            check_payment(session, row.has_access, row.payment_status, holder)
            if room.tracks_exits:
                day = presence.event_day_start(row.event_tz, now)
                result = presence.enter(db, room.id, room.capacity, day, holder.user.id, now)
                if result == "full":
                    raise Deny(403, "capacity", "room_full", holder=holder, session=session)
                if result == "entered":
                    entered = day
            else:
                seat = take_seat(db, room, session, holder, row.admitted, now)
            attempt = AccessAttempt("room", room.event_id, ident.user, holder, room, session, now)
            ask_plugins(request, attempt)
    except Deny as deny:
        if seat is not None:
            admission.release(db, room.id, seat, holder.user.id)
        if entered is not None:
            presence.undo_enter(db, room.id, entered, holder.user.id)
        holder = deny.holder or holder
        session = deny.session or session
        attempt = AccessAttempt("room", room.event_id, ident.user, holder, room, session, now,
                                direction) if holder else None
        access = record(request, event_id=room.event_id, room_id=room.id, scanner_id=ident.user_id, now=now,
                        status="denied", layer=deny.layer, reason=deny.reason, http_status=deny.http_status,
                        holder=holder, session=session, scan_id=key, attempt=attempt, direction=direction)
        if access is None:
            return answer_from_row(db, ident.user_id, key)
        deny.holder = holder
        return denial_answer(deny)
    if direction == "exit":
        attempt = AccessAttempt("room", room.event_id, ident.user, holder, room, session, now, "exit")
    access = record(request, event_id=room.event_id, room_id=room.id, scanner_id=ident.user_id, now=now,
                    status="granted", layer="core", reason="exit" if direction == "exit" else "granted",
                    http_status=200, holder=holder, session=session, scan_id=key, attempt=attempt,
                    direction=direction)
    if access is None:  # a concurrent retry of this scan id was recorded first
        if seat is not None:
            admission.release(db, room.id, seat, holder.user.id)
        if entered is not None:
            presence.undo_enter(db, room.id, entered, holder.user.id)
        return answer_from_row(db, ident.user_id, key)
    answer = room_granted_answer(access, holder, room, session)
    if direction == "exit" and room.tracks_exits:  # after the journal row: a replay changes nothing
        answer.body["was_inside"] = presence.leave(db, room.id, presence.event_day_start(row.event_tz, now),
                                                   holder.user.id)
    return answer


def _granted_by_door(ident, door: Door, badge, now) -> Answer:
    """The answer of a scan the door's statement granted and recorded. The pipeline's checks
    run on the same row and must agree (they always do; a disagreement is a bug, answered
    500, its journal row already written with the rest of the statement)."""
    row = door.row
    try:
        check_scanner(ident, ident.role if door.room.event_id == ident.event_id else None, row.has_any,
                      row.here_now)
        holder = check_holder(badge, door.holder_user, row.role, row.active, door.participant, row.room_ok)
        check_payment(door.session, row.has_access, row.payment_status, holder)
        if door.room.capacity is not None and not row.admitted:
            raise Deny(403, "capacity", "room_full")
    except Deny as deny:
        raise RuntimeError(f"the door's statement granted a scan the pipeline denies ({deny.reason})") from None
    # the row the statement inserted, as plain values (no ORM instance: nothing here is tracked)
    access = Entity(**journal_values(
        access_id=door.recorded_id, event_id=door.room.event_id, room_id=door.room.id, scanner_id=ident.user_id,
        now=now, status="granted", layer="core", reason="granted", http_status=200, holder=holder,
        session=door.session, scan_id=None))
    return room_granted_answer(access, holder, door.room, door.session)


def scan_event(request, event_id, body: dict, key: str | None) -> Answer:
    """The app's event-level scanner: a success is the holder's event check-in."""
    ident = request.identity
    db = request.dbsession
    settings = request.registry.settings
    now = utcnow()
    state = {"holder": None, "whole": None}
    gates = (_access_gates(request), request.registry.makeplus.paid_items_gates)

    def decide():
        check_scanner(ident, ident.role)
        badge = parse_qr(body.get("qr_data"), request.badge_keyring, True)
        if badge.format == "plain":
            refuse_plain_id_unless_allowed(settings, _event_settings(db, event_id))
        if (key is None and gates[0] is not None and badge.badge_id is not None and _sql_safe(badge.badge_id)
                and request.registry.makeplus.db_engine.dialect.name == "postgresql"):
            # the database decides and records what it can alone (check_in.whole_check_in)
            row = state["whole"] = check_in.whole_check_in(
                db, *gates, user_id=badge.user_id, badge_id=badge.badge_id, event_id=event_id,
                scanner_id=ident.user_id, now=now)
            holder = state["holder"] = _holder_from_row(db, badge, event_id, row, gates)
            if row.recorded_id is not None:
                return holder, None
        else:
            holder = state["holder"] = load_holder(db, badge, event_id, gates=gates)
        attempt = AccessAttempt("event", event_id, ident.user, holder, None, None, now)
        if holder.plugins_may_deny:  # else every plugin's hook would let the holder in
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
    participant = holder.participant
    whole = state["whole"]
    if whole is not None and whole.recorded_id is not None:  # granted and recorded by the one statement
        access = RoomAccess(**journal_values(
            access_id=whole.recorded_id, event_id=event_id, room_id=None, scanner_id=ident.user_id, now=now,
            status="granted", layer="core", reason="checked_in", http_status=200, holder=holder))
        first = None
        if participant is not None:
            first = bool(whole.first)
            if first:
                _checked_in(db, participant, now)
    elif (request.registry.makeplus.db_engine.dialect.name == "postgresql"
            and _implemented(request, "makeplus_access_recorded", event_id) is None):
        # the journal row and the check-in in one statement (no hook runs between them)
        values = journal_values(event_id=event_id, room_id=None, scanner_id=ident.user_id, now=now,
                                status="granted", layer="core", reason="checked_in", http_status=200,
                                holder=holder, scan_id=key)
        recorded, first = check_in.record_check_in(db, values, participant.id if participant else None)
        if not recorded:  # a concurrent retry of this scan id was recorded first
            return answer_from_row(db, ident.user_id, key)
        access = RoomAccess(**values)
        if participant is None:
            first = None
        elif first:
            _checked_in(db, participant, now)
    else:
        access = record(request, event_id=event_id, room_id=None, scanner_id=ident.user_id, now=now,
                        status="granted", layer="core", reason="checked_in", http_status=200, holder=holder,
                        scan_id=key, attempt=attempt)
        if access is None:
            return answer_from_row(db, ident.user_id, key)
        first = None
        if participant is not None:
            # The check-in happens exactly once, whatever the concurrency.
            result = db.execute(sa.update(Participant)
                                .where(Participant.id == participant.id, Participant.is_checked_in.is_(False))
                                .values(is_checked_in=True, checked_in_at=now)
                                .execution_options(synchronize_session=False))
            first = result.rowcount == 1
            if first:
                _checked_in(db, participant, now)
    event = Entity(id=event_id, name=holder.event_name) if holder.event_name is not None else None
    return event_success_answer(db, access, holder, event, first_check_in=first)


def _checked_in(db, participant, now) -> None:
    """Reflect the check-in the conditional UPDATE made without making the participant
    dirty (no second UPDATE at flush), and audit it (the unit of work did not see it).
    ``participant``: an ORM instance, or the :class:`Entity` the one-statement check-in read."""
    before = participant.checked_in_at
    if isinstance(participant, Entity):
        participant.is_checked_in, participant.checked_in_at = True, now
        record_row_update(db, Participant.__tablename__, participant.id, participant.event_id,
                          {"is_checked_in": (False, True), "checked_in_at": (before, now)})
        return
    set_committed_value(participant, "is_checked_in", True)
    set_committed_value(participant, "checked_in_at", now)
    record_update(db, participant, {"is_checked_in": (False, True), "checked_in_at": (before, now)})


def _holder_from_row(db, badge: QrBadge, event_id, row, gates) -> Holder:
    """The holder of the one-statement check-in's row (:func:`check_in.whole_check_in`), as
    :func:`load_holder` makes it (plain :class:`Entity` objects instead of ORM instances).
    Its checks must agree with the statement's grant: a disagreement is a bug (500)."""
    if row is None:
        raise Deny(404, "badge", "unknown_user")
    if row.event_name is not None:  # the event's modules for the plugin hooks, no query of their own
        remember(db, event_id, row.event_settings)
    user = UserRow(**{c: getattr(row, f"u_{c}") for c in check_in.USER_COLUMNS})
    participant = (Entity(**{c: getattr(row, f"p_{c}") for c in check_in.PARTICIPANT_COLUMNS})
                   if row.p_id is not None else None)
    try:
        holder = check_holder(badge, user, row.role, row.active, participant)
    except Deny:
        if row.recorded_id is not None:
            raise RuntimeError("the check-in's statement granted a scan the pipeline denies") from None
        raise
    access, items = gates
    holder.event_name = row.event_name
    holder.has_ateliers = bool(row.has_ateliers)
    holder.plugins_may_deny = any(getattr(row, f"gate_{i}") for i in range(len(access)))
    holder.plugins_may_list = items is None or any(getattr(row, f"items_{i}") for i in range(len(items)))
    return holder
