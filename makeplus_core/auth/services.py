"""Account domain functions: registration, login flows, profile, passwords.

Plain functions taking a db session (and the registry for settings/tokens); they
raise :mod:`makeplus_core.errors` and return plain dicts/objects.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

import sqlalchemy as sa

from .. import errors
from ..access.models import RoomAccess, SessionAccess
from ..db import utcnow
from ..events.models import Event, UserEventAssignment
from ..participants.models import Participant
from . import badges, passwords, tokens
from .models import AuthSession, PasswordResetToken, User
from .serializers import event_with_badge, qr_code_json, user_json

RESET_TTL = dt.timedelta(hours=2)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def user_matches(search: str, *columns):
    """SQL condition: ``search`` is part of the user's first name, last name, full name or
    e-mail, or of one of ``columns`` (a badge number…), case-insensitively."""
    pattern = f"%{search.strip()}%"
    return sa.or_(*(column.ilike(pattern) for column in (
        User.first_name, User.last_name, User.email, User.first_name + " " + User.last_name, *columns)))


# --------------------------------------------------------------------------- users


def create_user(db, *, email, password, username=None, first_name="", last_name="", is_admin=False,
                email_verified=False, **profile) -> User:
    """A new account with its badge. ``password=None`` gives an unusable password (an
    invited account: its owner sets one through the invitation link)."""
    email = normalize_email(email)
    if db.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise errors.Conflict("A user with this email already exists", field="email")
    username = (username or email.split("@")[0]).strip()
    if db.scalar(sa.select(User.id).where(User.username == username)) is not None:
        if "username" in profile.get("_explicit", ()):  # pragma: no cover - defensive
            raise errors.Conflict("This username is taken", field="username")
        username = f"{username}-{secrets.token_hex(3)}"
    profile.pop("_explicit", None)
    user = User(email=email, username=username, first_name=first_name or "", last_name=last_name or "",
                password_hash=passwords.hash_password(password) if password else passwords.UNUSABLE,
                is_admin=is_admin, email_verified_at=utcnow() if email_verified else None, **profile)
    db.add(user)
    db.flush()  # the badge id embeds the user id
    badges.issue_badge(user)
    db.flush()
    return user


def authenticate(db, email: str, password: str) -> User:
    user = db.scalar(sa.select(User).where(User.email == normalize_email(email)))
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        raise errors.NotAuthenticated("No active account found with the given credentials")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    return user


# --------------------------------------------------------------------------- event context


def user_assignments(db, user_id: int):
    """Active assignments of a user with their event and participant row (one query)."""
    stmt = (
        sa.select(UserEventAssignment, Event, Participant)
        .join(Event, Event.id == UserEventAssignment.event_id)
        .outerjoin(Participant, sa.and_(Participant.user_id == UserEventAssignment.user_id,
                                        Participant.event_id == UserEventAssignment.event_id))
        .where(UserEventAssignment.user_id == user_id, UserEventAssignment.is_active.is_(True))
        .order_by(Event.start_date, Event.name)
    )
    return db.execute(stmt).all()


def login_payload(request, db, user, event, role, participant, auth_session) -> dict:
    """The single-event login answer (seed shape + what the app reads)."""
    pair = tokens.token_pair(request.registry, user, auth_session)
    current = event_with_badge(request, user, event, role, participant) if event is not None else None
    return {
        **pair,
        "user": {**user_json(user), "role": role},
        "role": role,
        "event": current,
        "current_event": current,
        "qr_code": qr_code_json(db, user, event.id if event is not None else None),
        "requires_event_selection": False,
    }


def login(request, db, email: str, password: str, event_id=None) -> dict:
    user = authenticate(db, email, password)
    rows = user_assignments(db, user.id)
    if event_id is not None:
        chosen = [r for r in rows if r[1].id == event_id]
        if not chosen and not user.is_admin:
            raise errors.NotFound("Event not found", field="event_id")
        if chosen:
            rows = chosen
        else:
            return _open(request, db, user, db.get(Event, event_id), "admin", None)
    if len(rows) == 1:
        assignment, event, participant = rows[0]
        return _open(request, db, user, event, assignment.role, participant)
    if not rows:
        # No event yet (a new account, or an admin): tokens without an event.
        return _open(request, db, user, None, "admin" if user.is_admin else None, None)
    return {
        "user": user_json(user),
        "requires_event_selection": True,
        "available_events": [event_with_badge(request, user, e, a.role, p) for a, e, p in rows],
        "temp_token": tokens.select_token(db, request.registry, user, request),
    }


def _open(request, db, user, event, role, participant) -> dict:
    auth_session = tokens.open_session(db, request.registry, user, event.id if event else None, request)
    return login_payload(request, db, user, event, role, participant, auth_session)


def select_event(request, db, user, event_id, current_session_id=None, select_record=None) -> dict:
    """Open (or switch) the caller's session on one of their events.

    ``select_record``: the temporary token's record, used up here (single use);
    ``current_session_id``: the session being switched away from, revoked.
    """
    if select_record is not None:
        tokens.use_select_record(db, select_record)
    row = db.execute(
        sa.select(UserEventAssignment, Event, Participant)
        .join(Event, Event.id == UserEventAssignment.event_id)
        .outerjoin(Participant, sa.and_(Participant.user_id == UserEventAssignment.user_id,
                                        Participant.event_id == UserEventAssignment.event_id))
        .where(UserEventAssignment.user_id == user.id, UserEventAssignment.event_id == event_id,
               UserEventAssignment.is_active.is_(True))
    ).first()
    if row is None:
        event = db.get(Event, event_id) if user.is_admin else None
        if event is None:
            raise errors.NotFound("Event not found or not assigned to you", field="event_id")
        role, participant = "admin", None
    else:
        _, event, participant = row
        role = row[0].role
    if current_session_id is not None:
        tokens.revoke_session(db, current_session_id)
    return _open(request, db, user, event, role, participant)


def my_events(request, db, user) -> list[dict]:
    return [event_with_badge(request, user, e, a.role, p) for a, e, p in user_assignments(db, user.id)]


PROFILE_FIELDS = ("first_name", "last_name", "username", "phone", "organization", "job_title",
                  "profile_photo_url")


def update_profile(db, user, changes: dict) -> User:
    if "username" in changes and changes["username"] != user.username:
        taken = db.scalar(sa.select(User.id).where(User.username == changes["username"], User.id != user.id))
        if taken is not None:
            raise errors.Conflict("This username is taken", field="username")
    for key in PROFILE_FIELDS:
        if key in changes:
            setattr(user, key, changes[key])
    db.flush()
    return user


def change_password(db, user, old_password: str, new_password: str, keep_session=None) -> None:
    if not passwords.verify_password(user.password_hash, old_password):
        raise errors.Invalid("The current password is wrong", field="old_password")
    set_password(db, user, new_password, keep_session=keep_session)


def set_password(db, user, new_password: str, keep_session=None) -> None:
    """Set a new password and end every other way into the account.

    Every auth session (API logins, temporary select-event tokens) is revoked except
    ``keep_session``; ``token_version`` is bumped, which also ends the web pages' cookie
    sessions (they carry it) and every token already issued, the kept session's included
    (the caller gets a fresh pair: :func:`reissue_tokens`); every outstanding password-reset
    code of the user stops working.
    """
    user.password_hash = passwords.hash_password(new_password)
    tokens.revoke_all(db, user.id, except_session=keep_session)
    user.token_version += 1
    db.execute(sa.update(PasswordResetToken)
               .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
               .values(used_at=utcnow()).execution_options(synchronize_session=False))
    db.flush()


def reissue_tokens(request, db, user, session_id) -> dict:
    """A fresh token pair for a session that outlives a password change (new refresh id)."""
    auth_session = db.get(AuthSession, session_id) if session_id is not None else None
    if auth_session is None or auth_session.revoked_at is not None:
        return {}
    auth_session.refresh_jti = secrets.token_hex(16)
    auth_session.refreshed_at = utcnow()
    db.flush()
    return tokens.token_pair(request.registry, user, auth_session)


def delete_account(db, user, password: str) -> None:
    if not passwords.verify_password(user.password_hash, password):
        raise errors.Invalid("The password is wrong", field="password")
    db.delete(user)
    db.flush()


# --------------------------------------------------------------------------- password reset


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def request_password_reset(db, email: str) -> tuple[User, str] | None:
    """Create a reset code for an active account; ``None`` for unknown e-mails.

    The caller answers the same way in both cases (no account enumeration).
    """
    user = db.scalar(sa.select(User).where(User.email == normalize_email(email), User.is_active.is_(True)))
    if user is None:
        return None
    code = secrets.token_urlsafe(32)
    db.add(PasswordResetToken(user_id=user.id, token_hash=_hash_code(code), expires_at=utcnow() + RESET_TTL))
    db.flush()
    return user, code


def confirm_password_reset(db, code: str, new_password: str) -> User:
    row = db.scalar(sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash_code(code or ""))
                    .with_for_update())
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise errors.Invalid("This reset link is invalid or has expired", field="token")
    user = db.get(User, row.user_id)
    row.used_at = utcnow()
    set_password(db, user, new_password)  # also uses up the user's other codes
    return user


# --------------------------------------------------------------------------- export


def export_user_data(request, db, ident, plugin_sections: list[dict]) -> dict:
    user = ident.user
    rows = user_assignments(db, user.id)
    participant_ids = [p.id for _, _, p in rows if p is not None]
    accesses = db.scalars(sa.select(RoomAccess).where(RoomAccess.user_id == user.id)
                          .order_by(RoomAccess.access_time)).all()
    session_access = db.scalars(sa.select(SessionAccess).where(SessionAccess.participant_id.in_(participant_ids))
                                ).all() if participant_ids else []
    data = {
        "exported_at": utcnow(),
        "user": {**user_json(user), "badge_id": user.badge_id, "last_login_at": user.last_login_at},
        "events": [{"event_id": str(e.id), "event_name": e.name, "role": a.role, "is_active": a.is_active,
                    "assigned_at": a.assigned_at,
                    "participant": None if p is None else {
                        "id": str(p.id), "badge_number": p.badge_number, "is_checked_in": p.is_checked_in,
                        "checked_in_at": p.checked_in_at, "registration_date": p.registration_date}}
                   for a, e, p in rows],
        "room_accesses": [{"id": str(r.id), "event_id": str(r.event_id) if r.event_id else None,
                           "room_id": str(r.room_id) if r.room_id else None, "status": r.status,
                           "reason": r.reason, "access_time": r.access_time} for r in accesses],
        "session_access": [{"session_id": str(s.session_id), "payment_status": s.payment_status,
                            "has_access": s.has_access, "amount_paid": str(s.amount_paid),
                            "paid_at": s.paid_at} for s in session_access],
    }
    for section in plugin_sections:
        if section:
            data.update(section)
    return data


def parse_event_id(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise errors.Invalid("event_id: not a valid id", field="event_id") from None
