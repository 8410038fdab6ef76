from __future__ import annotations

import sqlalchemy as sa
from pyramid.security import NO_PERMISSION_REQUIRED

from .. import __version__, api
from ..plugins import enabled_names, plugin_version
from . import openapi

PUBLIC = NO_PERMISSION_REQUIRED

root = api.service("root", "/api/", "Capabilities: version and enabled plugins")
health = api.service("health", "/api/health/", "Health check (database reachable)")
spec = api.service("openapi", "/api/openapi.json", "This API's OpenAPI document")


def capabilities(request) -> dict:
    return request.registry["makeplus.capabilities"]


def compute_capabilities(registry) -> dict:
    """Enabled plugins, their versions and what they declare through
    ``makeplus_capabilities``: computed once at start-up, after the plugins' declarations
    are collected (scanning the installed distributions' metadata costs milliseconds, far
    more than the request itself)."""
    from ..extensions import of

    names = enabled_names(registry.settings)
    extra = of(registry).capabilities
    return {name: {**extra.get(name, {}), "version": plugin_version(name)} for name in names}


@root.get(permission=PUBLIC)
def root_view(request):
    return {
        "project_name": "MakePlus",
        "project_version": __version__,
        "url": request.route_url("root"),
        "documentation": request.application_url + "/api/docs/",
        "openapi": request.route_url("openapi"),
        "capabilities": capabilities(request),
        **event_modules(request),
    }


def event_modules(request) -> dict:
    """For a caller working in an event: ``{"event": id, "modules": [plugins it uses]}``."""
    try:
        ident = request.identity
    except Exception:  # noqa: BLE001 - the root answers anonymous callers too
        ident = None
    if ident is None or ident.event_id is None:
        return {}
    from ..modules import enabled_for

    return {"event": str(ident.event_id),
            "modules": enabled_for(request.registry, request.dbsession, ident.event_id)}


@health.get(permission=PUBLIC)
def health_view(request):
    try:
        request.dbsession.execute(sa.text("SELECT 1"))
        db_ok = True
    except sa.exc.SQLAlchemyError:
        db_ok = False
    body = {"status": "ok" if db_ok else "error", "database": "ok" if db_ok else "unreachable",
            "version": __version__, "plugins": list(request.registry["makeplus.capabilities"])}
    if not db_ok:
        request.response.status = 503
    return body


@spec.get(permission=PUBLIC)
def openapi_view(request):
    return openapi.build(request)


def includeme(config):
    config.scan(__name__)
    openapi.include_swagger_ui(config)
