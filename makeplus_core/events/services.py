"""Event domain functions shared by the API, the pages and the demo data."""
from __future__ import annotations

import sqlalchemy as sa

from .. import errors
from ..participants.services import ensure_participant
from ..roles import BADGE_ROLES, ROLES
from .models import Event, UserEventAssignment


def assign_role(db, user_id: int, event: Event, role: str, assigned_by_id: int | None = None,
                is_active: bool = True) -> UserEventAssignment:
    """Give ``user_id`` its one role in ``event`` (creating or updating the assignment).

    Badge holders (participant, exposant) also get their Participant row.
    """
    if role not in ROLES:
        raise errors.Invalid(f"role: must be one of {', '.join(ROLES)}", field="role")
    assignment = db.scalar(sa.select(UserEventAssignment).where(UserEventAssignment.user_id == user_id,
                                                                UserEventAssignment.event_id == event.id))
    if assignment is None:
        assignment = UserEventAssignment(user_id=user_id, event_id=event.id, role=role,
                                         assigned_by_id=assigned_by_id, is_active=is_active)
        db.add(assignment)
    else:
        assignment.role = role
        assignment.is_active = is_active
    db.flush()
    if role in BADGE_ROLES:
        ensure_participant(db, event, user_id)
    return assignment
