"""REST: GET /api/search/?q=&type=&page= (global search inside my event)."""
from __future__ import annotations

from urllib.parse import urlencode

from .. import api
from ..roles import GESTIONNAIRE
from . import services
from .schemas import SearchQuery


def _url(request, page):
    query = dict(request.GET)
    query["page"] = page
    return f"{request.path_url}?{urlencode(query)}"


search = api.service("search", "/api/search/", "Search my event: sessions, rooms, participants (staff), "
                     "and the kinds enabled plugins add")


@search.get(schema=api.doc(querystring=SearchQuery))
def search_view(request):
    ident = api.identity(request)
    event_id = api.require_event(request)
    role = api.role_in_event(request, event_id)
    if ident.is_admin:
        role = role or "admin"
    elif role is None:
        raise api.errors.Forbidden("You are not a member of this event")
    page, size = api.page_params(request)
    types = {t.strip() for t in (api.param(request, "type", "types") or "").split(",") if t.strip()}
    total, results = services.search(
        request.dbsession, request.plugins, event_id, api.param(request, "q", "search"),
        role=role, user_id=ident.user_id, is_staff=ident.is_admin or role == GESTIONNAIRE,
        types=types, limit=page * size)
    start = (page - 1) * size
    return {
        "query": request.GET.get("q") or request.GET.get("search"),
        "count": total,
        "next": _url(request, page + 1) if page * size < total else None,
        "previous": _url(request, page - 1) if page > 1 else None,
        "results": results[start:start + size],
    }
