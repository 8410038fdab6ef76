"""Input in views: the parsed body, colander validation, query parameters and ids.

The body itself is parsed and checked once, before the view, by :mod:`.body`; views read
it with :func:`json_body` and validate it with :func:`validate` (a 400 naming the field).
"""
from __future__ import annotations

import uuid

import colander

from .. import errors
from ..schema import INT_MAX, to_int
from . import body


def json_body(request) -> dict:
    """The request's JSON object (or form fields for multipart/urlencoded posts).

    Parsed once by :mod:`makeplus_core.api.body` (size, media type, strict JSON); unknown
    fields are left for the schema to ignore.
    """
    data = body.body(request)
    if not isinstance(data, dict):
        raise errors.Invalid("body: must be a JSON object", field="body")
    return dict(data)  # a copy: views may change it, a retried request parses nothing twice


def json_body_in_event(request, event_id, renames=()) -> dict:
    """:func:`json_body` for a write inside ``event_id``: each ``(alias, name)`` of
    ``renames`` moves ``alias`` to ``name`` (unless ``name`` is given too), and an
    ``event``/``event_id`` field, dropped, must name ``event_id`` (else 404)."""
    raw = json_body(request)
    for alias, name in renames:
        if alias in raw and name not in raw:
            raw[name] = raw.pop(alias)
    value = raw.pop("event", None) or raw.pop("event_id", None)
    if value and parse_uuid(value, "event") != event_id:
        raise errors.NotFound("Event not found", field="event")
    return raw


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
        raise err from None


def param(request, *names, default=None):
    """The first query parameter present among ``names`` (aliases like event/event_id)."""
    for name in names:
        value = request.GET.get(name)
        if value not in (None, ""):
            return value
    return default


def path_int(request, name: str = "id", label: str = "Object") -> int:
    """An integer id from the URL path; one the database cannot hold does not exist (404)."""
    try:
        return to_int(request.matchdict[name], name, minimum=1, maximum=INT_MAX)
    except errors.Invalid:
        raise errors.NotFound(f"{label} not found", field=name) from None


def parse_uuid(value, field: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise errors.Invalid(f"{field}: not a valid id", field=field) from None


def parse_bool(value, field: str) -> bool | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise errors.Invalid(f"{field}: must be true or false", field=field)
