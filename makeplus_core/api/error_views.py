"""The one JSON error shape of every refusal and failure, and the views that answer with it.

``{"error": code, "message": text, "detail": text, "field"?, "errors"?}``: domain errors
(:mod:`makeplus_core.errors`), Cornice validation, Pyramid's HTTP exceptions (404, 405 …),
a write the database refuses (:mod:`makeplus_core.dberrors`) and any other exception
(a 500 carrying the request id). ``message``, ``detail`` and ``errors[].description``
follow the request's language (:mod:`makeplus_core.i18n`); ``error`` and ``field`` never
change. :func:`includeme` registers every view.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPException
from pyramid.response import Response
from pyramid.threadlocal import get_current_request

from .. import errors
from ..dberrors import classify
from ..i18n import localize_error_body
from .json import json_response

log = logging.getLogger(__name__)

_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
          429: "rate_limited"}
NOT_AUTHENTICATED = "Authentication credentials were not provided or are invalid"
NOT_ALLOWED = "You do not have permission to perform this action"


def _answer(request, code: str, message: str, status: int, headers: dict | None = None, **extra) -> Response:
    """The error shape without a field, in the request's language."""
    body = localize_error_body(request, {"error": code, "message": message, "detail": message, **extra})
    return json_response(body, status=status, headers=headers)


def error_response(exc: errors.DomainError, request=None) -> Response:
    """The JSON answer of a domain error (also used by tweens, outside the exception views)."""
    headers = {}
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, errors.NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    body = localize_error_body(request or get_current_request(), exc.as_json(),
                               getattr(exc, "colander_error", None))
    return json_response(body, status=exc.status, headers=headers)


def cornice_error_handler(request) -> Response:
    """Cornice's own validation errors (``request.errors``), in our shape."""
    errs = list(request.errors)
    first = errs[0] if errs else {}
    field = first.get("name")
    msg = first.get("description") or "Invalid request"
    return _answer(request, "validation_failed", f"{field}: {msg}" if field else msg,
                   request.errors.status or 400, detail=msg, field=field, errors=errs)


def request_id(request) -> str | None:
    return request.environ.get("makeplus.request_id")


def server_error_response(request, exc) -> Response:
    """A JSON 500 carrying the request id, after logging ``exc`` with its traceback."""
    rid = request_id(request)
    log.error("Unhandled error on %s %s (request %s)", request.method, request.path, rid, exc_info=exc)
    body = {"error": "server_error", "message": "Internal server error", "detail": "Internal server error",
            "request_id": rid}
    return json_response(body, status=500)


def forbidden_view(request) -> Response:
    """401 when nobody (or only a temporary token) is authenticated, else 403."""
    ident = request.identity
    if ident is None or ident.kind != "access":
        msg = NOT_AUTHENTICATED if ident is None else "This token can only be used to select an event"
        return _answer(request, "not_authenticated", msg, 401, headers={"WWW-Authenticate": "Bearer"})
    return _answer(request, "forbidden", NOT_ALLOWED, 403)


def notfound_view(request) -> Response:
    return _answer(request, "not_found", f"Not found: {request.path}", 404)


def _domain_error_view(exc, request):
    return error_response(exc, request)


def _http_exception_view(exc, request):
    status = exc.status_int
    if status < 400:
        return exc
    message = str(exc.detail or exc.explanation or exc.title)
    resp = _answer(request, _CODES.get(status, "error"), message, status)
    for key in ("Allow", "WWW-Authenticate", "Retry-After", "Location"):
        if key in exc.headers:
            resp.headers[key] = exc.headers[key]
    return resp


def _database_error_view(exc, request):
    """A write the database refused: the client's input (a 4xx), or a real server fault.

    Validation runs before any flush, so reaching this is a gap in validation: it is
    logged (with the request id) so that it gets fixed, and answered without SQL.
    """
    answer = classify(exc)
    if answer is None:
        return server_error_response(request, exc)
    log.warning("Database refused a write on %s %s (request %s): %s", request.method, request.path,
                request_id(request), answer.message)
    return error_response(answer, request)


def _server_error_view(exc, request):
    return server_error_response(request, exc)


def includeme(config):
    config.add_view(_domain_error_view, context=errors.DomainError)
    config.add_view(_http_exception_view, context=HTTPException)
    config.add_view(_database_error_view, context=sa.exc.DBAPIError)
    config.add_view(_server_error_view, context=Exception)
    # No clash with Cornice's own: main() sets handle_exceptions = false, so Cornice registers none.
    config.add_forbidden_view(forbidden_view)
    config.add_notfound_view(notfound_view)
