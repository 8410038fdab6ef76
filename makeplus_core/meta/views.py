from __future__ import annotations

from pyramid.security import NO_PERMISSION_REQUIRED

from .. import api
from ..extensions import of
from ..modules import enabled_for
from ..plugins import enabled_names, plugin_version
from . import fast, openapi

PUBLIC = NO_PERMISSION_REQUIRED


def capabilities(request) -> dict:
    return request.registry.makeplus.capabilities


def compute_capabilities(registry) -> dict:
    """Enabled plugins, their versions and what they declare through
    ``makeplus_capabilities``: computed once at start-up, after the plugins' declarations
    are collected (scanning the installed distributions' metadata costs milliseconds, far
    more than the request itself)."""
    names = enabled_names(registry.settings)
    extra = of(registry).capabilities
    return {name: {**extra.get(name, {}), "version": plugin_version(name)} for name in names}


root = api.service("root", "/api/", "Capabilities: version and enabled plugins")


@root.get(permission=PUBLIC)
def root_view(request):
    # Anonymous GETs are answered by makeplus_core.meta.fast (same body, precomputed).
    return {**fast.root_body(request), "capabilities": capabilities(request), **event_modules(request)}


def event_modules(request) -> dict:
    """For a caller working in an event: ``{"event": id, "modules": [plugins it uses]}``."""
    try:
        ident = request.identity
    except Exception:  # noqa: BLE001 - the root answers anonymous callers too
        ident = None
    if ident is None or ident.event_id is None:
        return {}
    return {"event": str(ident.event_id),
            "modules": enabled_for(request.registry, request.dbsession, ident.event_id)}


health = api.service("health", "/api/health/", "Health check (database reachable)")


@health.get(permission=PUBLIC)
def health_view(request):
    # GETs are answered by makeplus_core.meta.fast (this view serves HEAD): liveness, the
    # database as last probed (at most every makeplus.health.db_check_interval seconds).
    ok = fast.probe(request.registry).state()
    if not ok:
        request.response.status = 503
    return fast.health_body(request.registry, ok)


spec = api.service("openapi", "/api/openapi.json", "This API's OpenAPI document")


@spec.get(permission=PUBLIC)
def openapi_view(request):
    return openapi.build(request)


def includeme(config):
    config.scan(__name__)
    openapi.include_swagger_ui(config)
