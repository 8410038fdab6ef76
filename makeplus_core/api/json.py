"""JSON out: the one encoder of every answer and the helpers that shape values for it.

:func:`json_default` is the one conversion of the values ``json`` cannot write
(timezone-aware datetimes as ISO-8601 with ``Z``, dates, decimals as strings, UUIDs):
:func:`json_dumps` uses it, :func:`json_response` writes with it and the ``json``
renderer of Cornice views (:func:`json_renderer`) is :func:`json_dumps` too, so a view
returning a dict and a tween building its answer write the same bytes.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import orjson
from pyramid.renderers import JSON
from pyramid.response import Response


def isoformat(value: dt.datetime | None) -> str | None:
    """A datetime as the API writes it: UTC, ISO-8601, ``Z`` (a naive one is taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def money(value) -> str | None:
    """Prices as the seed shows them: strings with two decimals ("5000.00")."""
    if value is None:
        return None
    return str(decimal.Decimal(value).quantize(decimal.Decimal("0.01")))


def json_default(obj):
    """The JSON value of what ``json`` cannot write itself (the ``default`` of :func:`json.dumps`)."""
    if obj.__class__ is dt.datetime and obj.tzinfo is dt.UTC:  # most of them (read from the database)
        return obj.isoformat()[:-6] + "Z"  # :func:`isoformat`'s answer, without its checks
    if isinstance(obj, dt.datetime):
        return isoformat(obj)
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, (decimal.Decimal, uuid.UUID)):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


# orjson writes what ``json`` writes (same values once parsed: UTF-8 text as is, UUIDs as
# their string) about three times faster; dates and datetimes still go through
# :func:`json_default` (orjson would write a non-UTC offset as it is, not in UTC with ``Z``),
# and dataclasses too (``json`` refuses them: so does this encoder).
_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_dumps(data) -> str:
    try:
        return orjson.dumps(data, default=json_default, option=_ORJSON).decode()
    except orjson.JSONEncodeError:
        # what orjson refuses: integers past 64 bits, keys that are not strings, tuple subclasses,
        # values nothing can write (``json`` then writes them, or raises the same TypeError)
        return json.dumps(data, default=json_default, ensure_ascii=False)


def _render(value, **_renderer_kw) -> str:
    """Pyramid's JSON renderer passes its own ``default`` (adapters): ours is the one."""
    return json_dumps(value)


def json_renderer() -> JSON:
    """The ``json`` renderer of every view: :func:`json_dumps`."""
    return JSON(serializer=_render)


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    resp = Response(json_dumps(body), status=status, content_type="application/json", charset="utf-8")
    if headers:
        resp.headers.update(headers)
    return resp


def no_content() -> Response:
    """The answer of a successful DELETE: 204 with no body and no ``Content-Type``."""
    return Response(status=204)
