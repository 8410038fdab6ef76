"""REST: /api/exposant-scans/ (seed "Exposant Scan Endpoints", CLIENT_CONTRACT §Exposant),
/api/exposants/ (the event's exhibitors and their booth plans) and the booth-plan upload
at the app's path /api/participants/{id}/upload_plan/."""
from __future__ import annotations

from makeplus_core.plugin_api import (
    EXPOSANT,
    GESTIONNAIRE,
    api,
    errors,
    icontains,
    participant_serializers,
    participant_services,
    storage,
    xlsx_response,
)
from makeplus_core.plugin_api import (
    access_pipeline as pipeline,
)

from . import export, schemas, services

scans = api.service("exposant_scans", "/api/exposant-scans/", "Leads scanned at exhibitors' booths")
scan_participant = api.service("exposant_scan_participant", "/api/exposant-scans/scan_participant/",
                               "The app's lead scan: {qr_data, event_id, notes}")
pipeline.door_services(scans, scan_participant)  # the lead scan is a door: pipeline.handle applies the key


def _scope(request):
    ident = api.identity(request)
    event_id = api.require_event(request)
    role = "admin" if ident.is_admin else api.role_in_event(request, event_id)
    return ident, event_id, role


def _reader(request):
    """(event_id, exposant filter): an exposant reads only their own leads, a
    gestionnaire (or admin) all of the event's; anyone else 403."""
    ident, event_id, role = _scope(request)
    if role in (GESTIONNAIRE, "admin"):
        return event_id, None, role
    if role == EXPOSANT:
        me = services.own_participant(request.dbsession, ident.user_id, event_id)
        if me is not None:
            return event_id, me.id, role
    raise errors.Forbidden("Only the event's exposants and gestionnaires can read booth scans")


def _body_event(request, body, event_id):
    raw = body.get("event_id") or body.get("event")
    if raw not in (None, ""):
        if isinstance(raw, dict):
            raw = raw.get("id")
        if api.parse_uuid(raw, "event_id") != event_id:
            raise errors.NotFound("Event not found", field="event_id")


def _record(request, body: dict) -> pipeline.Answer:
    ident, event_id, role = _scope(request)
    _body_event(request, body, event_id)
    if role != EXPOSANT:
        raise errors.Forbidden("Only exposants of the event can record booth scans")
    db = request.dbsession
    me = services.own_participant(db, ident.user_id, event_id)
    if me is None:
        raise errors.Forbidden("Only exposants of the event can record booth scans")
    claimed = body.get("exposant") or body.get("exposant_id")
    if claimed not in (None, "") and str(claimed) != str(me.id):
        raise errors.Forbidden("You can only record scans at your own booth", field="exposant")
    data = api.validate(schemas.ScanSchema(), {k: v for k, v in body.items()
                                               if k in ("qr_data", "scanned_participant", "notes") and v is not None})
    if data.get("qr_data"):
        holder = pipeline.identify_badge(db, request.registry, data["qr_data"], event_id)
        visitor = holder.participant
        if visitor is None:
            raise errors.Invalid("This badge holder is staff, not a visitor of the event", field="qr_data",
                                 reason="not_a_participant")
    elif data.get("scanned_participant"):
        visitor = services.visitor_by_id(db, data["scanned_participant"], event_id)
    else:
        raise errors.Invalid("qr_data: required (or scanned_participant)", field="qr_data")
    lead, outcome = services.record_scan(db, event_id, me, visitor, data.get("notes", ""),
                                         services.rescan_window(request.registry.settings))
    payload = services.serialize(request, [lead])[0]
    body_out = {**payload, "scan": dict(payload), "outcome": outcome, "created": outcome == "new_lead",
                "counted": outcome != "merged"}
    return pipeline.Answer(201 if outcome == "new_lead" else 200, body_out)


def _create(request):
    body = api.json_body(request)
    if "scanned_participant" not in body:
        for alias in ("scanned_participant_id", "participant_id", "participant"):
            if body.get(alias) not in (None, ""):
                body["scanned_participant"] = body[alias]
                break
    if isinstance(body.get("scanned_participant"), dict):
        body["scanned_participant"] = body["scanned_participant"].get("id")
    if body.get("qr_data") is not None and not isinstance(body["qr_data"], str):
        if isinstance(body["qr_data"], dict):
            import json

            body["qr_data"] = json.dumps(body["qr_data"])
        else:
            raise errors.Invalid("qr_data: must be a string", field="qr_data")
    return pipeline.handle(request, BoothDoor(), body)


class BoothDoor:
    """The exposant's lead scan as a door of the core's scan pipeline (``pipeline.handle``):
    the booth's lead is recorded once per key; nothing is written for a refused scan."""

    records_denials = False

    def scope(self, request, body) -> str:
        _scope(request)  # 401/404 before touching the idempotency store
        return "exposant-scan"

    def run(self, request, body, key) -> pipeline.Answer:
        return _record(request, body)


@scans.get(schema=api.doc(querystring=schemas.ScanQuery))
def list_scans(request):
    event_id, mine, role = _reader(request)
    asked = api.param(request, "exposant", "exposant_id")
    exposant_id = api.parse_uuid(asked, "exposant_id") if asked else None
    if mine is not None:
        if exposant_id is not None and exposant_id != mine:
            raise errors.NotFound("Exposant not found", field="exposant_id")
        exposant_id = mine
    stmt = services.list_query(event_id, exposant_id, search=api.param(request, "search", "q"))
    return api.paginate(request, stmt, lambda rows: services.serialize(request, rows))


