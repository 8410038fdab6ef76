"""JSON for files stored under the storage root."""
from __future__ import annotations


def file_url(request, path: str | None) -> str | None:
    """The absolute URL of a stored file (``None`` when there is none)."""
    if not path:
        return None
    if path.startswith(("http://", "https://")):
        return path
    base = request.application_url if request is not None else ""
    return f"{base}/media/{path.lstrip('/')}"


def serialize_events(request, events, roles: dict | None = None) -> list[dict]:
    """Events as JSON (a page at a time): the login's event JSON plus every field,
    the caller's role and the auto-calculated totals, in a fixed number of queries.

    ``roles``: ``{event_id: role}`` when the caller already knows them.
    """
    from ..auth.services import event_json
    from . import services

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
    request.plugins.hook.makeplus_extend_json(kind="event", objects=events, payloads=out,
                                                                 request=request)
    return out
