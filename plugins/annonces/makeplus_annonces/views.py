"""REST: /api/annonces/ (seed "Annonce Endpoints"; the app lists without an event)."""
from __future__ import annotations

from makeplus_core.plugin_api import api

from . import schemas, services


def _scope(request):
    ident = api.identity(request)
    event_id = api.require_event(request)
    role = api.role_in_event(request, event_id)
    return ident, event_id, role


annonces = api.service("annonces", "/api/annonces/", "Announcements of my event, filtered by my role")


@annonces.get(schema=api.doc(querystring=schemas.AnnonceQuery))
def list_annonces(request):
    ident, event_id, role = _scope(request)
    q = api.validate(schemas.AnnonceQuery(), dict(request.GET), partial=True)
    stmt = services.list_query(event_id, role, ident.is_admin, target=q.get("target"),
                               created_by=q.get("created_by"), search=q.get("search"))
    return api.paginate(request, stmt, lambda rows: services.serialize(request.dbsession, rows))


@annonces.post(schema=api.doc(schemas.AnnonceSchema))
def create_annonce(request):
    ident, event_id, role = _scope(request)
    data = api.validate(schemas.AnnonceSchema(), api.json_body(request))
    if data.get("event") and api.parse_uuid(data["event"], "event") != event_id:
        if not ident.is_admin:
            raise api.errors.NotFound("Event not found", field="event")
        event_id = api.parse_uuid(data["event"], "event")
    if role is None and not ident.is_admin:
        raise api.errors.Forbidden("You are not a member of this event")
    obj = services.create(request.dbsession, event_id, ident.user_id, data)
    request.response.status = 201
    return services.serialize(request.dbsession, [obj])[0]


annonce = api.service("annonce", "/api/annonces/{id}/", "One announcement")


@annonce.get()
def get_annonce(request):
    ident, event_id, role = _scope(request)
    obj = services.get_visible(request.dbsession, request.matchdict["id"], event_id, role, ident.is_admin)
    return services.serialize(request.dbsession, [obj])[0]


@annonce.patch(schema=api.doc(schemas.AnnonceSchema))
@annonce.put(schema=api.doc(schemas.AnnonceSchema))
def update_annonce(request):
    ident, event_id, role = _scope(request)
    obj = services.get_visible(request.dbsession, request.matchdict["id"], event_id, role, ident.is_admin)
    services.check_can_edit(obj, ident.user_id, role, ident.is_admin)
    raw = api.json_body(request)
    raw.pop("event", None)
    data = api.validate(schemas.AnnonceSchema(), raw, partial=request.method == "PATCH")
    services.update(request.dbsession, obj, data)
    return services.serialize(request.dbsession, [obj])[0]


@annonce.delete()
def delete_annonce(request):
    ident, event_id, role = _scope(request)
    obj = services.get_visible(request.dbsession, request.matchdict["id"], event_id, role, ident.is_admin)
    services.check_can_edit(obj, ident.user_id, role, ident.is_admin)
    request.dbsession.delete(obj)
    return api.no_content()
