"""The dashboard's plumbing: page registry (the object plugins receive through the
``makeplus_dashboard_pages`` hook), rendering with the base layout, access checks,
form errors, pagination. Pages themselves live in :mod:`makeplus_dashboard.pages`.
"""
from __future__ import annotations

import dataclasses
import math
import uuid
from urllib.parse import urlencode

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPForbidden, HTTPFound, HTTPNotFound
from pyramid.renderers import render_to_response

from makeplus_core.plugin_api import (
    GESTIONNAIRE,
    N_,
    Event,
    UserEventAssignment,
    api,
    errors,
    event_services,
    translate,
)

PREFIX = "/dashboard"
EVENT = "{event:" + api.UUID + "}"
PAGE_SIZE = 20


# Values shown on the pages (statuses, roles, types, statistics, import results, wizard
# steps): the template's ``label(value)`` translates ``value`` with "_" as spaces.
LABELS = (
    N_("upcoming"), N_("active"), N_("completed"), N_("cancelled"),
    N_("pas encore"), N_("en cours"), N_("termine"), N_("conference"), N_("atelier"),
    N_("gestionnaire des salles"), N_("controlleur des badges"), N_("participant"), N_("exposant"),
    N_("active rooms"), N_("ateliers revenue"), N_("cancelled sessions"), N_("checked in participants"),
    N_("completed sessions"), N_("live sessions"), N_("paid atelier registrations"), N_("paid ateliers"),
    N_("total ateliers"), N_("total participants"), N_("total rooms"), N_("total sessions"),
    N_("upcoming sessions"), N_("created"), N_("updated"), N_("unchanged"), N_("error"),
    N_("details"), N_("rooms"), N_("sessions"), N_("staff"),
    N_("all"), N_("participants"), N_("exposants"), N_("controlleurs"), N_("gestionnaires"),
)


def label(request, value) -> str:
    if value is None:
        return "—"
    return translate(request, str(value).replace("_", " "))


def tpl(name: str) -> str:
    return f"makeplus_dashboard:templates/{name}"


# --------------------------------------------------------------------------- registry


@dataclasses.dataclass
class Page:
    name: str
    path: str
    view: object
    template: str
    title: str
    nav: bool
    order: int
    methods: tuple
    plugin: str | None = None

    @property
    def route(self) -> str:
        return f"dashboard.page.{self.name}"


@dataclasses.dataclass
class Export:
    name: str
    label: str
    page: str
    plugin: str | None = None


@dataclasses.dataclass
class Activity:
    object_type: str
    label: str
    actions: tuple
    describe: object
    link: object
    match: object
    plugin: str | None = None


@dataclasses.dataclass
class Field:
    form: str
    name: str
    label: str
    value: object
    help: str
    input_type: str


