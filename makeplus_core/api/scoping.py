"""Who calls and where: the caller's identity, the event a request works in, roles in it,
and ids resolved inside that event (another event's objects are a 404).
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from .. import errors
from ..events.models import UserEventAssignment
from ..modules import check_request
from ..roles import GESTIONNAIRE
from ..schema import to_int
from .inputs import param, parse_uuid


def identity(request):
    ident = request.identity
    if ident is None:
        raise errors.NotAuthenticated("Authentication credentials were not provided or are invalid")
    return ident


def require_event(request) -> uuid.UUID:
    """The event the request works in: the token's event.

    A platform admin may name another event with ``?event=``/``?event_id=``. For
    anyone else, naming an event other than the token's is a 404 (another event's
    objects do not exist for them). A plugin's view working in an event that switched
    the plugin off is a 404 too (docs/plugins.md).
    """
    ident = identity(request)
    asked = param(request, "event", "event_id")
    if asked is not None:
        asked = parse_uuid(asked, "event")
        if ident.is_admin:
            check_request(request, asked)
            return asked
        if asked != ident.event_id:
            raise errors.NotFound("Event not found", field="event")
    if ident.event_id is None:
        raise errors.Forbidden("Select an event first (POST /api/auth/select-event/)")
    check_request(request, ident.event_id)
    return ident.event_id


def role_in_event(request, event_id) -> str | None:
    ident = identity(request)
    if event_id == ident.event_id:
        return ident.role
    return request.dbsession.scalar(
        sa.select(UserEventAssignment.role).where(
            UserEventAssignment.user_id == ident.user_id,
            UserEventAssignment.event_id == event_id,
            UserEventAssignment.is_active.is_(True),
        )
    )


def require_role(request, *roles: str, event_id=None) -> str | None:
    """403 unless the caller holds one of ``roles`` in the event (admins always pass)."""
    ident = identity(request)
    if ident.is_admin:
        return "admin"
    role = role_in_event(request, event_id or require_event(request))
    if role not in roles:
        raise errors.Forbidden("You do not have permission to perform this action")
    return role


def require_gestionnaire(request, event_id=None):
    return require_role(request, GESTIONNAIRE, event_id=event_id)


def load_in_scope(request, model, label: str | None = None, write: bool = False):
    """The ``model`` row of the ``{id}`` in the route, inside the caller's event (any event
    for a platform admin), else 404; ``write`` also requires a gestionnaire of its event."""
    scope = None if identity(request).is_admin else require_event(request)
    obj = get_or_404(request.dbsession, model, request.matchdict["id"], scope, label=label)
    if write:
        require_gestionnaire(request, event_id=obj.event_id)
    return obj


def get_as_gestionnaire(request, model, label: str | None = None):
    """The ``model`` row of the ``{id}`` in the route, for a gestionnaire of the caller's
    event (403 otherwise), inside that event (else 404)."""
    event_id = require_event(request)
    require_gestionnaire(request, event_id=event_id)
    return get_or_404(request.dbsession, model, request.matchdict["id"], event_id, label=label)


def get_or_404(db, model, obj_id, event_id=None, label: str | None = None, field: str = "id"):
    """Load ``model`` by id inside ``event_id``; anything else is a 404."""
    label = label or model.__name__
    oid = obj_id
    pk_type = model.__table__.primary_key.columns.values()[0].type
    try:
        if isinstance(pk_type, sa.Uuid):
            oid = uuid.UUID(str(obj_id))
        elif isinstance(pk_type, sa.Integer):
            oid = to_int(obj_id, field, minimum=1)
    except (TypeError, ValueError, errors.Invalid):
        raise errors.NotFound(f"{label} not found", field=field) from None
    obj = db.get(model, oid)
    if obj is None or (event_id is not None and getattr(obj, "event_id", event_id) != event_id):
        raise errors.NotFound(f"{label} not found", field=field)
    return obj
