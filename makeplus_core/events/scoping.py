"""Which event a request about rooms, sessions… works in (the token's, or any for platform admins)."""
from __future__ import annotations

from .. import api, errors
from .models import Event


def scoped_event(request, value=None):
    """The event a room/session request works in.

    ``value`` is the body's ``event`` (optional): it must be the token's event (else
    404), except for platform admins, who may name any existing event.
    """
    ident = api.identity(request)
    if value in (None, ""):
        return api.require_event(request)
    eid = api.parse_uuid(value, "event")
    if ident.is_admin:
        if request.dbsession.get(Event, eid) is None:
            raise errors.NotFound("Event not found", field="event")
        return eid
    if eid != ident.event_id:
        raise errors.NotFound("Event not found", field="event")
    return eid


def object_scope(request):
    """The event scope for ``/{id}/`` lookups: None (any event) for platform admins."""
    ident = api.identity(request)
    return None if ident.is_admin else api.require_event(request)
