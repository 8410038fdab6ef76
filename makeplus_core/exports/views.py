"""REST: ``/api/exports/`` — large exports built by a background job.

``POST /api/exports/ {"kind": "participants"}`` → 202 with the export (``status``
``pending``); ``GET /api/exports/{id}/`` → its status (``pending``, ``running``,
``done`` with ``download_url``, ``failed`` with ``error``);
``GET /api/exports/{id}/download/`` → the .xlsx file. Gestionnaires of the event
(and platform admins) only; another event's export is a 404.
"""
from __future__ import annotations

from pyramid.response import FileIter, Response

from .. import api, errors
from ..xlsx import MIME
from . import schemas, services
from .serializers import serialize_export

MAX_PENDING = 5


def _scope(request):
    event_id = api.require_event(request)
    api.require_gestionnaire(request, event_id=event_id)
    return api.identity(request), event_id


exports = api.service("exports", "/api/exports/", "Request a large export, built in the background")


@exports.post(schema=api.doc(schemas.ExportRequestSchema))
def request_view(request):
    ident, event_id = _scope(request)
    data = api.validate(schemas.ExportRequestSchema(), api.json_body(request))
    if services.pending_count(request.dbsession, event_id) >= MAX_PENDING:
        raise errors.Conflict(f"{MAX_PENDING} exports of this event are already being built; retry later")
    exp = services.request_export(request, request.dbsession, event_id, ident.user_id, data["kind"])
    request.response.status = 202
    request.response.headers["Location"] = request.route_url("export", id=exp.id)
    return serialize_export(request, exp)


export = api.service("export", f"/api/exports/{api.UUID_ID}/", "An export's status")


@export.get()
def status_view(request):
    _, event_id = _scope(request)
    return serialize_export(request, services.get_export(request.dbsession, request.matchdict["id"], event_id))


download = api.service("export-download", f"/api/exports/{api.UUID_ID}/download/", "Download a finished export")


@download.get()
def download_view(request):
    _, event_id = _scope(request)
    exp = services.get_export(request.dbsession, request.matchdict["id"], event_id)
    path = services.file_path(request.registry.settings, exp) if exp.status == "done" else None
    if path is None or not path.is_file():
        raise errors.Conflict(f"The export is {exp.status}, not ready for download")
    resp = Response(content_type=MIME, app_iter=FileIter(open(path, "rb")))
    resp.content_length = path.stat().st_size
    resp.content_disposition = f'attachment; filename="{services.download_name(exp)}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def includeme(config):
    config.scan(__name__)
