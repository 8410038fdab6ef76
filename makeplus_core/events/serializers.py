"""Events as JSON: the login's short form (:func:`event_json`) and the full one of /api/events/."""
from __future__ import annotations

from ..access.badge_policy import plain_ids_allowed
from ..modules import event_modules
from ..storage import file_url
from . import services


def event_json(request, event, role=None) -> dict:
    """The event as the login and the app read it (``role``: the caller's role in it)."""
    return {
        "id": str(event.id),
        "name": event.name,
        "description": event.description,
        "location": event.location,
        "location_details": event.location_details,
        "start_date": event.start_date,
        "end_date": event.end_date,
        "status": event.status,
        "is_active": event.is_active,
        "role": role,
        "logo": file_url(request, event.logo),
        "banner": file_url(request, event.banner),
        "logo_url": file_url(request, event.logo),
        "banner_url": file_url(request, event.banner),
        "primary_color": event.primary_color,
        "programme_file": file_url(request, event.programme_file),
        "guide_file": file_url(request, event.guide_file),
        "modules": event_modules(request.registry, event) if request is not None else [],
        "accept_plain_user_id": plain_ids_allowed(request.registry.settings if request is not None else {},
                                                  event.settings),
    }


def serialize_events(request, events, roles: dict | None = None) -> list[dict]:
    """Events as JSON (a page at a time): the login's event JSON plus every field,
    the caller's role and the auto-calculated totals, in a fixed number of queries.

    ``roles``: ``{event_id: role}`` when the caller already knows them.
    """
    events = list(events)
    db = request.dbsession
    ids = [e.id for e in events]
    ident = request.identity
    if roles is None:
        roles = services.role_of(db, ident.user_id, ids) if ident is not None else {}
    totals = services.totals(db, ids)
    out = []
    for e in events:
        role = roles.get(e.id) or ("admin" if ident is not None and ident.is_admin else None)
        data = event_json(request, e, role)
        data.update({
            "timezone": e.timezone,
            "themes": e.themes or [],
            "settings": e.settings or {},
            "metadata": e.meta or {},
            "organizer_name": e.organizer_name,
            "organizer_email": e.organizer_email,
            "organizer_phone": e.organizer_phone,
            "president": e.president_id,
            "created_by": e.created_by_id,
            "created_at": e.created_at,
            "updated_at": e.updated_at,
            "is_archived": e.archived_at is not None,
            "archived_at": e.archived_at,
            **totals[e.id],
        })
        out.append(data)
    request.plugins.hook.makeplus_extend_json(kind="event", objects=events, payloads=out, request=request)
    return out
