"""REST: GET /api/reports/events/ and /api/reports/sessions/ (JSON, or ?format=xlsx)."""
from __future__ import annotations

from .. import api, errors
from ..xlsx import xlsx_response
from . import services
from .serializers import report_json


def _format(request) -> str:
    fmt = (request.GET.get("format") or "json").lower()
    if fmt not in ("json", "xlsx"):
        raise errors.Invalid("format: json or xlsx", field="format")
    return fmt


event_reports = api.service("reports-events", "/api/reports/events/",
                            "Per event I manage: sessions, participants, scans, revenue")


@event_reports.get()
def events_report(request):
    ident = api.identity(request)
    fmt = _format(request)
    stmt = services.managed_events_query(ident.user_id, ident.is_admin)
    db = request.dbsession
    if not ident.is_admin and not services.manages_any(db, stmt):
        raise errors.Forbidden("You do not manage any event")
    if fmt == "xlsx":
        return xlsx_response("events-report.xlsx", [services.events_sheet(db, db.scalars(stmt).all())])
    return api.paginate(request, stmt, lambda events: report_json(services.event_rows(db, events)))


session_reports = api.service("reports-sessions", "/api/reports/sessions/",
                              "Per session of my event: attendance, capacity, ateliers, revenue")


@session_reports.get()
def sessions_report(request):
    event_id = api.require_event(request)
    api.require_gestionnaire(request, event_id=event_id)
    fmt = _format(request)
    db = request.dbsession
    stmt = services.sessions_query(event_id)
    if fmt == "xlsx":
        return xlsx_response("sessions-report.xlsx", [services.sessions_sheet(db, event_id)])
    return api.paginate(request, stmt, lambda sessions: report_json(services.session_rows(db, sessions)))
