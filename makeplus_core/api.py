"""Our thin layer over Cornice and Pyramid for REST views.

Views use: :func:`service` to declare a Cornice service, :func:`validate` to run a
colander schema over the body (400 naming the field), :func:`paginate` for lists,
:func:`require_event` / :func:`require_role` for scoping and roles, :func:`get_or_404`
to resolve ids inside the caller's event. Errors are :mod:`makeplus_core.errors`
exceptions, rendered by the exception views registered in :func:`includeme` with one
JSON shape: ``{"error": code, "message": text, "detail": text, "field"?, "errors"?}``.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
import uuid
from urllib.parse import urlencode

import colander
import cornice
import sqlalchemy as sa
from pyramid.httpexceptions import HTTPException
from pyramid.renderers import JSON
from pyramid.response import Response
from pyramid.threadlocal import get_current_request

from . import errors, inputs
from .roles import GESTIONNAIRE

log = logging.getLogger(__name__)

#: The route pattern of a UUID path segment (with or without dashes), the one for every
#: route: ``f"/api/rooms/{{id:{api.UUID}}}/"`` or, for the common ``id`` segment, ``api.UUID_ID``.
UUID = "[0-9a-fA-F-]{32,36}"
UUID_ID = "{id:" + UUID + "}"

# --------------------------------------------------------------------------- services


def service(name: str, path: str, description: str | None = None, **kwargs) -> cornice.Service:
    """A Cornice service with our defaults (JSON errors, CORS handled by our tween)."""
    kwargs.setdefault("cors_enabled", False)
    kwargs.setdefault("renderer", "json")  # our JSON renderer (datetimes with Z, decimals as strings)
    kwargs.setdefault("error_handler", cornice_error_handler)
    kwargs.setdefault("depth", 2)  # venusian must see the caller's module, not this one
    return cornice.Service(name=name, path=path, description=description or name, **kwargs)


def doc(body_schema=None, querystring=None):
    """A request schema for the OpenAPI document: ``body`` and/or ``querystring``.

    Pass the result as ``schema=`` to a Cornice view decorator. Validation itself is
    done in the view with :func:`validate`, so aliases and partial updates stay ours.
    """

    class RequestSchema(colander.MappingSchema):
        pass

    node = RequestSchema()
    if body_schema is not None:
        node.add(body_schema(name="body") if isinstance(body_schema, type) else body_schema.clone())
        node["body"].name = "body"
    if querystring is not None:
        node.add(querystring(name="querystring") if isinstance(querystring, type) else querystring.clone())
        node["querystring"].name = "querystring"
    return node


def cornice_error_handler(request):
    errs = list(request.errors)
    first = errs[0] if errs else {}
    field = first.get("name")
    msg = first.get("description") or "Invalid request"
    body = {"error": "validation_failed", "message": f"{field}: {msg}" if field else msg,
            "detail": msg, "field": field, "errors": errs}
    resp = json_response(_localized(request, body), status=request.errors.status or 400)
    return resp


# --------------------------------------------------------------------------- JSON


def json_dumps(data) -> str:
    return json.dumps(data, default=_json_default, ensure_ascii=False)


def _json_default(obj):
    if isinstance(obj, dt.datetime):
        return isoformat(obj)
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, decimal.Decimal):
        return str(obj)
    if isinstance(obj, uuid.UUID):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def isoformat(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def money(value) -> str | None:
    """Prices as the seed shows them: strings with two decimals ("5000.00")."""
    if value is None:
        return None
    return str(decimal.Decimal(value).quantize(decimal.Decimal("0.01")))


def json_renderer() -> JSON:
    renderer = JSON(ensure_ascii=False)
    renderer.add_adapter(dt.datetime, lambda v, r: isoformat(v))
    renderer.add_adapter(dt.date, lambda v, r: v.isoformat())
    renderer.add_adapter(decimal.Decimal, lambda v, r: str(v))
    renderer.add_adapter(uuid.UUID, lambda v, r: str(v))
    return renderer


def no_content() -> Response:
    """The answer of a successful DELETE: 204 with no body."""
    return Response(status=204)


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    resp = Response(json_dumps(body), status=status, content_type="application/json", charset="utf-8")
    if headers:
        resp.headers.update(headers)
    return resp


# --------------------------------------------------------------------------- input


def json_body(request) -> dict:
    """The request's JSON object (or form fields for multipart/urlencoded posts).

    Parsed once by :mod:`makeplus_core.inputs` (size, media type, strict JSON); unknown
    fields are left for the schema to ignore.
    """
    data = inputs.body(request)
    if not isinstance(data, dict):
        raise errors.Invalid("body: must be a JSON object", field="body")
    return dict(data)  # a copy: views may change it, a retried request parses nothing twice


def validate(schema: colander.SchemaNode, data: dict, partial: bool = False) -> dict:
    """Deserialize ``data`` with ``schema``; a failure raises a 400 naming the field(s).

    With ``partial`` (PATCH), fields absent from ``data`` are not required and are
    left out of the result; fields present are validated as usual.
    """
    if partial:
        schema = schema.clone()
        for node in schema.children:
            node.missing = colander.drop
    try:
        return schema.deserialize(data)
    except colander.Invalid as exc:
        flat = exc.asdict()
        errs = [{"location": "body", "name": k, "description": v} for k, v in flat.items()]
        first = errs[0]
        err = errors.Invalid(f"{first['name']}: {first['description']}", field=first["name"], errors=errs)
        err.colander_error = exc  # translated when rendered (Accept-Language)
        raise err


def param(request, *names, default=None):
    """The first query parameter present among ``names`` (aliases like event/event_id)."""
    for name in names:
        value = request.GET.get(name)
        if value not in (None, ""):
            return value
    return default


def path_int(request, name: str = "id", label: str = "Object") -> int:
    """An integer id from the URL path; one the database cannot hold does not exist (404)."""
    from .schema import INT_MAX, to_int

    try:
        return to_int(request.matchdict[name], name, minimum=1, maximum=INT_MAX)
    except errors.Invalid:
        raise errors.NotFound(f"{label} not found", field=name)


def parse_uuid(value, field: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise errors.Invalid(f"{field}: not a valid id", field=field)


def parse_bool(value, field: str) -> bool | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise errors.Invalid(f"{field}: must be true or false", field=field)


# --------------------------------------------------------------------------- scoping


def identity(request):
    ident = request.identity
    if ident is None:
        raise errors.NotAuthenticated("Authentication credentials were not provided or are invalid")
    return ident


def require_event(request) -> uuid.UUID:
    """The event the request works in: the token's event.

    A platform admin may name another event with ``?event=``/``?event_id=``. For
    anyone else, naming an event other than the token's is a 404 (another event's
    objects do not exist for them).
    """
    ident = identity(request)
    asked = param(request, "event", "event_id")
    if asked is not None:
        asked = parse_uuid(asked, "event")
        if ident.is_admin:
            _check_module(request, asked)
            return asked
        if asked != ident.event_id:
            raise errors.NotFound("Event not found", field="event")
    if ident.event_id is None:
        raise errors.Forbidden("Select an event first (POST /api/auth/select-event/)")
    _check_module(request, ident.event_id)
    return ident.event_id


def _check_module(request, event_id) -> None:
    """A plugin's view working in an event that switched the plugin off: 404 (docs/plugins.md)."""
    from .modules import check_request

    check_request(request, event_id)


