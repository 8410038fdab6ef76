"""CORS for the mobile and web clients, configured in the INI.

``makeplus.cors.origins``: space-separated allowed origins, or ``*`` (any origin).
``makeplus.cors.allow_credentials`` (default false): send
``Access-Control-Allow-Credentials: true`` to the listed origins. The API is bearer-only
(cookies authenticate the web pages, never the JSON API), so clients need no credentials.
With ``*`` the answer is the literal ``Access-Control-Allow-Origin: *`` without
credentials: an arbitrary origin is never reflected back with credentials, and asking
for both is a start-up error.
Pre-flight ``OPTIONS`` requests are answered here, before routing.
"""
from __future__ import annotations

from pyramid.exceptions import ConfigurationError
from pyramid.response import Response

from .headers import add_vary, set_header

ALLOW_HEADERS = ("accept, accept-encoding, authorization, content-type, dnt, origin, user-agent, "
                 "x-csrftoken, x-requested-with, idempotency-key, x-scan-id")
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
NO_CORS: dict = {}  # the answer to a request without an allowed Origin: no header to add (never mutated)


def cors_tween_factory(handler, registry):
    settings = registry.settings
    origins = set((settings.get("makeplus.cors.origins") or "").split())
    allow_any = "*" in origins
    credentials = str(settings.get("makeplus.cors.allow_credentials", "false")).lower() == "true"
    if allow_any and credentials:
        raise ConfigurationError(
            "makeplus.cors.origins = * cannot be combined with makeplus.cors.allow_credentials = true: "
            "list the allowed origins, or leave credentials off (the API uses bearer tokens)")
    max_age = str(settings.get("makeplus.cors.max_age", 3600))

    def headers_for(origin):
        if not origin or not (allow_any or origin in origins):
            return NO_CORS
        h = {"Access-Control-Allow-Origin": "*" if allow_any else origin,
             "Access-Control-Expose-Headers": "Retry-After, Content-Disposition, Location"}
        if credentials:
            h["Access-Control-Allow-Credentials"] = "true"
        return h

    def tween(request):
        environ = request.environ
        cors = headers_for(environ.get("HTTP_ORIGIN"))
        if cors is NO_CORS and environ["REQUEST_METHOD"] != "OPTIONS":
            return handler(request)  # no Origin (or not ours): nothing to add
        if request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            resp = Response(status=204)
            if cors:
                resp.headers.update(cors)
                resp.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
                resp.headers["Access-Control-Allow-Headers"] = request.headers.get(
                    "Access-Control-Request-Headers", ALLOW_HEADERS)
                resp.headers["Access-Control-Max-Age"] = max_age
            return resp
        response = handler(request)
        for name, value in cors.items():
            set_header(response, name, value)
        if cors and not allow_any:  # the answer depends on the Origin
            add_vary(response, "Origin")
        return response

    return tween


def includeme(config):
    config.add_tween("makeplus_core.cors.cors_tween_factory",
                     under="makeplus_core.headers.security_headers_tween_factory")
