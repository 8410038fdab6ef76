"""JSON of an export: its status, and its download URL once done."""
from __future__ import annotations

from .. import api
from .models import ExportJob


def serialize_export(request, exp: ExportJob) -> dict:
    out = {"id": str(exp.id), "kind": exp.kind, "status": exp.status, "created_at": api.isoformat(exp.created_at),
           "finished_at": api.isoformat(exp.finished_at), "size": exp.size, "error": exp.error,
           "url": request.route_url("export", id=exp.id), "download_url": None}
    if exp.status == "done":
        out["download_url"] = request.route_url("export-download", id=exp.id)
    return out
