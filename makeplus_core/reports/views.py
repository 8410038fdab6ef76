"""REST: GET /api/reports/events/ and /api/reports/sessions/ (JSON, or ?format=xlsx)."""
from __future__ import annotations

from .. import api, errors
from . import services
from ..xlsx import xlsx_response

event_reports = api.service("reports-events", "/api/reports/events/",
                            "Per event I manage: sessions, participants, scans, revenue")
session_reports = api.service("reports-sessions", "/api/reports/sessions/",
                              "Per session of my event: attendance, capacity, ateliers, revenue")


def _format(request) -> str:
    fmt = (request.GET.get("format") or "json").lower()
    if fmt not in ("json", "xlsx"):
        raise errors.Invalid("format: json or xlsx", field="format")
    return fmt


def _api_money(rows):
    for row in rows:
        row["revenue"] = api.money(row["revenue"])
    return rows


@event_reports.get()
def events_report(request):
    ident = api.identity(request)
    fmt = _format(request)
    stmt = services.managed_events_query(ident.user_id, ident.is_admin)
    db = request.dbsession
    if not ident.is_admin and db.scalar(sa_exists(stmt)) is False:
        raise errors.Forbidden("You do not manage any event")
    if fmt == "xlsx":
        return xlsx_response("events-report.xlsx", [services.events_sheet(db, db.scalars(stmt).all())])
    return api.paginate(request, stmt, lambda events: _api_money(services.event_rows(db, events)))


def sa_exists(stmt):
    import sqlalchemy as sa

    return sa.select(sa.exists(stmt.order_by(None)))


@session_reports.get()
def sessions_report(request):
    event_id = api.require_event(request)
    api.require_gestionnaire(request, event_id=event_id)
    fmt = _format(request)
    db = request.dbsession
    stmt = services.sessions_query(event_id)
    if fmt == "xlsx":
        return xlsx_response("sessions-report.xlsx", [services.sessions_sheet(db, event_id)])
    return api.paginate(request, stmt, lambda sessions: _api_money(services.session_rows(db, sessions)))