class Dashboard:
    """What ``makeplus_dashboard_pages(dashboard)`` receives.

    * ``add_page(name, path, view, template, title, nav=True, order=100, methods=("GET",))``
      registers an event page at ``/dashboard/events/{event}/<path>`` (``path`` may hold
      placeholders such as ``{id}``; pages with placeholders never appear in the menu).
      ``view(request, event)`` returns a dict for ``template`` (which extends
      ``makeplus_dashboard:templates/base.jinja2``) or a Response (e.g. a redirect).
      Only a platform admin or the event's gestionnaire reaches it (others: 404/login).
      POST forms are CSRF-checked. A :class:`makeplus_core.errors.DomainError` raised
      by a POST re-renders the page's GET context with ``errors`` ({field: message}),
      ``form`` (what was typed) and the error's status (nothing is committed).
    * ``add_field(form, name, label, value=None, help="", input_type="text")`` adds an
      input to a core form (``form="session"``: the session create/edit form; the
      posted value reaches the plugin through ``makeplus_session_changed``).
      ``value(request, obj)`` gives the current value.
    * ``add_export(name, label, page)`` lists a download on the event's Exports page:
      ``page`` is the name of a page (registered with ``add_page``) whose view returns the
      file (the plugin's own API writer, e.g. ``xlsx_response``).
    * ``add_activity(object_type, label, actions=("create",), describe=None, link=None,
      match=None)`` shows the audit entries of a table of the plugin in the event page's
      "Recent activity" panel: ``describe(entry)`` a short text from the entry's ``changes``,
      ``link(request, event, entry)`` a URL (or ``None``), ``match(entry)`` keeps only some.
    * ``url(request, name, event, **kw)``: the URL of a page.
    """

    def __init__(self):
        self.pages: dict[str, Page] = {}
        self.fields: list[Field] = []
        self.exports: list[Export] = []
        self.activities: dict[str, Activity] = {}
        self._plugin = None
        from . import charts

        self.charts = charts  # bar_chart(data, title) / line_chart(series, labels, title): SVG strings

    def add_page(self, name, path, view, template, title, nav=True, order=100, methods=("GET",)):
        if name in self.pages:
            raise ValueError(f"dashboard page {name!r} registered twice")
        path = path.strip("/")
        self.pages[name] = Page(name, path, view, template, title, bool(nav) and "{" not in path, order,
                                tuple(m.upper() for m in methods), self._plugin)

    def add_field(self, form, name, label, value=None, help="", input_type="text"):
        self.fields.append(Field(form, name, label, value, help, input_type))

    def add_export(self, name, label, page):
        self.exports.append(Export(name, label, page, self._plugin))

    def add_activity(self, object_type, label, actions=("create",), describe=None, link=None, match=None):
        if object_type in self.activities:
            raise ValueError(f"dashboard activity {object_type!r} registered twice")
        self.activities[object_type] = Activity(object_type, label, tuple(actions), describe, link, match,
                                                self._plugin)

    def fields_for(self, form):
        return [f for f in self.fields if f.form == form]

    def nav(self):
        return sorted((p for p in self.pages.values() if p.nav), key=lambda p: (p.order, p.title))

    @staticmethod
    def url(request, name, event, **kw):
        return request.route_url(f"dashboard.page.{name}", event=str(getattr(event, "id", event)),
                                 **{k: str(v) for k, v in kw.items()})

    def redirect(self, request, name, event, **kw):
        """A 302 to a page (the answer to a successful POST)."""
        return HTTPFound(location=self.url(request, name, event, **kw))

    @staticmethod
    def flash(request, message, **mapping):
        """Translated when its msgid is in a catalog (``${name}`` placeholders from ``mapping``)."""
        request.session.flash(translate(request, message, **mapping))

    @staticmethod
    def paginate(request, stmt, size=PAGE_SIZE, scalars=True):
        """``?q=&page=`` pagination of ``stmt`` (see the ``pager``/``search`` macros)."""
        return paginate(request, request.dbsession, stmt, size, scalars)

    @staticmethod
    def form(request, *skip):
        """The posted fields without the CSRF token and blank values."""
        return post_data(request, *skip)


def dashboard_of(request) -> Dashboard:
    return request.dashboard


# --------------------------------------------------------------------------- access


def current_identity(request):
    """The web identity of a platform admin or gestionnaire, else Forbidden (login page)."""
    ident = request.identity
    if ident is None or ident.kind != "web":
        raise HTTPForbidden()
    if not (ident.is_admin or event_services.is_gestionnaire_anywhere(request.dbsession, ident.user_id)):
        raise HTTPForbidden(N_("Only platform administrators and gestionnaires des salles use the dashboard."))
    return ident


def managed_events_query(ident):
    """Events the dashboard user manages: all for admins, else those they are gestionnaire of."""
    stmt = sa.select(Event)
    if not ident.is_admin:
        stmt = stmt.where(Event.id.in_(sa.select(UserEventAssignment.event_id).where(
            UserEventAssignment.user_id == ident.user_id, UserEventAssignment.role == GESTIONNAIRE,
            UserEventAssignment.is_active.is_(True))))
    return stmt


def listed_events_query(ident):
    """The managed events shown in lists and in the switcher: archived ones are hidden
    (still reachable by URL, read-only)."""
    return managed_events_query(ident).where(Event.archived_at.is_(None))


def event_for(request, write=False):
    """The event of the URL if the caller manages it (else 404); remembered as current event."""
    ident = current_identity(request)
    event, role = event_services.get_for_user(request.dbsession, request.matchdict.get("event"),
                                              ident.user_id, ident.is_admin)
    if not ident.is_admin and role != GESTIONNAIRE:
        raise errors.NotFound("Event not found")
    from makeplus_core.plugin_api import web

    if request.session.get(web.EVENT_KEY) != str(event.id):
        web.web_set_event(request, event.id)
    return event


def get_in_event(db, model, obj_id, event_id, label="Object"):
    """``model`` row ``obj_id`` of ``event_id`` or 404 (also for malformed ids)."""
    from makeplus_core.plugin_api import api

    return api.get_or_404(db, model, obj_id, event_id, label=label)


# --------------------------------------------------------------------------- rendering


