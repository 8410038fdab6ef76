"""The room door's fast lane: ``POST /api/rooms/{id}/verify_access/`` answered by a tween when
the door's one statement grants and records the scan (issue 20: the busiest endpoint).

A granted scan needs no transaction, no ORM session, no view lookup, Cornice or renderer: the
door's statement (:func:`makeplus_core.access.pipeline.load_door`) reads the caller's identity,
decides and inserts the journal row in one round trip on an autocommit connection. The tween
runs exactly that (:func:`~makeplus_core.access.pipeline.fast_room_scan`) and answers with the
same functions as the view. Everything else — another token, an ``Idempotency-Key``, an exit,
a denial, a first entry into a room with a capacity, a plugin that decides in Python, SQLite —
goes on to the view unchanged (the statement wrote nothing then).

It sits under the body parser (the body is checked and parsed as for every request; the
access log, security headers, CORS and the cache headers apply as to every answer) and over
the idempotency and transaction tweens. ``makeplus.door.fast_lane = false`` switches it off
(tests compare both paths: tests/test_door_fast_lane.py).
"""
from __future__ import annotations

import re
import uuid

from .. import errors
from ..api.error_views import error_response
from ..api.services import UUID
from . import pipeline

PATH = re.compile(rf"^/api/rooms/({UUID})/verify_access/$")


def door_tween_factory(handler, registry):
    settings = registry.settings
    if (registry.makeplus.db_engine.dialect.name != "postgresql"
            or str(settings.get("makeplus.door.fast_lane", "true")).lower() not in ("true", "1", "yes")):
        return handler

    def tween(request):
        if request.method != "POST":
            return handler(request)
        found = PATH.match(request.path_info)
        if found is None:
            return handler(request)
        try:
            room_id = uuid.UUID(found.group(1))
        except ValueError:
            return handler(request)  # the view answers the malformed id
        try:
            answer = pipeline.fast_room_scan(request, room_id)
        except errors.DomainError as exc:  # over the limit (429)
            return error_response(exc)
        if answer is None:
            return handler(request)
        return pipeline.respond(answer)

    return tween


def includeme(config):
    config.add_tween("makeplus_core.access.door_tween.door_tween_factory",
                     under="makeplus_core.api.body.input_tween_factory",
                     over="makeplus_core.idempotency.idempotency_tween_factory")
