"""Accounts as JSON: the user, their badge, their events with role and permissions, their QR code."""
from __future__ import annotations

import functools

import sqlalchemy as sa

from ..access.models import SessionAccess
from ..access.paid_items import paid_items
from ..events.models import Event
from ..events.serializers import event_json
from ..extensions import role_permissions
from ..participants.models import Participant
from ..qr.signing import signed_qr_for
from ..roles import CONTROLLEUR, GESTIONNAIRE, PERMISSIONS
from . import badges
from .models import User


def user_json(user) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "organization": user.organization,
        "job_title": user.job_title,
        "profile_photo_url": user.profile_photo_url,
        "is_active": user.is_active,
        "is_staff": user.is_admin,
        "email_verified": user.email_verified_at is not None,
        "date_joined": user.created_at,
    }


def badge_json(user, participant) -> dict:
    return {
        "badge_id": user.badge_id,
        "qr_code_data": badges.qr_payload_string(user),
        "is_checked_in": bool(participant.is_checked_in) if participant else False,
        "checked_in_at": participant.checked_in_at if participant else None,
    }


def event_with_badge(request, user, event, role, participant) -> dict:
    data = event_json(request, event, role)
    data["badge"] = None if role in (CONTROLLEUR, GESTIONNAIRE, "admin") and participant is None \
        else badge_json(user, participant)
    data["permissions"] = role_permissions(request.registry, role, PERMISSIONS.get(role, []))
    return data


def qr_code_json(db, user, event_id=None, ateliers: bool = True, plugins: bool = True) -> dict:
    """The ``qr_code`` object the app renders, with the holder's paid items in the event
    (``ateliers``/``plugins``: see :func:`makeplus_core.access.paid_items.paid_items`)."""
    data = {"user_id": user.id, "badge_id": user.badge_id, "email": user.email,
            "first_name": user.first_name, "last_name": user.last_name, "paid_items": []}
    data["signed_qr"] = signed_qr_for(db, user)  # the signed badge token, alongside the legacy payload
    if event_id is not None:
        data["paid_items"] = paid_items(db, user.id, event_id, ateliers=ateliers, plugins=plugins)
    return data


@functools.cache
def _event_and_participant_statement(gates: tuple | None = None):
    """The token's event and the caller's participant row there, in one statement built once
    per ``gates`` (the plugins' ``makeplus_paid_items_gates``). It also says whether the caller
    has any paid-atelier right and whether a paid-items gate is true for them, as the event
    scanner's holder statement does (``access.pipeline._holder_statement``): the paid-items
    reads that could only find nothing are not run."""
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    stmt = (sa.select(Event, Participant, sa.exists().where(SessionAccess.participant_id == Participant.id))
            .where(Event.id == sa.bindparam("event_id", type_=sa.Uuid))
            .outerjoin(Participant, sa.and_(Participant.event_id == Event.id, Participant.user_id == user_id)))
    if gates:  # a gate may read the holder's columns: the caller's row
        stmt = (stmt.join(User, User.id == user_id)
                .add_columns(*[gate(User, Participant, Event.id) for gate in gates]))
    return stmt


def profile_json(request, db, ident) -> dict:
    """The caller's profile: the account, their role, event and badge in the token's event, their QR code."""
    user = ident.user
    data = user_json(user)
    data["role"] = ident.role
    data["event"] = None
    data["participant"] = None
    if ident.event_id is None:
        data["qr_code"] = qr_code_json(db, user)
    else:
        gates = request.registry.makeplus.paid_items_gates
        row = db.execute(_event_and_participant_statement(gates),
                         {"event_id": ident.event_id, "user_id": user.id}).first()
        event, participant = (row[0], row[1]) if row is not None else (None, None)
        data["qr_code"] = qr_code_json(
            db, user, ident.event_id, ateliers=row is None or bool(row[2]),
            plugins=row is None or gates is None or any(row[3:]))
        data["event"] = event_json(request, event, ident.role) if event else None
        if participant is not None:
            data["participant"] = {
                "id": str(participant.id),
                "badge_id": user.badge_id,
                "badge_number": participant.badge_number,
                "is_checked_in": participant.is_checked_in,
                "checked_in_at": participant.checked_in_at,
                "qr_code_data": {**badges.qr_payload(user), "paid_items": data["qr_code"]["paid_items"]},
            }
    return data
