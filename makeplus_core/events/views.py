"""REST: /api/events/ (seed "Event Management Endpoints" + uploads and statistics).

Unlike the other lists, /api/events/ is not limited to the token's event: a user
lists every event they hold an active assignment in (platform admins: all).
An event the caller is not assigned to is a 404; writes need the event's
gestionnaire des salles (or a platform admin), else 403.
"""
from __future__ import annotations

from .. import api, errors
from ..modules import validate as validate_modules
from ..storage import save_pdf_upload
from . import archive, schemas, services
from .serializers import serialize_events

ID = api.UUID_ID


def _input(request, partial: bool) -> dict:
    raw = schemas.drop_nulls(api.json_body(request))
    for key in ("logo", "banner"):  # an image given as a URL text rather than a file
        if isinstance(raw.get(key), str):
            raw.setdefault(f"{key}_url", raw.pop(key))
    for key in ("programme_file", "guide_file", "id", "created_by", "created_at", "updated_at"):
        raw.pop(key, None)
    data = api.validate(schemas.EventSchema(), raw, partial=partial)
    if "modules" in data:

        data["modules"] = validate_modules(request.registry, data["modules"])
    if isinstance(data.get("settings"), dict) and "modules" in data["settings"]:

        data["settings"]["modules"] = validate_modules(request.registry, data["settings"]["modules"])
    data["_files"] = services.read_files(request)
    return data


def _event(request, write: bool = False):
    """The event of the path and the caller's role in it (404 for a non-member; 403 for a
    write by someone who does not manage it)."""
    ident = api.identity(request)
    return services.get_for_user(request.dbsession, request.matchdict["id"], ident.user_id, ident.is_admin,
                                 write=write)


def _one(request, obj, role=None):
    roles = {obj.id: role} if role else None
    return serialize_events(request, [obj], roles)[0]


events = api.service("events", "/api/events/", "My events (all for platform admins); create an event")


@events.get(schema=api.doc(querystring=schemas.EventQuery))
def list_events(request):
    ident = api.identity(request)
    q = api.validate(schemas.EventQuery(), dict(request.GET), partial=True)
    stmt = services.list_query(ident.user_id, ident.is_admin, status=q.get("status"),
                               is_active=q.get("is_active"), search=q.get("search"),
                               archived=bool(q.get("archived")))
    return api.paginate(request, stmt, lambda rows: serialize_events(request, rows))


@events.post(schema=api.doc(schemas.EventSchema))
def create_event(request):
    ident = api.identity(request)
    db = request.dbsession
    if not (ident.is_gestionnaire or services.is_gestionnaire_anywhere(db, ident.user_id)):
        raise errors.Forbidden("Only platform admins and gestionnaires des salles can create events")
    obj = services.create(db, _input(request, partial=False), ident.user_id, ident.is_admin)
    request.response.status = 201
    return _one(request, obj)


event = api.service("event", f"/api/events/{ID}/", "One event")


@event.get()
def get_event(request):
    obj, role = _event(request)
    return _one(request, obj, role)


@event.put(schema=api.doc(schemas.EventSchema))
@event.patch(schema=api.doc(schemas.EventSchema))
def update_event(request):
    obj, role = _event(request, write=True)
    services.update(request.dbsession, obj, _input(request, partial=request.method == "PATCH"))
    return _one(request, obj, role)


@event.delete()
def delete_event(request):
    obj, _ = _event(request, write=True)
    services.delete(request.dbsession, obj, request.plugins)
    return api.no_content()


archive_service = api.service("event-archive", f"/api/events/{ID}/archive/",
                              "Archive the event: read-only and hidden from lists, nothing deleted")


@archive_service.post()
def archive_event(request):
    ident = api.identity(request)
    obj, role = _event(request, write=True)
    archive.archive(request.dbsession, obj, ident.user_id)
    return _one(request, obj, role)


restore_service = api.service("event-restore", f"/api/events/{ID}/restore/",
                              "Restore an archived event (platform admins)")


@restore_service.post()
def restore_event(request):
    ident = api.identity(request)
    obj, role = _event(request)
    if not ident.is_admin:
        raise errors.Forbidden("Only platform admins can restore an archived event")
    archive.restore(request.dbsession, obj)
    return _one(request, obj, role)


statistics = api.service("event-statistics", f"/api/events/{ID}/statistics/", "Figures of an event")


@statistics.get()
def event_statistics(request):
    ident = api.identity(request)
    obj, role = _event(request)
    role = "admin" if ident.is_admin else role  # a platform admin sees every figure
    return services.statistics(request.dbsession, obj, request.plugins, role=role)


def _upload(request, field: str):
    obj, role = _event(request, write=True)
    name = field if field in request.POST else "file"
    path = save_pdf_upload(request, name, services.FILE_FOLDERS[field])
    services.update(request.dbsession, obj, {"_files": {field: path}})
    data = _one(request, obj, role)
    data["message"] = "File uploaded"
    return data


upload_programme = api.service("event-upload-programme", f"/api/events/{ID}/upload_programme/",
                               "Upload the programme PDF (multipart field file or programme_file)")


@upload_programme.post()
def upload_programme_view(request):
    return _upload(request, "programme_file")


upload_guide = api.service("event-upload-guide", f"/api/events/{ID}/upload_guide/",
                           "Upload the participant guide PDF (multipart field file or guide_file)")


@upload_guide.post()
def upload_guide_view(request):
    return _upload(request, "guide_file")


def includeme(config):
    archive.install(config.registry.makeplus.dbsession_factory)
    config.scan(__name__)
