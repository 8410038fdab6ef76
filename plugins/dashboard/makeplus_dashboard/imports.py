"""Dashboard pages for the organiser's day (issue 18): import participants from a
spreadsheet (upload, column mapping, dry-run report, confirm), export them, and switch the
event's modules on or off. Every step calls the functions the REST API uses
(:mod:`makeplus_core.participants.importer`, :mod:`makeplus_core.modules`,
``participants.export.participants_sheet`` with the API's xlsx writer)."""
from __future__ import annotations

import re

from pyramid.view import view_config

from makeplus_core.plugin_api import (
    errors,
    event_modules,
    event_services,
    invitations,
    participant_importer,
    participants_sheet,
    storage,
    web,
    xlsx_response,
)

importer = participant_importer
read_upload, storage_root = storage.read_upload, storage.storage_root

from .core import event_for, flash, form_error, redirect, render

GET = dict(request_method="GET", permission=web.WEB)
POST = dict(request_method="POST", permission=web.WEB, require_csrf=True)
UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}\.(csv|xlsx)$")


def routes(config, e: str) -> None:
    config.add_route("dashboard.import", f"{e}/participants/import/")
    config.add_route("dashboard.participants_export", f"{e}/participants/export.xlsx")
    config.add_route("dashboard.modules", f"{e}/modules/")


# --------------------------------------------------------------------------- import


def _folder(request, event):
    return f"imports/{event.id}"


def _stored(request, event, name: str) -> bytes:
    """The file uploaded at the first step (kept under the storage root until confirmed)."""
    if not UPLOAD_NAME.match(name or ""):
        raise errors.Invalid("file: upload the file again", field="file")
    path = storage_root(request.registry) / _folder(request, event) / name
    if not path.is_file():
        raise errors.Invalid("file: upload the file again", field="file")
    return path.read_bytes()


def _mapping(request, header) -> dict:
    """``{column: field}`` from the form's ``map-<n>`` selects (absent: recognised names)."""
    out = {}
    for i, column in enumerate(header):
        value = request.POST.get(f"map-{i}")
        if value is not None and column:
            out[column] = value or "ignore"
    return out


def _context(header, plan, columns, name, dry_run=True):
    by_index = columns or {}
    return {"header": list(enumerate(header)), "chosen": by_index, "fields": importer.FIELDS,
            "report": plan.report(dry_run=dry_run) if plan is not None else None, "upload": name}


@view_config(route_name="dashboard.import", **GET)
def import_form(request):
    event = event_for(request)
    return render(request, "import.jinja2", {"header": [], "report": None, "upload": ""}, event=event)


@view_config(route_name="dashboard.import", **POST)
def import_post(request):
    event = event_for(request)
    db = request.dbsession
    name = request.POST.get("upload", "")
    try:
        if hasattr(request.POST.get("file"), "file"):
            data = read_upload(request, "file")
            suffix = ".xlsx" if data.startswith(b"PK\x03\x04") else ".csv"
            importer.read_table(data)  # refuse an unreadable file at once
            name = storage.save_bytes(request.registry, data, _folder(request, event), suffix).rsplit("/", 1)[1]
        else:
            data = _stored(request, event, name)
        header, rows = importer.read_table(data)
        mapping = _mapping(request, header) if request.POST.get("mapped") else None
        columns = importer.resolve_mapping(header, mapping)
        plan = importer.plan(db, event, header, rows, mapping)
        if request.POST.get("action") == "import":
            def enrol(people):
                return [user for user, _, _ in invitations.enrol_many_and_notify(request, people, event)]

            importer.apply(db, event, plan, enrol=enrol, granted_by_id=request.identity.user_id)
            (storage_root(request.registry) / _folder(request, event) / name).unlink(missing_ok=True)
            c = plan.counts
            flash(request, "Import done: ${created} created, ${updated} updated, ${unchanged} unchanged.",
                  created=c["created"], updated=c["updated"], unchanged=c["unchanged"])
            return redirect(request, "dashboard.users", event=event.id)
    except errors.DomainError as exc:
        if isinstance(exc, errors.NotFound) and exc.field is None:
            raise
        ctx = {"header": [], "report": getattr(exc, "extra", {}).get("report"), "upload": name,
               "errors": form_error(exc), "fields": importer.FIELDS, "chosen": {}}
        return render(request, "import.jinja2", ctx, event=event, status=exc.status)
    return render(request, "import.jinja2", _context(header, plan, columns, name), event=event)


# --------------------------------------------------------------------------- export


@view_config(route_name="dashboard.participants_export", **GET)
def participants_export(request):
    event = event_for(request)
    resp = xlsx_response(f"participants-{event.id}.xlsx", [participants_sheet(request.dbsession, event.id)])
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# --------------------------------------------------------------------------- modules


def _modules_ctx(request, event):
    used = set(event_modules.event_modules(request.registry, event))
    return {"modules": [(n, n in used) for n in event_modules.installed_modules(request.registry)]}


@view_config(route_name="dashboard.modules", **GET)
def modules_form(request):
    event = event_for(request)
    return render(request, "modules.jinja2", _modules_ctx(request, event), event=event)


@view_config(route_name="dashboard.modules", **POST)
def modules_post(request):
    event = event_for(request)
    switches = {n: bool(request.POST.get(f"module-{n}"))
                for n in event_modules.installed_modules(request.registry)}
    event_services.update(request.dbsession, event,
                          {"modules": event_modules.validate(request.registry, switches)})
    off = sorted(n for n, on in switches.items() if not on)
    if off:
        flash(request, "Modules saved (off for this event: ${names}).", names=", ".join(off))
    else:
        flash(request, "Modules saved.")
    return redirect(request, "dashboard.modules", event=event.id)