@scans.post(schema=api.doc(schemas.ScanSchema))
def create_scan(request):
    return _create(request)


@scan_participant.post(schema=api.doc(schemas.ScanSchema))
def scan_participant_view(request):
    return _create(request)


scan = api.service("exposant_scan", f"/api/exposant-scans/{api.UUID_ID}/", "One lead")


@scan.get()
def get_scan(request):
    event_id, mine, role = _reader(request)
    lead = services.get_visible(request.dbsession, request.matchdict["id"], event_id, mine)
    return services.serialize(request, [lead])[0]


@scan.patch(schema=api.doc(schemas.NotesSchema))
@scan.put(schema=api.doc(schemas.NotesSchema))
def update_scan(request):
    event_id, mine, role = _reader(request)
    lead = services.get_visible(request.dbsession, request.matchdict["id"], event_id, mine)
    if mine is None:
        raise errors.Forbidden("Only the exposant who scanned this visitor can edit the notes")
    raw = api.json_body(request)
    data = api.validate(schemas.NotesSchema(), {"notes": raw.get("notes")} if "notes" in raw else {})
    services.update_notes(request.dbsession, lead, data["notes"])
    return services.serialize(request, [lead])[0]


my_scans = api.service("exposant_my_scans", "/api/exposant-scans/my_scans/",
                       "My leads with visit figures (exposant)")


@my_scans.get()
def my_scans_view(request):
    ident, event_id, role = _scope(request)
    me = services.own_participant(request.dbsession, ident.user_id, event_id) if role == EXPOSANT else None
    if me is None:
        raise errors.Forbidden("Only exposants have booth scans")
    db = request.dbsession
    total, today = services.visit_counts(db, event_id, me.id, services.today_start(db, event_id))
    leads = db.scalars(services.list_query(event_id, me.id)).all()
    return {"total_visits": total, "today_visits": today, "unique_visitors": len(leads),
            "scans": services.serialize(request, leads)}


def _export(request):
    event_id, mine, role = _reader(request)
    name = "leads" if mine is not None else "leads-all-booths"
    resp = xlsx_response(f"{name}-{event_id}.xlsx", [export.leads_sheet(request.dbsession, event_id, mine)])
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


export_scans = api.service("exposant_scans_export", "/api/exposant-scans/export/", "Leads as .xlsx")


export_excel = api.service("exposant_scans_export_excel", "/api/exposant-scans/export_excel/",
                           "Leads as .xlsx (the app's path)")


@export_excel.get()
@export_scans.get()
def export_view(request):
    return _export(request)


# --------------------------------------------------------------------------- exposants directory


def _lead_counts_for(request, event_id, role):
    if role in (GESTIONNAIRE, "admin"):
        return None
    if role == EXPOSANT:
        me = services.own_participant(request.dbsession, request.identity.user_id, event_id)
        return {me.id} if me else set()
    return set()


exposants = api.service("exposants", "/api/exposants/", "The event's exhibitors with their booth plans")


@exposants.get()
def list_exposants(request):
    ident, event_id, role = _scope(request)
    if role is None:
        raise errors.Forbidden("You are not a member of this event")
    stmt = services.exposants_query(event_id)
    search = api.param(request, "search", "q")
    if search:
        from makeplus_core.plugin_api import User

        stmt = stmt.where(icontains(search, User.first_name, User.last_name, User.organization))
    counts_for = _lead_counts_for(request, event_id, role)
    return api.paginate(request, stmt, lambda rows: services.serialize_exposants(request, rows, counts_for))


exposant_plan = api.service("exposant_plan", f"/api/exposants/{api.UUID_ID}/plan/", "An exhibitor's booth plan")


@exposant_plan.get()
def exposant_plan_view(request):
    ident, event_id, role = _scope(request)
    if role is None:
        raise errors.Forbidden("You are not a member of this event")
    p = services.get_exposant(request.dbsession, request.matchdict["id"], event_id)
    item = services.serialize_exposants(request, [p], _lead_counts_for(request, event_id, role))[0]
    if not item["plan_file"]:
        raise errors.NotFound("This exposant has no booth plan yet", field="plan_file")
    if api.parse_bool(request.GET.get("redirect"), "redirect"):
        from pyramid.httpexceptions import HTTPFound

        return HTTPFound(location=item["plan_file"])
    return item


upload_plan = api.service("exposant_upload_plan", f"/api/participants/{api.UUID_ID}/upload_plan/",
                          "Upload an exposant's booth plan (PDF, multipart field plan_file or file)")


# --------------------------------------------------------------------------- booth plan upload


@upload_plan.post()
def upload_plan_view(request):
    """A gestionnaire (or admin) for any badge holder of the event, or the exposant on their
    own row; the row must be visible to the caller (another event's, or someone else's for a
    participant or exposant: 404). Answers the participant's JSON, ``plan_file`` included."""
    ident, event_id, role = _scope(request)
    own = participant_services.visible_owner(ident, role)
    db = request.dbsession
    obj = participant_services.get_visible(db, request.matchdict["id"], event_id, own)
    if role not in ("admin", GESTIONNAIRE) and not (role == EXPOSANT and obj.user_id == ident.user_id):
        raise errors.Forbidden("Only a gestionnaire or the exposant may upload a booth plan")
    field = "plan_file" if "plan_file" in request.POST else "file"
    services.set_plan(db, obj, storage.save_pdf_upload(request, field, "plans"), ident.user_id)
    return participant_serializers.serialize(request, [obj])[0]
