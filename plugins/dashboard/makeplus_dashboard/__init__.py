"""MakePlus plugin ``dashboard``: the administrators' web dashboard under ``/dashboard/``.

Server-rendered pages (Jinja2, cookie session, CSRF on every form) for platform
admins and gestionnaires des salles: events (list, creation wizard, detail with
charts, edit, delete), rooms, sessions and users. Other plugins add their pages
through the ``makeplus_dashboard_pages`` hook (see docs/dashboard.md).

Hooks: ``makeplus_includeme`` (its routes, pages, static files, and the other plugins' pages gathered
through ``makeplus_dashboard_pages``).
"""
from __future__ import annotations

from pyramid.security import NO_PERMISSION_REQUIRED

from makeplus_core.plugin_api import api, hookimpl

from .core import EVENT, PREFIX, Dashboard


def _routes(config):
    r = config.add_route
    r("dashboard.home", f"{PREFIX}/")
    r("dashboard.login", f"{PREFIX}/login/")
    r("dashboard.logout", f"{PREFIX}/logout/")
    r("dashboard.switch", f"{PREFIX}/switch/")
    r("dashboard.event_new", f"{PREFIX}/events/new/")
    e = f"{PREFIX}/events/{EVENT}"
    r("dashboard.event", f"{e}/")
    r("dashboard.event_edit", f"{e}/edit/")
    r("dashboard.event_delete", f"{e}/delete/")
    r("dashboard.event_archive", f"{e}/archive/")
    r("dashboard.event_restore", f"{e}/restore/")
    r("dashboard.wizard", f"{e}/wizard/{{step}}/")
    r("dashboard.rooms", f"{e}/rooms/")
    room = f"{e}/rooms/{{room:{api.UUID}}}"
    r("dashboard.room", f"{room}/")
    r("dashboard.room_delete", f"{room}/delete/")
    r("dashboard.room_assign", f"{room}/assign/")
    r("dashboard.room_unassign", f"{room}/assign/{{assignment:{api.UUID}}}/delete/")
    r("dashboard.sessions", f"{e}/sessions/")
    r("dashboard.session_new", f"{e}/sessions/new/")
    session = f"{e}/sessions/{{session:{api.UUID}}}"
    r("dashboard.session", f"{session}/")
    r("dashboard.session_delete", f"{session}/delete/")
    r("dashboard.users", f"{e}/users/")
    r("dashboard.user", f"{e}/users/{{user:\\d+}}/")
    r("dashboard.user_qr", f"{e}/users/{{user:\\d+}}/qr.{{fmt:png|svg}}")
    from .imports import routes as organiser_routes

    organiser_routes(config, e)
    from .organiser import routes as activity_export_routes

    activity_export_routes(config, e)


def _plugin_pages(config, dashboard: Dashboard):
    from .organiser import register_core
    from .plugin_pages import register

    register_core(dashboard)
    pm = config.registry.makeplus.plugins
    for impl in pm.hook.makeplus_dashboard_pages.get_hookimpls():
        dashboard._plugin = impl.plugin_name
        impl.function(dashboard=dashboard)
    dashboard._plugin = None
    for page in dashboard.pages.values():
        register(config, page)


@hookimpl
def makeplus_includeme(config):
    dashboard = Dashboard()
    config.add_request_method(lambda request: dashboard, "dashboard", property=True)
    config.add_static_view(f"{PREFIX}/static", "makeplus_dashboard:static", cache_max_age=3600,
                           permission=NO_PERMISSION_REQUIRED)
    _routes(config)
    config.scan("makeplus_dashboard.pages")
    config.scan("makeplus_dashboard.errors")
    config.scan("makeplus_dashboard.imports")
    config.scan("makeplus_dashboard.organiser")
    _plugin_pages(config, dashboard)