def role_in_event(request, event_id) -> str | None:
    ident = identity(request)
    if event_id == ident.event_id:
        return ident.role
    from .events.models import UserEventAssignment

    return request.dbsession.scalar(
        sa.select(UserEventAssignment.role).where(
            UserEventAssignment.user_id == ident.user_id,
            UserEventAssignment.event_id == event_id,
            UserEventAssignment.is_active.is_(True),
        )
    )


def require_role(request, *roles: str, event_id=None) -> str | None:
    """403 unless the caller holds one of ``roles`` in the event (admins always pass)."""
    ident = identity(request)
    if ident.is_admin:
        return "admin"
    role = role_in_event(request, event_id or require_event(request))
    if role not in roles:
        raise errors.Forbidden("You do not have permission to perform this action")
    return role


def require_gestionnaire(request, event_id=None):
    return require_role(request, GESTIONNAIRE, event_id=event_id)


def get_or_404(db, model, obj_id, event_id=None, label: str | None = None, field: str = "id"):
    """Load ``model`` by id inside ``event_id``; anything else is a 404."""
    label = label or model.__name__
    oid = obj_id
    pk_type = model.__table__.primary_key.columns.values()[0].type
    if isinstance(pk_type, sa.Uuid):
        try:
            oid = uuid.UUID(str(obj_id))
        except (TypeError, ValueError):
            raise errors.NotFound(f"{label} not found", field=field)
    elif isinstance(pk_type, sa.Integer):
        from .schema import to_int

        try:
            oid = to_int(obj_id, field, minimum=1)
        except errors.Invalid:
            raise errors.NotFound(f"{label} not found", field=field)
    obj = db.get(model, oid)
    if obj is None or (event_id is not None and getattr(obj, "event_id", event_id) != event_id):
        raise errors.NotFound(f"{label} not found", field=field)
    return obj


# --------------------------------------------------------------------------- pagination


def page_params(request) -> tuple[int, int]:
    from .schema import INT_MAX, to_int

    settings = request.registry.settings
    default = int(settings.get("makeplus.page_size", 200))
    maximum = int(settings.get("makeplus.max_page_size", 1000))
    page = to_int(request.GET.get("page", 1), "page", minimum=1, maximum=INT_MAX)
    size = to_int(request.GET.get("page_size", default), "page_size", minimum=1, maximum=maximum)
    return page, size