def layout(request, event=None) -> dict:
    ident = request.identity
    db = request.dbsession
    switch = []
    if ident is not None and ident.kind == "web":
        switch = db.execute(listed_events_query(ident).with_only_columns(Event.id, Event.name)
                            .order_by(Event.start_date.desc(), Event.name).limit(50)).all()
    dash = dashboard_of(request)
    nav = []
    if event is not None:
        request.environ["makeplus.timezone"] = event.timezone  # dates shown in the event's time zone
        nav = [(N_("Overview"), request.route_url("dashboard.event", event=str(event.id)), "event"),
               (N_("Rooms"), request.route_url("dashboard.rooms", event=str(event.id)), "rooms"),
               (N_("Sessions"), request.route_url("dashboard.sessions", event=str(event.id)), "sessions"),
               (N_("Users"), request.route_url("dashboard.users", event=str(event.id)), "users"),
               (N_("Import"), request.route_url("dashboard.import", event=str(event.id)), "import"),
               (N_("Modules"), request.route_url("dashboard.modules", event=str(event.id)), "modules"),
               (N_("Exports"), request.route_url("dashboard.exports", event=str(event.id)), "exports")]
        from makeplus_core.plugin_api import event_modules

        off = event_modules.off_in(event.settings)  # pages of plugins switched off for this event vanish
        nav += [(p.title, dash.url(request, p.name, event), p.name) for p in dash.nav() if p.plugin not in off]
        nav = [(translate(request, title), url, key) for title, url, key in nav]  # plugins' titles too
    return {
        "identity": ident,
        "me": ident.user if ident is not None and ident.kind == "web" else None,
        "event": event,
        "switch_events": switch,
        "nav": nav,
        "flashes": request.session.pop_flash() if ident is not None else [],
        "csrf_token": request.session.get_csrf_token(),
        "errors": {},
        "form": {},
        "pairs": lambda values: [(v, label(request, v)) for v in values],
        "label": lambda value: label(request, value),
        "rooms_pairs": lambda rooms: [(str(r.id), r.name) for r in rooms],
        "staff_pairs": lambda rows: [(str(r.id), f"{r.first_name} {r.last_name} ({r.email}) · {r.role}")
                                     for r in rows],
        "without": lambda form, *keys: {k: v for k, v in form.items() if k not in keys},
    }


def render(request, template, ctx=None, event=None, status=200, again=None):
    """``template`` with the layout, ``ctx`` and ``again`` over it (a page shown again after a
    failed form: its values and errors)."""
    data = layout(request, event if event is not None else (ctx or {}).get("event"))
    data.update(ctx or {})
    data.update(again or {})
    if not template.count(":"):
        template = tpl(template)
    resp = render_to_response(template, data, request=request)
    resp.status = status
    return resp


def flash(request, message, **mapping):
    """A message for the next page, in the page's language (``${name}`` from ``mapping``)."""
    request.session.flash(translate(request, message, **mapping))


def redirect(request, route, **kw):
    query = kw.pop("_query", None)
    url = request.route_url(route, **{k: str(v) for k, v in kw.items()})
    if query:
        url += "?" + urlencode(query)
    return HTTPFound(location=url)


def form_error(exc: errors.DomainError) -> dict:
    """``{field: message}`` from a domain error (colander errors name every field)."""
    out = {}
    colander_error = getattr(exc, "colander_error", None)
    if colander_error is not None:  # colander's messages in the page's language
        from makeplus_core.plugin_api import i18n

        request = i18n.get_current_request()
        if request is not None:
            return {k: i18n.translate_message(request, v)
                    for k, v in colander_error.asdict(translate=request.localizer.translate).items()}
    for item in exc.extra.get("errors") or []:
        out[item["name"]] = item["description"]
    field = exc.field or "__all__"
    message = exc.message
    from makeplus_core.plugin_api import i18n

    message = i18n.translate_message(i18n.get_current_request(), message)
    if field != "__all__" and message.startswith(f"{field}: "):
        message = message[len(field) + 2:]
    out.setdefault(field, message)
    return out


def post_data(request, *skip) -> dict:
    """The posted form without the CSRF token and empty strings (absent, like the API's nulls)."""
    return {k: v.strip() if isinstance(v, str) else v for k, v in request.POST.items()
            if k not in ("csrf_token", *skip) and not (isinstance(v, str) and v.strip() == "")}


def paginate(request, db, stmt, size=PAGE_SIZE, scalars=True) -> dict:
    """Server-side pagination on ``?page=`` (two queries: a count and the page)."""
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    total = db.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, math.ceil(total / size))
    page = min(page, pages)
    query = stmt.limit(size).offset((page - 1) * size)
    rows = db.scalars(query).unique().all() if scalars else db.execute(query).all()

    def link(n):
        params = {k: v for k, v in request.GET.items() if k != "page"}
        params["page"] = n
        return f"{request.path_url}?{urlencode(params)}"

    return {"rows": rows, "page": page, "pages": pages, "total": total,
            "prev_url": link(page - 1) if page > 1 else None,
            "next_url": link(page + 1) if page < pages else None,
            "q": request.GET.get("q", "")}


def parse_uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def not_found():
    return HTTPNotFound()
