"""Participant rows: one per badge holder (participant, exposant) per event."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
import zope.sqlalchemy

from .. import errors
from ..api import get_or_404
from ..auth.models import User
from ..auth.services import normalize_email, user_matches
from ..db import utcnow
from ..events.models import UserEventAssignment
from ..events.services import assign_role
from ..roles import BADGE_ROLES, CONTROLLEUR, GESTIONNAIRE, PARTICIPANT
from ..rooms.models import Room
from .models import Participant, participant_allowed_rooms
from .registration import badge_number_for

# --------------------------------------------------------------------------- REST domain functions



def list_query(event_id, *, own_user_id=None, badge_number=None, search=None, user_id=None,
               is_checked_in=None, role=None):
    """The event's participants as a ``select`` (one entity), filtered.

    ``own_user_id`` restricts the list to that user's row (participants, exposants).
    """
    stmt = sa.select(Participant).where(Participant.event_id == event_id)
    if own_user_id is not None:
        stmt = stmt.where(Participant.user_id == own_user_id)
    if badge_number:
        stmt = stmt.where(Participant.badge_number == badge_number)
    if user_id is not None:
        stmt = stmt.where(Participant.user_id == user_id)
    if is_checked_in is not None:
        stmt = stmt.where(Participant.is_checked_in.is_(is_checked_in))
    if role:
        stmt = stmt.where(sa.exists().where(UserEventAssignment.user_id == Participant.user_id,
                                            UserEventAssignment.event_id == Participant.event_id,
                                            UserEventAssignment.role == role))
    if search:
        stmt = stmt.join(User, User.id == Participant.user_id).where(
            user_matches(search, Participant.badge_number))
    return stmt.order_by(Participant.registration_date, Participant.id)


def visible_owner(ident, role):
    """Whose participant rows ``role`` sees: None (every row of the event) for an admin, a
    gestionnaire or a controlleur, the caller's own user id for another badge role; any
    other caller is not a member of the event (403)."""
    if role in ("admin", GESTIONNAIRE, CONTROLLEUR):
        return None
    if role in BADGE_ROLES:
        return ident.user_id
    raise errors.Forbidden("You are not a member of this event")


def get_visible(db, participant_id, event_id, own_user_id=None) -> Participant:
    """One participant of the event; for badge holders only their own row (else 404)."""
    obj = get_or_404(db, Participant, participant_id, event_id, label="Participant")
    if own_user_id is not None and obj.user_id != own_user_id:
        raise errors.NotFound("Participant not found", field="id")
    return obj


def check_rooms(db, event_id, room_ids) -> list:
    """The ids of ``room_ids`` as UUIDs, all rooms of the event (else 400 naming allowed_rooms)."""
    parsed = []
    for value in room_ids or []:
        try:
            parsed.append(uuid.UUID(str(value)))
        except (TypeError, ValueError):
            raise errors.Invalid(f"allowed_rooms: {value!r} is not a valid room id", field="allowed_rooms") from None
    parsed = list(dict.fromkeys(parsed))
    if parsed:
        found = set(db.scalars(sa.select(Room.id).where(Room.id.in_(parsed), Room.event_id == event_id)))
        missing = [str(r) for r in parsed if r not in found]
        if missing:
            raise errors.Invalid(f"allowed_rooms: rooms not in this event: {', '.join(missing)}",
                                 field="allowed_rooms")
    return parsed


def set_allowed_rooms(db, participant: Participant, room_ids: list) -> None:
    db.flush()
    db.execute(participant_allowed_rooms.delete().where(
        participant_allowed_rooms.c.participant_id == participant.id))
    if room_ids:
        db.execute(participant_allowed_rooms.insert(),
                   [{"participant_id": participant.id, "room_id": r} for r in room_ids])
    zope.sqlalchemy.mark_changed(db)


def _check_badge_number(db, event_id, badge_number, exclude_id=None):
    stmt = sa.select(Participant.id).where(Participant.event_id == event_id,
                                           Participant.badge_number == badge_number)
    if exclude_id is not None:
        stmt = stmt.where(Participant.id != exclude_id)
    if db.scalar(stmt) is not None:
        raise errors.Conflict("badge_number: already used in this event", field="badge_number")


# Fields of the person's global account: they belong to the user and platform admins.
ACCOUNT_FIELDS = ("email", "first_name", "last_name", "job_title", "username", "password",
                  "profile_photo_url", "badge_id", "is_active", "is_admin", "is_staff")
# What platform admins may still change on the account through a participant row.
ADMIN_ACCOUNT_FIELDS = ("first_name", "last_name", "job_title")


def changed_account_fields(user, raw: dict) -> list[str]:
    """The account fields of ``raw`` that would change ``user``'s account.

    Sending an account field with its current value (a PUT of the whole item) is not a change.
    """
    changed = []
    for key in ACCOUNT_FIELDS:
        if key not in raw:
            continue
        current = getattr(user, "is_admin" if key == "is_staff" else key, None)
        value = raw[key]
        if key == "email" and isinstance(value, str):
            value, current = normalize_email(value), normalize_email(current)
        if key == "password" or value != current:
            changed.append(key)
    return changed


def create(db, event, data: dict, user, assigned_by_id=None) -> Participant:
    """Register ``user`` (resolved by the caller: by e-mail for staff, by id for admins) as a
    badge holder of ``event``, with the event-level fields of ``data``."""
    existing = db.scalar(sa.select(UserEventAssignment).where(UserEventAssignment.user_id == user.id,
                                                              UserEventAssignment.event_id == event.id)
                         .with_for_update())
    if existing is not None:
        raise errors.Conflict(f"user: already assigned to this event as {existing.role}", field="user")
    rooms = check_rooms(db, event.id, data.get("allowed_rooms"))
    if data.get("badge_number"):
        _check_badge_number(db, event.id, data["badge_number"])
    assign_role(db, user.id, event, data.get("role") or PARTICIPANT, assigned_by_id=assigned_by_id)
    participant = db.scalar(sa.select(Participant).where(Participant.user_id == user.id,
                                                         Participant.event_id == event.id))
    if data.get("badge_number"):
        participant.badge_number = data["badge_number"]
    for key in ("notes", "phone", "organization"):
        if key in data:
            setattr(participant, key, data[key])
    if data.get("is_checked_in"):
        participant.is_checked_in = True
        participant.checked_in_at = utcnow()
    if rooms:
        set_allowed_rooms(db, participant, rooms)
    db.flush()
    return participant


def create_many(db, event, items: list, assigned_by_id=None) -> list:
    """:func:`create` for many people at once: ``items`` is a list of ``(user, data)`` whose
    ``data`` holds the event-level fields (role, badge_number, phone, organization, notes,
    allowed_rooms as room ids of the event). Their assignments and participant rows are
    inserted together, their allowed rooms in one more statement; the answer is the
    participants in the same order. 409 naming ``user`` when one of them already has a role
    in the event, ``badge_number`` when a badge number is already used."""
    if not items:
        return []
    user_ids = [user.id for user, _ in items]
    taken = db.execute(sa.select(UserEventAssignment.user_id, UserEventAssignment.role).where(
        UserEventAssignment.event_id == event.id, UserEventAssignment.user_id.in_(user_ids))
        .with_for_update()).first()
    if taken is not None:
        raise errors.Conflict(f"user: {taken.user_id} is already assigned to this event as {taken.role}",
                              field="user")
    valid_rooms = set(db.scalars(sa.select(Room.id).where(Room.event_id == event.id)))
    badges = [data["badge_number"] for _, data in items if data.get("badge_number")]
    if badges:
        used = db.scalar(sa.select(Participant.badge_number).where(
            Participant.event_id == event.id, Participant.badge_number.in_(badges)).limit(1))
        if used is not None:
            raise errors.Conflict(f"badge_number: {used} is already used in this event", field="badge_number")
    now = utcnow()
    assignments, participants, room_rows = [], [], []
    for user, data in items:
        role = data.get("role") or PARTICIPANT
        if role not in BADGE_ROLES:
            raise errors.Invalid(f"role: must be one of {', '.join(BADGE_ROLES)}", field="role")
        assignments.append(UserEventAssignment(user_id=user.id, event_id=event.id, role=role,
                                               assigned_by_id=assigned_by_id, is_active=True, assigned_at=now))
        participant = Participant(id=uuid.uuid4(), user_id=user.id, event_id=event.id,
                                  badge_number=data.get("badge_number") or badge_number_for(event, user.id),
                                  registration_date=now, notes=data.get("notes", ""),
                                  phone=data.get("phone"), organization=data.get("organization"))
        if data.get("is_checked_in"):
            participant.is_checked_in, participant.checked_in_at = True, now
        participants.append(participant)
        for room_id in dict.fromkeys(data.get("allowed_rooms") or ()):
            if room_id not in valid_rooms:
                raise errors.Invalid(f"allowed_rooms: rooms not in this event: {room_id}", field="allowed_rooms")
            room_rows.append({"participant_id": participant.id, "room_id": room_id})
    db.add_all(assignments)
    db.add_all(participants)
    try:
        db.flush()
    except sa.exc.IntegrityError:  # a default badge number equal to a typed one, or a concurrent request
        raise errors.Conflict("badge_number: a badge number is already used in this event; try again",
                              field="badge_number") from None
    if room_rows:
        db.execute(participant_allowed_rooms.insert(), room_rows)
        zope.sqlalchemy.mark_changed(db)
    return participants


def update(db, participant: Participant, data: dict, account_changes: dict | None = None) -> Participant:
    """Event-level update (badge number, rooms, check-in, role, notes, event contact details).

    ``account_changes`` (first_name, last_name, job_title) is for platform admins only; the
    view refuses account fields from event staff."""
    if account_changes:
        user = db.get(User, participant.user_id)
        for key in ADMIN_ACCOUNT_FIELDS:
            if key in account_changes:
                setattr(user, key, account_changes[key])
    if "badge_number" in data and data["badge_number"] != participant.badge_number:
        _check_badge_number(db, participant.event_id, data["badge_number"], exclude_id=participant.id)
        participant.badge_number = data["badge_number"]
    for key in ("notes", "phone", "organization"):
        if key in data:
            setattr(participant, key, data[key])
    if "is_checked_in" in data:
        if data["is_checked_in"] and not participant.is_checked_in:
            participant.checked_in_at = utcnow()
        elif not data["is_checked_in"]:
            participant.checked_in_at = None
        participant.is_checked_in = data["is_checked_in"]
    if "role" in data:
        assignment = db.scalar(sa.select(UserEventAssignment).where(
            UserEventAssignment.user_id == participant.user_id,
            UserEventAssignment.event_id == participant.event_id))
        if assignment is not None:
            assignment.role = data["role"]
    if "allowed_rooms" in data:
        set_allowed_rooms(db, participant, check_rooms(db, participant.event_id, data["allowed_rooms"]))
    db.flush()
    return participant


def delete(db, participant: Participant) -> None:
    """Remove the badge holder from the event: the participant row and a badge-holder assignment."""
    db.execute(sa.delete(UserEventAssignment).where(
        UserEventAssignment.user_id == participant.user_id,
        UserEventAssignment.event_id == participant.event_id,
        UserEventAssignment.role.in_(BADGE_ROLES)))
    db.delete(participant)
    db.flush()
    zope.sqlalchemy.mark_changed(db)
