"""The dashboard's own pages: login, events (list, wizard, detail, edit, delete), rooms,
sessions and users. Every write calls the same domain functions as the REST API."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPFound
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from makeplus_core.plugin_api import (
    EVENT_STATUSES,
    GESTIONNAIRE,
    ROLES,
    SESSION_STATUSES,
    SESSION_TYPES,
    STAFF_ROLES,
    Event,
    Room,
    RoomAssignment,
    Session,
    User,
    UserEventAssignment,
    access_services,
    api,
    auth_services,
    badge_policy,
    badges,
    errors,
    event_archive,
    event_schemas,
    event_services,
    file_url,
    icontains,
    keep_writes,
    room_schemas,
    room_services,
    session_schemas,
    session_services,
    staff_schemas,
    staff_serializers,
    staff_services,
    throttle,
    translate,
    web,
)
from makeplus_core.plugin_api import (
    qr_images as images,
)

from . import charts
from .core import (
    current_identity,
    dashboard_of,
    event_for,
    flash,
    form_error,
    listed_events_query,
    managed_events_query,
    paginate,
    post_data,
    redirect,
    render,
)

WEB = web.WEB
GET = dict(request_method="GET", permission=WEB)
POST = dict(request_method="POST", permission=WEB, require_csrf=True)


def local(value):
    """A datetime as the value of an ``<input type=datetime-local>`` (UTC)."""
    return value.strftime("%Y-%m-%dT%H:%M") if value else ""


def checkbox(request, name):
    return "true" if request.POST.get(name) else "false"


# --------------------------------------------------------------------------- login


@view_config(route_name="dashboard.login", request_method="GET", permission=NO_PERMISSION_REQUIRED)
def login_form(request):
    ident = request.identity
    if ident is not None and ident.kind == "web":
        return redirect(request, "dashboard.home")
    return render(request, "login.jinja2", {"next": request.GET.get("next", "")})


@view_config(route_name="dashboard.login", request_method="POST", require_csrf=True,
             permission=NO_PERMISSION_REQUIRED)
def login_post(request):
    limiter = request.rate_limiter
    if limiter is not None:
        limiter.hit(request, "login")
    email = request.POST.get("email", "").strip()
    form = {"email": email}
    db = request.dbsession
    throttle.check_attempt(request, email)  # the same per-account count as the API's login
    try:
        user = auth_services.authenticate(db, email, request.POST.get("password", ""))
    except errors.NotAuthenticated:
        return render(request, "login.jinja2", {"form": form, "errors": {
            "__all__": "Wrong e-mail or password."}}, status=401)
    throttle.succeeded(request, email)
    managed = db.scalars(sa.select(UserEventAssignment.event_id).where(
        UserEventAssignment.user_id == user.id, UserEventAssignment.role == GESTIONNAIRE,
        UserEventAssignment.is_active.is_(True))).all()
    if not (user.is_admin or managed):
        return render(request, "refused.jinja2", {"user": user}, status=403)
    web.web_login(request, user, managed[0] if len(managed) == 1 else None)
    keep_writes(request)  # the web session, whatever the answer
    target = request.POST.get("next") or ""
    if not target.startswith("/dashboard/"):
        target = request.route_url("dashboard.home")
    return HTTPFound(location=target)


@view_config(route_name="dashboard.logout", request_method="POST", require_csrf=True,
             permission=NO_PERMISSION_REQUIRED)
def logout(request):
    web.web_logout(request)
    return redirect(request, "dashboard.login")


@view_config(route_name="dashboard.switch", **GET)
def switch(request):
    current_identity(request)
    request.matchdict["event"] = request.GET.get("event", "")
    event = event_for(request)
    return redirect(request, "dashboard.event", event=event.id)


# --------------------------------------------------------------------------- events


@view_config(route_name="dashboard.home", **GET)
def events_list(request):
    ident = current_identity(request)
    db = request.dbsession
    # ?archived=1: the archived events (hidden from the normal list), restorable by a platform admin.
    archived = request.GET.get("archived", "") == "1"
    stmt = (managed_events_query(ident).where(Event.archived_at.is_not(None)) if archived
            else listed_events_query(ident))
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if q:
        stmt = stmt.where(icontains(q, Event.name, Event.location))
    if status in EVENT_STATUSES:
        stmt = stmt.where(Event.status == status)
    pg = paginate(request, db, stmt.order_by(Event.start_date.desc(), Event.name, Event.id))
    ids = [e.id for e in pg["rows"]]
    totals = event_services.totals(db, ids)
    checked = event_services.checked_in_totals(db, ids)
    return render(request, "events.jinja2", {"pg": pg, "totals": totals, "checked": checked,
                                             "statuses": EVENT_STATUSES, "status": status,
                                             "archived": archived})


EVENT_FIELDS = ("name", "description", "location", "location_details", "start_date", "end_date", "status",
                "timezone", "organizer_name", "organizer_email", "organizer_phone", "primary_color")


# Location details: stored in the event's metadata under "location" (the API's `metadata`).
LOCATION_FIELDS = {"venue": 200, "address": 300, "city": 100, "country": 100, "map_url": 500}


def _event_input(request) -> dict:
    import re

    data = post_data(request)
    data = {k: v for k, v in data.items() if k in EVENT_FIELDS}
    data.setdefault("description", "")
    data.setdefault("location", "")
    data["is_active"] = checkbox(request, "is_active")
    # plain user-id badges: the organiser's explicit choice, shown with its risk on the form
    data["accept_plain_user_id"] = checkbox(request, "accept_plain_user_id")
    # Themes: one per line or comma separated (the API's `themes` list).
    themes = [t.strip() for t in re.split(r"[,\n]", request.POST.get("themes", "")) if t.strip()]
    for theme in themes:
        if len(theme) > 100:
            raise errors.Invalid("themes: a theme is at most 100 characters", field="themes")
    data["themes"] = themes
    # Metadata: a JSON object (validated by the API's schema), plus the location details.
    data["metadata"] = request.POST.get("metadata", "").strip() or "{}"
    data = api.validate(event_schemas.EventSchema(), data)
    location = {}
    for key, limit in LOCATION_FIELDS.items():
        value = request.POST.get(f"location_{key}", "").strip()
        if len(value) > limit:
            raise errors.Invalid(f"location_{key}: at most {limit} characters", field=f"location_{key}")
        if value:
            location[key] = value
    if location.get("map_url") and not re.match(r"^https?://[^\s]+$", location["map_url"]):
        raise errors.Invalid("location_map_url: an http(s) address", field="location_map_url")
    meta = dict(data["metadata"])
    meta.pop("location", None)
    if location:
        meta["location"] = location
    data["metadata"] = meta
    # logo, banner (PNG/JPEG), programme, guide (PDF): checked by content by the core's upload helpers
    data["_files"] = event_services.read_files(request)
    return data


def _event_form(request, event) -> dict:
    import json

    form = {k: getattr(event, k) or "" for k in EVENT_FIELDS}
    form["start_date"], form["end_date"] = local(event.start_date), local(event.end_date)
    form["is_active"] = event.is_active
    form["themes"] = ", ".join(str(t) for t in (event.themes or []))
    meta = dict(event.meta or {})
    location = meta.pop("location", None) or {}
    form["metadata"] = json.dumps(meta, ensure_ascii=False, indent=1) if meta else ""
    for key in LOCATION_FIELDS:
        form[f"location_{key}"] = location.get(key, "") if isinstance(location, dict) else ""
    form["accept_plain_user_id"] = badge_policy.plain_ids_allowed(request.registry.settings, event.settings)
    return form


@view_config(route_name="dashboard.event_new", **GET)
def wizard_details(request):
    current_identity(request)
    plain = badge_policy.platform_default(request.registry.settings)
    return render(request, "wizard_details.jinja2", {"form": {"is_active": True, "status": "active",
                                                              "accept_plain_user_id": plain},
                                                     "statuses": EVENT_STATUSES, "step": 1})


@view_config(route_name="dashboard.event_new", **POST)
def wizard_details_post(request):
    ident = current_identity(request)
    db = request.dbsession
    try:
        event = event_services.create(db, _event_input(request), ident.user_id, ident.is_admin)
    except errors.DomainError as exc:
        return render(request, "wizard_details.jinja2", {
            "form": dict(request.POST), "errors": form_error(exc), "statuses": EVENT_STATUSES, "step": 1},
            status=exc.status)
    flash(request, "Event “${name}” created. Now add its rooms.", name=event.name)
    return redirect(request, "dashboard.wizard", event=event.id, step="rooms")


WIZARD = ("rooms", "sessions", "staff")


@view_config(route_name="dashboard.wizard", **GET)
def wizard_step(request, ctx=None, status=200):
    event = event_for(request)
    step = request.matchdict["step"]
    if step not in WIZARD:
        raise errors.NotFound("No such step")
    db = request.dbsession
    rooms = db.scalars(room_services.list_query(event.id)).all()
    data = {"step": WIZARD.index(step) + 2, "step_name": step, "rooms": rooms,
            "next_step": WIZARD[WIZARD.index(step) + 1] if step != "staff" else None,
            "form": {}, "statuses": SESSION_STATUSES, "types": SESSION_TYPES, "staff_roles": STAFF_ROLES,
            "extra_fields": _extra_fields(request, "session", None)}
    if step == "sessions":
        data["sessions"] = db.scalars(session_services.list_query(event.id)).all()
        data["form"] = {"start_time": local(event.start_date),
                        "end_time": local(event.start_date + dt.timedelta(hours=1))}
    if step == "staff":
        data["staff"] = db.execute(sa.select(UserEventAssignment, User).join(User, User.id == UserEventAssignment.user_id)
                                   .where(UserEventAssignment.event_id == event.id,
                                          UserEventAssignment.role.in_(STAFF_ROLES))
                                   .order_by(User.last_name, User.id)).all()
    return render(request, "wizard_step.jinja2", data, event=event, status=status, again=ctx)


@view_config(route_name="dashboard.wizard", **POST)
def wizard_step_post(request):
    event = event_for(request)
    step = request.matchdict["step"]
    try:
        if step == "rooms":
            room = _create_room(request, event)
            flash(request, "Room “${name}” added.", name=room.name)
        elif step == "sessions":
            session = _create_session(request, event)
            flash(request, "Session “${title}” added.", title=session.title)
        elif step == "staff":
            user = _quick_user(request, event)
            flash(request, "${name} added to the staff.", name=user.full_name or user.email)
        else:
            raise errors.NotFound("No such step")
    except errors.DomainError as exc:
        if isinstance(exc, errors.NotFound) and exc.field is None:
            raise
        return wizard_step(request, {"form": dict(request.POST), "errors": form_error(exc)}, status=exc.status)
    return redirect(request, "dashboard.wizard", event=event.id, step=step)


@view_config(route_name="dashboard.event", **GET)
def event_detail(request):
    event = event_for(request)
    db = request.dbsession
    # Only platform admins and the event's gestionnaires reach the dashboard: they see every figure.
    stats = event_services.statistics(db, event, request.plugins, role="admin")
    per_hour = access_services.scans_per_hour(db, event.id)
    hours = sorted({r["hour"] for r in per_hour})
    by_room: dict = {}
    for r in per_hour:
        by_room.setdefault(r["room_name"], {})[r["hour"]] = r["scans"]
    scans_chart = charts.line_chart([(name, [v.get(h, 0) for h in hours]) for name, v in sorted(by_room.items())],
                                    hours, title=translate(request, "Granted scans per hour (UTC) per room"),
                                    unit=" " + translate(request, "scans"))
    rooms = db.scalars(room_services.list_query(event.id)).all()
    occupancy = room_services.room_occupancy(db, [r.id for r in rooms])
    occupancy_chart = charts.bar_chart([(r.name, occupancy.get(r.id, 0)) for r in rooms],
                                       title=translate(request, "Current room occupancy (people admitted)"),
                                       unit=" " + translate(request, "people"))
    plain = {k: v for k, v in stats.items() if isinstance(v, (int, float, str)) and k != "event_id"}
    from .organiser import recent_activity

    return render(request, "event.jinja2", {"stats": plain, "scans_chart": scans_chart,
                                            "activity": recent_activity(request, event),
                                            "occupancy_chart": occupancy_chart, "rooms": rooms,
                                            "occupancy": occupancy}, event=event)


@view_config(route_name="dashboard.event_edit", **GET)
def event_edit(request):
    event = event_for(request)
    return render(request, "event_edit.jinja2", {"form": _event_form(request, event), "statuses": EVENT_STATUSES},
                  event=event)


def _saved(request, save, page, message, route, **kw):
    """A form post: ``save()``; a domain error shows ``page`` again with the posted form and
    the error (its status), else ``message`` is flashed and the browser sent to ``route``."""
    try:
        save()
    except errors.DomainError as exc:
        return page(request, {"form": dict(request.POST), "errors": form_error(exc)}, status=exc.status)
    flash(request, message)
    return redirect(request, route, **kw)


@view_config(route_name="dashboard.event_edit", **POST)
def event_edit_post(request):
    event = event_for(request)
    try:
        event_services.update(request.dbsession, event, _event_input(request))
    except errors.DomainError as exc:
        return render(request, "event_edit.jinja2", {"form": dict(request.POST), "errors": form_error(exc),
                                                     "statuses": EVENT_STATUSES}, event=event, status=exc.status)
    flash(request, "Event saved.")
    return redirect(request, "dashboard.event", event=event.id)


@view_config(route_name="dashboard.event_delete", **GET)
def event_delete(request):
    event = event_for(request)
    return render(request, "confirm.jinja2", {
        "title": translate(request, "Delete the event “${name}”?", name=event.name),
        "message": translate(request, "Its rooms, sessions and participants are deleted for good. An event that "
                                      "holds scans, sales, lead scans or submissions is never deleted: archive it "
                                      "instead (POST /api/events/{id}/archive/)."),
        "action": request.route_url("dashboard.event_delete", event=str(event.id)),
        "cancel": request.route_url("dashboard.event", event=str(event.id))}, event=event)


@view_config(route_name="dashboard.event_delete", **POST)
def event_delete_post(request):
    event = event_for(request)
    name = event.name
    event_services.delete(request.dbsession, event, request.plugins)  # 409 if it holds records
    web.web_set_event(request, None)
    flash(request, "Event “${name}” deleted.", name=name)
    return redirect(request, "dashboard.home")


@view_config(route_name="dashboard.event_archive", **POST)
def event_archive_post(request):
    """Archive the event (read-only, hidden from the lists); its records are kept."""
    event = event_for(request)
    event_archive.archive(request.dbsession, event, request.identity.user_id)
    web.web_set_event(request, None)
    flash(request, f"Event “{event.name}” archived. A platform admin can restore it from the archived events.")
    return redirect(request, "dashboard.home", _query={"archived": "1"})


@view_config(route_name="dashboard.event_restore", **POST)
def event_restore_post(request):
    """Restore an archived event (platform admins only, as ``POST /api/events/{id}/restore/``)."""
    ident = current_identity(request)
    event = event_for(request)
    if not ident.is_admin:
        raise errors.Forbidden("Only platform admins can restore an archived event")
    event_archive.restore(request.dbsession, event)
    flash(request, f"Event “{event.name}” restored.")
    return redirect(request, "dashboard.event", event=event.id)


# --------------------------------------------------------------------------- rooms


def _create_room(request, event):
    data = post_data(request)
    data["is_active"] = checkbox(request, "is_active") if "is_active_present" in request.POST else "true"
    data = api.validate(room_schemas.RoomSchema(), {k: v for k, v in data.items() if k in (
        "name", "capacity", "description", "location", "is_active")})
    return room_services.create(request.dbsession, event.id, request.identity.user_id, data)


@view_config(route_name="dashboard.rooms", **GET)
def rooms_list(request, ctx=None, status=200):
    event = event_for(request)
    db = request.dbsession
    active = {"yes": True, "no": False}.get(request.GET.get("active", ""))
    pg = paginate(request, db, room_services.list_query(event.id, is_active=active,
                                                        search=request.GET.get("q", "").strip() or None))
    occupancy = room_services.room_occupancy(db, [r.id for r in pg["rows"]])
    data = {"pg": pg, "occupancy": occupancy, "active_filter": request.GET.get("active", ""),
            "form": {"is_active": True}}
    return render(request, "rooms.jinja2", data, event=event, status=status, again=ctx)


@view_config(route_name="dashboard.rooms", **POST)
def rooms_create(request):
    event = event_for(request)
    try:
        room = _create_room(request, event)
    except errors.DomainError as exc:
        return rooms_list(request, {"form": dict(request.POST), "errors": form_error(exc)}, status=exc.status)
    flash(request, "Room “${name}” created.", name=room.name)
    return redirect(request, "dashboard.room", event=event.id, room=room.id)


def _room(request, event):
    return api.get_or_404(request.dbsession, Room, request.matchdict["room"], event.id, label="Room")


@view_config(route_name="dashboard.room", **GET)
def room_detail(request, ctx=None, status=200):
    event = event_for(request)
    room = _room(request, event)
    db = request.dbsession
    sessions = db.scalars(session_services.list_query(event.id, room_id=room.id)).all()
    assignments = staff_serializers.serialize_room_assignments(
        request, db.scalars(staff_services.room_assignment_list_query(event.id, room_id=room.id)).all())
    staff = db.execute(sa.select(User.id, User.first_name, User.last_name, User.email, UserEventAssignment.role)
                       .join(UserEventAssignment, UserEventAssignment.user_id == User.id)
                       .where(UserEventAssignment.event_id == event.id, UserEventAssignment.role.in_(STAFF_ROLES),
                              UserEventAssignment.is_active.is_(True)).order_by(User.last_name, User.id)).all()
    data = {"room": room, "sessions": sessions, "assignments": assignments, "staff": staff,
            "occupancy": room_services.room_occupancy(db, [room.id]).get(room.id, 0),
            "form": {"name": room.name, "capacity": room.capacity if room.capacity is not None else "",
                     "description": room.description, "location": room.location or "",
                     "is_active": room.is_active},
            "assign_form": {"start_time": local(event.start_date), "end_time": local(event.end_date)},
            "staff_roles": STAFF_ROLES, "assign_errors": {}}
    return render(request, "room.jinja2", data, event=event, status=status, again=ctx)


@view_config(route_name="dashboard.room", **POST)
def room_update(request):
    event = event_for(request)
    room = _room(request, event)
    data = post_data(request)
    data["is_active"] = checkbox(request, "is_active")

    def save():
        values = api.validate(room_schemas.RoomSchema(), {k: v for k, v in data.items() if k in (
            "name", "capacity", "description", "location", "is_active")})
        room_services.update(request.dbsession, room, values)
    return _saved(request, save, room_detail, "Room saved.", "dashboard.room", event=event.id, room=room.id)


@view_config(route_name="dashboard.room_assign", **POST)
def room_assign(request):
    event = event_for(request)
    room = _room(request, event)
    data = post_data(request)
    data["room"] = str(room.id)
    try:
        values = api.validate(staff_schemas.RoomAssignmentSchema(), {k: v for k, v in data.items() if k in (
            "user", "room", "role", "start_time", "end_time")})
        values["room"] = room.id
        staff_services.create_room_assignment(request.dbsession, event.id, values,
                                              assigned_by_id=request.identity.user_id)
    except errors.DomainError as exc:
        return room_detail(request, {"assign_form": dict(request.POST), "assign_errors": form_error(exc)},
                           status=exc.status)
    flash(request, "Staff member assigned.")
    return redirect(request, "dashboard.room", event=event.id, room=room.id)


@view_config(route_name="dashboard.room_unassign", **POST)
def room_unassign(request):
    event = event_for(request)
    room = _room(request, event)
    obj = api.get_or_404(request.dbsession, RoomAssignment, request.matchdict["assignment"], event.id,
                         label="Assignment")
    if obj.room_id != room.id:
        raise errors.NotFound("Assignment not found")
    staff_services.delete_room_assignment(request.dbsession, obj)
    flash(request, "Assignment removed.")
    return redirect(request, "dashboard.room", event=event.id, room=room.id)


@view_config(route_name="dashboard.room_delete", **POST)
def room_delete(request):
    event = event_for(request)
    room = _room(request, event)
    try:
        room_services.delete(request.dbsession, room)
    except errors.DomainError as exc:
        return room_detail(request, {"errors": form_error(exc)}, status=exc.status)
    flash(request, "Room “${name}” deleted.", name=room.name)
    return redirect(request, "dashboard.rooms", event=event.id)


# --------------------------------------------------------------------------- sessions

SESSION_FIELDS = ("room", "title", "description", "speaker_name", "speaker_title", "speaker_bio",
                  "start_time", "end_time", "theme", "status", "session_type", "price", "capacity")
# Uploaded, not typed: the speaker's photo and the cover image (session_services.read_images).
IMAGE_COLUMNS = ("speaker_photo_url", "cover_image")


def _session_input(request) -> dict:
    data = {k: v for k, v in post_data(request).items() if k in SESSION_FIELDS}
    data["is_paid"] = checkbox(request, "is_paid")
    data = api.validate(session_schemas.SessionSchema(), data)
    for column in IMAGE_COLUMNS:  # never cleared by a form that does not carry them
        data.pop(column, None)
    data["_images"] = session_services.read_images(request)
    return data


def _save_images(request, session, data) -> None:
    if data["_images"]:
        session_services.set_images(request.dbsession, session, data["_images"])


def _create_session(request, event):
    data = _session_input(request)
    images = data.pop("_images")
    session = session_services.create(request.dbsession, event, data, request.identity.user_id,
                                      request.plugins, request)
    _save_images(request, session, {"_images": images})
    return session


def _extra_fields(request, form, obj):
    out = []
    for field in dashboard_of(request).fields_for(form):
        value = field.value(request, obj) if (field.value and obj is not None) else ""
        out.append({"name": field.name, "label": field.label, "help": field.help, "type": field.input_type,
                    "value": value or ""})
    return out


@view_config(route_name="dashboard.sessions", **GET)
def sessions_list(request):
    event = event_for(request)
    db = request.dbsession
    db_rooms = db.scalars(room_services.list_query(event.id)).all()
    room_ids = {str(r.id): r for r in db_rooms}
    room = room_ids.get(request.GET.get("room", ""))
    status = request.GET.get("status", "")
    stype = request.GET.get("type", "")
    paid = {"yes": True, "no": False}.get(request.GET.get("paid", ""))
    pg = paginate(request, db, session_services.list_query(
        event.id, room_id=room.id if room else None, status=status if status in SESSION_STATUSES else None,
        session_type=stype if stype in SESSION_TYPES else None, is_paid=paid,
        search=request.GET.get("q", "").strip() or None))
    names = {r.id: r.name for r in db_rooms}
    return render(request, "sessions.jinja2", {
        "pg": pg, "rooms": db_rooms, "names": names, "statuses": SESSION_STATUSES, "types": SESSION_TYPES,
        "filters": {"room": request.GET.get("room", ""), "status": status, "type": stype,
                    "paid": request.GET.get("paid", "")}}, event=event)


def _session_page(request, event, session, form, errs=None, status=200):
    db = request.dbsession
    return render(request, "session_form.jinja2", {
        "session": session, "rooms": db.scalars(room_services.list_query(event.id)).all(), "form": form,
        "errors": errs or {}, "statuses": SESSION_STATUSES, "types": SESSION_TYPES,
        "image_urls": {c: file_url(request, getattr(session, c)) for c in IMAGE_COLUMNS
                       if session is not None and getattr(session, c)},
        "extra_fields": _extra_fields(request, "session", session)}, event=event, status=status)


@view_config(route_name="dashboard.session_new", **GET)
def session_new(request):
    event = event_for(request)
    form = {"start_time": local(event.start_date), "end_time": local(event.start_date + dt.timedelta(hours=1)),
            "status": "pas_encore", "session_type": "conference", "room": request.GET.get("room", "")}
    return _session_page(request, event, None, form)


@view_config(route_name="dashboard.session_new", **POST)
def session_create(request):
    event = event_for(request)
    try:
        session = _create_session(request, event)
    except errors.DomainError as exc:
        return _session_page(request, event, None, dict(request.POST), form_error(exc), exc.status)
    flash(request, "Session “${title}” created.", title=session.title)
    return redirect(request, "dashboard.sessions", event=event.id)


def _session(request, event):
    return api.get_or_404(request.dbsession, Session, request.matchdict["session"], event.id, label="Session")


@view_config(route_name="dashboard.session", **GET)
def session_edit(request):
    event = event_for(request)
    session = _session(request, event)
    form = {k: getattr(session, k, "") for k in SESSION_FIELDS if k != "room"}
    form.update(room=str(session.room_id), start_time=local(session.start_time), end_time=local(session.end_time),
                is_paid=session.is_paid, price=session.price if session.is_paid else "",
                capacity=session.capacity if session.capacity is not None else "")
    form = {k: ("" if v is None else v) for k, v in form.items()}
    return _session_page(request, event, session, form)


@view_config(route_name="dashboard.session", **POST)
def session_update(request):
    event = event_for(request)
    session = _session(request, event)
    try:
        data = _session_input(request)
        images = data.pop("_images")
        session_services.update(request.dbsession, session, data, request.plugins, request)
        _save_images(request, session, {"_images": images})
    except errors.DomainError as exc:
        return _session_page(request, event, session, dict(request.POST), form_error(exc), exc.status)
    flash(request, "Session saved.")
    return redirect(request, "dashboard.sessions", event=event.id)


@view_config(route_name="dashboard.session_delete", **POST)
def session_delete(request):
    event = event_for(request)
    session = _session(request, event)
    session_services.delete(request.dbsession, session, request.plugins, request)
    flash(request, "Session “${title}” deleted.", title=session.title)
    return redirect(request, "dashboard.sessions", event=event.id)


# --------------------------------------------------------------------------- users


def _quick_user(request, event):
    """Add a person by e-mail with the same rule as the API (makeplus_core.auth.invitations):
    a new address gets an account and an invitation mail (staff never choose a password),
    a verified one is enrolled and told; then the role."""
    from makeplus_core.plugin_api import invitations

    db = request.dbsession
    data = post_data(request)
    role = data.get("role", "")
    if role not in ROLES:
        raise errors.Invalid(f"role: must be one of {', '.join(ROLES)}", field="role")
    email = auth_services.normalize_email(data.get("email", ""))
    if not email or "@" not in email:
        raise errors.Invalid("email: a valid e-mail address is required", field="email")
    user, _, _ = invitations.enrol_and_notify(
        request, email, {"first_name": data.get("first_name", ""), "last_name": data.get("last_name", "")}, event)
    try:
        staff_services.create_user_assignment(db, event, {"user": user.id, "role": role},
                                              assigned_by_id=request.identity.user_id)
    except errors.DomainError as exc:
        if exc.field == "user":  # the form names the person by e-mail
            exc.field, exc.message = "email", exc.message.replace("user: ", "email: ", 1)
        raise
    return user


@view_config(route_name="dashboard.users", **GET)
def users_list(request, ctx=None, status=200):
    event = event_for(request)
    db = request.dbsession
    role = request.GET.get("role", "")
    pg = paginate(request, db, staff_services.user_assignment_list_query(
        event.id, role=role if role in ROLES else None, search=request.GET.get("q", "").strip() or None))
    rows = staff_serializers.serialize_user_assignments(request, pg["rows"])
    data = {"pg": pg, "rows": rows, "roles": ROLES, "role": role, "form": {"role": "participant"}}
    return render(request, "users.jinja2", data, event=event, status=status, again=ctx)


# duplicates: deliberate — list page then create post, as for rooms; different queries, forms and error handling.
@view_config(route_name="dashboard.users", **POST)
def users_create(request):
    event = event_for(request)
    try:
        user = _quick_user(request, event)
    except errors.DomainError as exc:
        form = dict(request.POST)
        form.pop("password", None)
        return users_list(request, {"form": form, "errors": form_error(exc)}, status=exc.status)
    flash(request, "${name} added; the badge is ready.", name=user.full_name or user.email)
    return redirect(request, "dashboard.user", event=event.id, user=user.id)


def _member(request, event):
    db = request.dbsession
    user_id = api.path_int(request, "user", "User")
    row = db.execute(sa.select(User, UserEventAssignment).join(
        UserEventAssignment, UserEventAssignment.user_id == User.id).where(
        User.id == user_id, UserEventAssignment.event_id == event.id)).first()
    if row is None:
        raise errors.NotFound("User not found")
    return row


@view_config(route_name="dashboard.user", **GET)
def user_detail(request, ctx=None, status=200):
    event = event_for(request)
    user, assignment = _member(request, event)
    db = request.dbsession
    ident = request.identity
    history = db.execute(sa.select(UserEventAssignment, Event.name).join(Event, Event.id == UserEventAssignment.event_id)
                         .where(UserEventAssignment.user_id == user.id,
                                Event.id.in_(managed_events_query(ident).with_only_columns(Event.id)))
                         .order_by(UserEventAssignment.assigned_at.desc())).all()
    rooms = staff_serializers.serialize_room_assignments(
        request, db.scalars(staff_services.room_assignment_list_query(event.id, user_id=user.id)).all())
    qr_svg = images.render(badges.qr_payload_string(user), "svg")[0].decode() if user.badge_id else ""
    data = {"user": user, "assignment": assignment, "history": history, "room_assignments": rooms,
            "qr_svg": qr_svg, "roles": ROLES, "form": {"role": assignment.role, "is_active": assignment.is_active}}
    return render(request, "user.jinja2", data, event=event, status=status, again=ctx)


@view_config(route_name="dashboard.user", **POST)
def user_role(request):
    event = event_for(request)
    user, assignment = _member(request, event)

    def save():
        values = api.validate(staff_schemas.UserAssignmentUpdateSchema(), {
            "role": request.POST.get("role", ""), "is_active": checkbox(request, "is_active")})
        staff_services.update_user_assignment(request.dbsession, assignment, values)
    return _saved(request, save, user_detail, "Role saved.", "dashboard.user", event=event.id, user=user.id)


@view_config(route_name="dashboard.user_qr", **GET)
def user_qr(request):
    event = event_for(request)
    user, _ = _member(request, event)
    if not user.badge_id:
        raise errors.NotFound("This user has no badge")
    fmt = request.matchdict["fmt"]
    body, ctype = images.render(badges.qr_payload_string(user), fmt)
    resp = Response(body=body, content_type=ctype)
    resp.headers["Cache-Control"] = "private, no-store"
    resp.content_disposition = f'attachment; filename="badge-{user.id}.{fmt}"'
    return resp
