"""The event page's "Recent activity" panel and the Exports page (issue 18).

Recent activity: the event's latest entries of the audit trail
(``makeplus_core.plugin_api.recent_audit_entries``) of the kinds registered with
``dashboard.add_activity`` — the core's registrations and check-ins here, the plugins'
sales, questions, submissions… from their ``makeplus_dashboard_pages`` hook — merged with the
latest granted door scans (check-ins at the rooms: the scan journal ``room_access`` is the
scan's own record and is kept out of the audit trail on purpose). Each line links to its page.

Exports: one page listing every download of the event; each download is built by the writer
the API uses (participants sheet, scan journal, reports; plugins add theirs with
``dashboard.add_export``)."""
from __future__ import annotations

import sqlalchemy as sa
from pyramid.view import view_config

from makeplus_core.plugin_api import (
    N_,
    Participant,
    Room,
    RoomAccess,
    User,
    errors,
    event_modules,
    events_report_sheet,
    recent_audit_entries,
    scan_journal_sheet,
    sessions_report_sheet,
    translate,
    web,
    xlsx_response,
)

from .core import dashboard_of, event_for, render

GET = dict(request_method="GET", permission=web.WEB)
LIMIT = 10


def routes(config, e: str) -> None:
    config.add_route("dashboard.exports", f"{e}/exports/")
    config.add_route("dashboard.export_file", f"{e}/exports/{{kind:[a-z-]+}}.xlsx")


def _new(entry, key):
    value = (entry.changes or {}).get(key)
    return value[1] if isinstance(value, list) and len(value) == 2 else None


def register_core(dashboard) -> None:
    """The core's kinds of activity (the dashboard's own, as a plugin would register them)."""
    def person(request, event, entry):
        uid = getattr(entry, "_user_id", None) or _new(entry, "user_id")
        if uid is None:
            return None
        return request.route_url("dashboard.user", event=str(event.id), user=str(uid))

    dashboard.add_activity("participants", "Registration", ("create",),
                           describe=lambda e: _new(e, "badge_number") or "", link=person)
    dashboard.add_activity("session_access", "Atelier registration", ("create",),
                           describe=lambda e: _new(e, "payment_status") or "",
                           link=lambda request, event, e: request.route_url("dashboard.sessions", event=str(event.id)))


def _checked_in(entry) -> bool:
    return _new(entry, "is_checked_in") is True


def recent_activity(request, event) -> list[dict]:
    """``[{at, label, text, who, url}]``, newest first, at most :data:`LIMIT` lines."""
    dash = dashboard_of(request)
    db = request.dbsession
    off = event_modules.off_in(event.settings)  # a module switched off for the event shows nothing
    kinds = {t: (a.actions, a.match) for t, a in dash.activities.items() if a.plugin not in off}
    # A participant checked in by staff (API or dashboard) is an update of its row.
    if "participants" in kinds:
        kinds["participants"] = (("create", "update"),
                                 lambda e: e.action == "create" or _checked_in(e))
    entries = recent_audit_entries(db, event.id, kinds, limit=LIMIT)
    scans = db.execute(
        sa.select(RoomAccess.access_time, RoomAccess.user_id, Room.name, User.first_name, User.last_name, User.email)
        .join(Room, Room.id == RoomAccess.room_id)
        .outerjoin(User, User.id == RoomAccess.user_id)
        .where(Room.event_id == event.id, RoomAccess.status == "granted")
        .order_by(RoomAccess.access_time.desc()).limit(LIMIT)).all()
    # Names of the people acting and of the participants named by object id: two queries.
    pids = [e.object_id for e in entries if e.object_type == "participants"]
    owners = {}
    if pids:
        import uuid

        ids = []
        for p in pids:
            try:
                ids.append(uuid.UUID(p))
            except ValueError:
                pass
        owners = {str(pid): (uid, badge, f"{first} {last}".strip() or email) for pid, uid, badge, first, last, email
                  in db.execute(sa.select(Participant.id, Participant.user_id, Participant.badge_number,
                                          User.first_name, User.last_name, User.email)
                                .join(User, User.id == Participant.user_id)
                                .where(Participant.id.in_(ids), Participant.event_id == event.id))}
    actor_ids = {e.user_id for e in entries if e.user_id is not None}
    names = {}
    if actor_ids:
        names = {uid: (f"{first} {last}".strip() or email) for uid, first, last, email in db.execute(
            sa.select(User.id, User.first_name, User.last_name, User.email).where(User.id.in_(actor_ids)))}
    lines = []
    for e in entries:
        kind = dash.activities[e.object_type]
        label, text = kind.label, kind.describe(e) if kind.describe else ""
        if e.object_type == "participants":
            uid, badge, name = owners.get(e.object_id, (None, None, ""))
            e._user_id = uid  # read by the link
            text = f"{name} · {badge}" if name else text
            if e.action == "update":
                label, text = N_("Check-in"), translate(request, "${name} checked in by staff", name=name)
        try:
            url = kind.link(request, event, e) if kind.link else None
        except Exception:  # noqa: BLE001 - a broken link never breaks the event page
            url = None
        lines.append({"at": e.at, "label": label, "text": str(text or ""), "who": names.get(e.user_id, ""),
                      "url": url})
    for s in scans:
        who = f"{s.first_name or ''} {s.last_name or ''}".strip() or (s.email or "")
        url = (request.route_url("dashboard.user", event=str(event.id), user=str(s.user_id))
               if s.user_id is not None else None)
        lines.append({"at": s.access_time, "label": N_("Check-in"), "text": f"{who} · {s.name}", "who": "", "url": url})
    lines.sort(key=lambda line: line["at"], reverse=True)
    return lines[:LIMIT]


# --------------------------------------------------------------------------- exports


@view_config(route_name="dashboard.exports", **GET)
def exports_page(request):
    event = event_for(request)
    dash = dashboard_of(request)
    off = event_modules.off_in(event.settings)
    e = str(event.id)
    files = [
        ("participants", N_("Participants"), request.route_url("dashboard.participants_export", event=e)),
        ("scans", N_("Scan journal (every granted and denied scan)"),
         request.route_url("dashboard.export_file", event=e, kind="scans")),
        ("sessions-report", N_("Sessions report (attendance, capacity, ateliers, revenue)"),
         request.route_url("dashboard.export_file", event=e, kind="sessions-report")),
        ("event-report", N_("Event report (figures of the event)"),
         request.route_url("dashboard.export_file", event=e, kind="event-report")),
    ]
    for x in dash.exports:
        if x.plugin not in off:
            files.append((x.name, x.label, dash.url(request, x.page, event)))
    return render(request, "exports.jinja2", {"files": files}, event=event)


@view_config(route_name="dashboard.export_file", **GET)
def export_file(request):
    event = event_for(request)
    db = request.dbsession
    kind = request.matchdict["kind"]
    if kind not in ("scans", "sessions-report", "event-report"):
        raise errors.NotFound("No such export")
    if kind == "scans":
        sheet = scan_journal_sheet(db, event.id)
    elif kind == "sessions-report":
        sheet = sessions_report_sheet(db, event.id)
    else:
        sheet = events_report_sheet(db, [event])
    resp = xlsx_response(f"{kind}-{event.id}.xlsx", [sheet])
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