def paginate(request, stmt, serialize) -> dict:
    """Run ``stmt`` (a ``select`` of one entity) one page at a time.

    Two statements whatever the page size: a count and the page itself.
    ``serialize(rows)`` turns the page's objects into JSON-ready dicts in bulk.
    """
    page, size = page_params(request)
    db = request.dbsession
    total = db.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.scalars(stmt.limit(size).offset((page - 1) * size)).unique().all()
    return {
        "count": total,
        "next": _page_url(request, page + 1) if page * size < total else None,
        "previous": _page_url(request, page - 1) if page > 1 else None,
        "results": serialize(rows),
    }


def _page_url(request, page: int) -> str:
    query = dict(request.GET)
    query["page"] = page
    return f"{request.path_url}?{urlencode(query)}"


# --------------------------------------------------------------------------- error views


def error_response(exc: errors.DomainError, request=None) -> Response:
    """The JSON answer of a domain error (also used by tweens, outside the exception views).

    ``message``/``detail``/``errors[].description`` follow the request's language when the
    catalog knows them (:mod:`makeplus_core.i18n`); ``error`` and ``field`` never change."""
    from .i18n import localize_error_body

    headers = {}
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, errors.NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    body = localize_error_body(request or get_current_request(), exc.as_json(),
                               getattr(exc, "colander_error", None))
    return json_response(body, status=exc.status, headers=headers)


def _domain_error_view(exc, request):
    return error_response(exc, request)


_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
          429: "rate_limited"}


def _http_exception_view(exc, request):
    status = exc.status_int
    if status < 400:
        return exc
    message = exc.detail or exc.explanation or exc.title
    body = {"error": _CODES.get(status, "error"), "message": str(message), "detail": str(message)}
    resp = json_response(_localized(request, body), status=status)
    for key in ("Allow", "WWW-Authenticate", "Retry-After", "Location"):
        if key in exc.headers:
            resp.headers[key] = exc.headers[key]
    return resp


def request_id(request) -> str | None:
    return request.environ.get("makeplus.request_id")


def server_error_response(request, exc) -> Response:
    """A JSON 500 carrying the request id, after logging ``exc`` with its traceback."""
    rid = request_id(request)
    log.error("Unhandled error on %s %s (request %s)", request.method, request.path, rid, exc_info=exc)
    body = {"error": "server_error", "message": "Internal server error", "detail": "Internal server error",
            "request_id": rid}
    return json_response(body, status=500)


def _server_error_view(exc, request):
    return server_error_response(request, exc)


def _database_error_view(exc, request):
    """A write the database refused: the client's input (a 4xx), or a real server fault.

    Validation runs before any flush, so reaching this is a gap in validation: it is
    logged (with the request id) so that it gets fixed, and answered without SQL.
    """
    from .dberrors import classify

    answer = classify(exc)
    if answer is None:
        return server_error_response(request, exc)
    log.warning("Database refused a write on %s %s (request %s): %s", request.method, request.path,
                request_id(request), answer.message)
    return error_response(answer, request)


def forbidden_view(request):
    """401 when nobody (or only a temporary token) is authenticated, else 403."""
    ident = request.identity
    if ident is None or ident.kind != "access":
        msg = "Authentication credentials were not provided or are invalid"
        if ident is not None:
            msg = "This token can only be used to select an event"
        return json_response(_localized(request, {"error": "not_authenticated", "message": msg, "detail": msg}),
                             status=401, headers={"WWW-Authenticate": "Bearer"})
    msg = "You do not have permission to perform this action"
    return json_response(_localized(request, {"error": "forbidden", "message": msg, "detail": msg}), status=403)


def notfound_view(request):
    msg = f"Not found: {request.path}"
    return json_response(_localized(request, {"error": "not_found", "message": msg, "detail": msg}), status=404)


def _localized(request, body: dict) -> dict:
    from .i18n import localize_error_body

    return localize_error_body(request, body)


def _no_shared_cache(event):
    """API answers are per caller: no proxy or browser cache may serve them to anyone else."""
    request, response = event.request, event.response
    path = request.environ.get("PATH_INFO", "")  # the raw path: no decoding, no quoting per request
    if path.startswith("/api/") and not path.startswith("/api/docs/static/"):
        response.headers.setdefault("Cache-Control", "private, no-store")
        vary = {v.strip() for v in (response.headers.get("Vary") or "").split(",") if v.strip()}
        response.headers["Vary"] = ", ".join(sorted(vary | {"Authorization"}))


def includeme(config):
    from pyramid.events import NewResponse

    config.add_subscriber(_no_shared_cache, NewResponse)
    config.add_view(_domain_error_view, context=errors.DomainError)
    config.add_view(_http_exception_view, context=HTTPException)
    config.add_view(_database_error_view, context=sa.exc.DBAPIError)
    config.add_view(_server_error_view, context=Exception)
    config.include(".inputs")
