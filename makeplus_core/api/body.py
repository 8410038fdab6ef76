"""The request body parser: every body and query string is checked here, once, before
any view, transaction or database work (views then use :mod:`.inputs`).

A tween (:func:`input_tween_factory`, just inside CORS, outside the idempotency and
transaction tweens) refuses, with our JSON error shape:

* a body larger than ``makeplus.max_body_bytes`` (default 1 MB) — for
  ``multipart/form-data`` the limit is ``makeplus.max_upload_bytes`` plus
  ``makeplus.max_body_bytes`` for the other fields — with **413**, from its
  ``Content-Length``, before a byte of it is parsed;
* a non-empty body that is neither JSON (``application/json``, ``*/*+json``) nor a form
  (``application/x-www-form-urlencoded``, ``multipart/form-data``) with **415**:
  ``text/plain`` is never parsed as JSON;
* with **400** naming the field: a form that cannot be parsed (e.g. multipart without a
  boundary), JSON that is not UTF-8 or not JSON, the non-standard ``NaN``/``Infinity``
  literals and numbers that overflow to them, nesting deeper than :data:`MAX_DEPTH`,
  and any string (key or value, body or query string) holding a NUL character or a
  lone UTF-16 surrogate (PostgreSQL stores neither).

The parsed body is kept in the WSGI environ; views read it with
:func:`makeplus_core.api.json_body` (never ``request.json_body``), so it is parsed once.
:func:`loads` is the strict JSON parser of any JSON text (:class:`makeplus_core.schema.JsonValue` uses it too).
Unknown JSON fields are ignored (see docs/security.md, "Input limits").
"""
from __future__ import annotations

import json
import math
import re

from .. import errors
from .error_views import error_response

DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_MAX_UPLOAD = 10 * 1024 * 1024
MAX_DEPTH = 32  # arrays/objects inside one another in a JSON body
BODY_KEY = "makeplus.body"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


def max_body_bytes(settings) -> int:
    return int(settings.get("makeplus.max_body_bytes", DEFAULT_MAX_BODY))


def max_upload_bytes(settings) -> int:
    return int(settings.get("makeplus.max_upload_bytes", DEFAULT_MAX_UPLOAD))


def is_json_type(ctype: str) -> bool:
    return ctype == "application/json" or (ctype.startswith("application/") and ctype.endswith("+json"))


# --------------------------------------------------------------------------- strings


def check_text(value: str, field: str) -> None:
    """400 naming ``field`` if ``value`` holds a NUL character or a lone surrogate."""
    bad = _BAD_CHARS.search(value)
    if bad is None:
        return
    if bad.group() == "\x00":
        raise errors.Invalid(f"{field}: must not contain NUL characters", field=field)
    raise errors.Invalid(f"{field}: is not valid Unicode (lone UTF-16 surrogate)", field=field)


def printable(name: str) -> str:
    """``name`` with NUL and lone surrogates escaped (``\\udfff``): safe to echo in an error."""
    return _BAD_CHARS.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def _path(parent: str | None, key) -> str:
    key = printable(key) if isinstance(key, str) else key
    return str(key) if parent is None else f"{parent}.{key}"


def check_json_value(value, max_depth: int = MAX_DEPTH, root: str | None = None) -> None:
    """Walk a parsed JSON value (iteratively): depth, strings, finite numbers.

    Errors name the field by its path (``metadata.tags.0``); ``root`` names the value
    itself when it is not a top-level body.
    """
    stack = [(value, root, 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            check_text(item, path or "body")
        elif isinstance(item, (dict, list)):
            if depth > max_depth:
                field = path or "body"
                raise errors.Invalid(f"{field}: nested deeper than {max_depth} levels", field=field)
            if isinstance(item, dict):
                for key, sub in item.items():
                    sub_path = _path(path, key)
                    check_text(key, sub_path)
                    stack.append((sub, sub_path, depth + 1))
            else:
                stack.extend((sub, _path(path, i), depth + 1) for i, sub in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            field = path or "body"
            raise errors.Invalid(f"{field}: must be a finite number", field=field)


# --------------------------------------------------------------------------- parsing


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def loads(data: bytes | str):
    """Strict JSON: UTF-8, no NaN/Infinity, bounded nesting, clean strings (400 on ``body``)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise errors.Invalid("body: is not UTF-8 encoded JSON", field="body") from None
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise errors.Invalid(f"body: nested deeper than {MAX_DEPTH} levels", field="body") from None
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, ints of more than 4300 digits
        raise errors.Invalid(f"body: is not valid JSON ({exc})", field="body") from exc
    check_json_value(value)
    return value


def _form_fields(request) -> dict:
    try:
        post = request.POST
        items = list(post.items())
    except (ValueError, UnicodeDecodeError, TypeError, KeyError, IndexError) as exc:
        raise errors.Invalid(f"body: the form cannot be parsed ({exc})", field="body") from exc
    fields = {}
    for key, value in items:
        check_text(key, printable(key) or "body")
        if hasattr(value, "file") or isinstance(value, bytes):
            continue  # a file (an empty <input type=file> arrives as b"")
        check_text(value, printable(key))
        fields[key] = value
    return fields


def _read_limited(request, limit: int) -> None:
    """413 if the body is larger than ``limit``, deciding from Content-Length when given."""
    length = request.content_length
    if length is not None:
        if length > limit:
            raise errors.TooLarge(f"body: larger than the limit of {limit} bytes", field="body", limit=limit)
        return
    if request.is_body_readable:  # chunked, no Content-Length: read no more than the limit
        data = request.body_file_raw.read(limit + 1)
        if len(data) > limit:
            raise errors.TooLarge(f"body: larger than the limit of {limit} bytes", field="body", limit=limit)
        request.body = data


def parse_request(request) -> None:
    """Check the query string and the body of ``request``; keep the parsed body."""
    try:
        query = list(request.GET.items())
    except UnicodeDecodeError:
        raise errors.Invalid("query: the query string is not UTF-8", field="query") from None
    for key, value in query:
        check_text(key, printable(key) or "query")
        check_text(value, printable(key))

    registry = getattr(request, "registry", None)  # None: a request built outside the app (hooks in scripts)
    settings = getattr(registry, "settings", None) or {}
    ctype = (request.content_type or "").lower()
    limit = max_body_bytes(settings)
    if ctype == "multipart/form-data":
        limit += max_upload_bytes(settings)
    _read_limited(request, limit)
    if not request.content_length:
        request.environ[BODY_KEY] = {}
        return
    if is_json_type(ctype):
        request.environ[BODY_KEY] = loads(request.body)
    elif ctype in FORM_TYPES:
        request.environ[BODY_KEY] = _form_fields(request)
    else:
        shown = ctype or "none"
        raise errors.UnsupportedMediaType(
            f"Content-Type: {shown} is not accepted; send JSON (application/json) or a form "
            "(multipart/form-data, application/x-www-form-urlencoded)", field="Content-Type")


def body(request):
    """The parsed body (JSON value, or the form's non-file fields); ``{}`` when empty."""
    if BODY_KEY not in request.environ:
        parse_request(request)
    return request.environ[BODY_KEY]


def input_tween_factory(handler, registry):
    def tween(request):
        try:
            body(request)  # parsed once, even when pyramid_retry runs the request again
        except errors.DomainError as exc:
            return error_response(exc)
        return handler(request)

    return tween


def includeme(config):
    config.add_tween("makeplus_core.api.body.input_tween_factory",
                     under="makeplus_core.cors.cors_tween_factory",
                     over="makeplus_core.idempotency.idempotency_tween_factory")
