"""CORS for the mobile and web clients, configured in the INI.

``makeplus.cors.origins``: space-separated allowed origins, or ``*``.
``makeplus.cors.allow_credentials``: send ``Access-Control-Allow-Credentials``.
Pre-flight ``OPTIONS`` requests are answered here, before routing.
"""
from __future__ import annotations

from pyramid.response import Response

ALLOW_HEADERS = ("accept, accept-encoding, authorization, content-type, dnt, origin, user-agent, "
                 "x-csrftoken, x-requested-with, idempotency-key, x-scan-id")
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"


def cors_tween_factory(handler, registry):
    settings = registry.settings
    origins = set((settings.get("makeplus.cors.origins") or "").split())
    allow_any = "*" in origins
    credentials = str(settings.get("makeplus.cors.allow_credentials", "true")).lower() == "true"
    max_age = str(settings.get("makeplus.cors.max_age", 3600))

    def headers_for(origin):
        if not origin or not (allow_any or origin in origins):
            return {}
        h = {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
             "Access-Control-Expose-Headers": "Retry-After, Content-Disposition, Location"}
        if credentials:
            h["Access-Control-Allow-Credentials"] = "true"
        return h

    def tween(request):
        origin = request.headers.get("Origin")
        cors = headers_for(origin)
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            resp = Response(status=204)
            if cors:
                resp.headers.update(cors)
                resp.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
                resp.headers["Access-Control-Allow-Headers"] = request.headers.get(
                    "Access-Control-Request-Headers", ALLOW_HEADERS)
                resp.headers["Access-Control-Max-Age"] = max_age
            return resp
        response = handler(request)
        if cors:
            vary = {v.strip() for v in (response.headers.get("Vary") or "").split(",") if v.strip()}
            response.headers.update(cors)
            response.headers["Vary"] = ", ".join(sorted(vary | {"Origin"}))
        return response

    return tween


def includeme(config):
    config.add_tween("makeplus_core.cors.cors_tween_factory")
