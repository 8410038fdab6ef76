"""Response schemas of the OpenAPI document.

Every operation answers its 4xx with the one JSON error shape (:mod:`makeplus_core.api`);
the main resources (events, rooms, sessions, participants, the caller's profile,
health) declare their 2xx bodies, so the fuzzer's response-schema check
(tests/test_fuzz_openapi.py) means something. Schemas are deliberately open
(``additionalProperties`` allowed: plugins extend payloads through hooks) but type
every field the mobile app parses (/work/shared/CLIENT_CONTRACT.md).
"""
from __future__ import annotations

import copy

MAX_INT = 2**31 - 1  # the database's INTEGER range: larger ids and counts are a 4xx


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _s(type_: str, nullable: bool = True, **kw) -> dict:
    out = {"type": type_, **kw}
    if nullable:
        out["nullable"] = True
    return out


_ID = {"type": "string", "format": "uuid"}
_TIME = _s("string", format="date-time")
_STR = _s("string")
_INT = _s("integer")
_BOOL = _s("boolean")

SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "description": "Every 4xx/5xx answer: a machine code, a message and, for invalid input, the field.",
        "required": ["error", "message", "detail"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "detail": {"type": "string"},
            "field": _STR,
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["name", "description"],
                "properties": {"location": {"type": "string"}, "name": {"type": "string"},
                               "description": {"type": "string"}}}},
        },
    },
    "Event": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": _ID, "name": {"type": "string"}, "description": _STR, "location": _STR,
            "start_date": _TIME, "end_date": _TIME,
            "status": _s("string", enum=["upcoming", "active", "completed", "cancelled", None]),
            "is_active": _BOOL, "role": _STR, "logo": _STR, "banner": _STR, "primary_color": _STR,
            "programme_file": _STR, "guide_file": _STR, "timezone": _STR,
            "themes": _s("array", items={}), "settings": _s("object"), "metadata": _s("object"),
            "created_at": _TIME, "updated_at": _TIME,
        },
    },
    "Room": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": _ID, "event": _ID, "event_id": _ID, "name": {"type": "string"}, "description": _STR,
            "location": _STR, "capacity": _INT, "current_participants": _INT, "is_active": _BOOL,
            "created_at": _TIME, "updated_at": _TIME,
            "sessions": {"type": "array", "items": _ref("Session")},
        },
    },
    "Session": {
        "type": "object",
        "required": ["id", "room", "start_time", "end_time", "is_paid"],
        "properties": {
            "id": _ID, "event": _ID, "event_id": _ID, "room": {"type": "string"}, "room_id": _ID,
            "room_name": _STR, "title": _STR, "description": _STR, "speaker_name": _STR,
            "speaker_title": _STR, "theme": _STR, "session_type": _STR, "status": _STR,
            "start_time": {"type": "string", "format": "date-time"},
            "end_time": {"type": "string", "format": "date-time"},
            "is_live": _BOOL, "is_paid": {"type": "boolean"}, "price": _STR, "capacity": _INT,
            "metadata": _s("object"), "created_at": _TIME, "updated_at": _TIME,
        },
    },
    "Participant": {
        "type": "object",
        "required": ["id", "user", "event"],
        "properties": {
            "id": _ID, "user": {"type": "integer"}, "user_id": {"type": "integer"}, "event": _ID,
            "event_id": _ID, "name": _STR, "first_name": _STR, "last_name": _STR, "email": _STR,
            "badge_number": _STR, "badge_id": _STR, "is_checked_in": _BOOL, "checked_in_at": _TIME,
            "registration_date": _TIME, "allowed_rooms": {"type": "array", "items": {"type": "string"}},
            "role": _STR, "notes": _STR,
            "qr_code_data": {"type": "object", "properties": {"user_id": {"type": "integer"},
                                                              "badge_id": _STR}},
        },
    },
    "Me": {
        "type": "object",
        "required": ["id", "email"],
        "properties": {
            "id": {"type": "integer"}, "email": {"type": "string"}, "first_name": _STR, "last_name": _STR,
            "username": _STR, "role": _STR, "is_active": _BOOL, "event": _s("object"),
            "qr_code": _s("object"), "participant": _s("object"),
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "database"],
        "properties": {"status": {"type": "string", "enum": ["ok", "error"]},
                       "database": {"type": "string"}, "version": {"type": "string"},
                       "plugins": {"type": "array", "items": {"type": "string"}}},
    },
    "Capabilities": {
        "type": "object",
        "required": ["project_name", "project_version", "capabilities"],
        "properties": {"project_name": {"type": "string"}, "project_version": {"type": "string"},
                       "capabilities": {"type": "object"}},
    },
}


def _page(item: str) -> dict:
    """A list answer: ``{count, next, previous, results}``."""
    return {"type": "object", "required": ["count", "results"],
            "properties": {"count": {"type": "integer"}, "next": _STR, "previous": _STR,
                           "results": {"type": "array", "items": _ref(item)}}}


def _crud(base: str, item: str) -> dict:
    one = f"{base}{{id}}/"
    return {
        ("get", base): {"200": _page(item)},
        ("post", base): {"201": _ref(item)},
        ("get", one): {"200": _ref(item)},
        ("put", one): {"200": _ref(item)},
        ("patch", one): {"200": _ref(item)},
    }


# (method, path template) → {status: schema of the JSON body}
BODIES: dict[tuple[str, str], dict[str, dict]] = {
    **_crud("/api/events/", "Event"),
    **_crud("/api/rooms/", "Room"),
    **_crud("/api/sessions/", "Session"),
    **_crud("/api/participants/", "Participant"),
    ("get", "/api/auth/me/"): {"200": _ref("Me")},
    ("get", "/api/health/"): {"200": _ref("Health"), "503": _ref("Health")},
    ("get", "/api/"): {"200": _ref("Capabilities")},
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": copy.deepcopy(schema)}}}


def for_operation(method: str, path: str) -> dict:
    """The ``responses`` object of one operation."""
    out = {status: _json(schema, "Success" if status < "400" else "Unavailable")
           for status, schema in BODIES.get((method, path), {}).items()}
    if method == "delete":
        out.setdefault("204", {"description": "Deleted"})
    out.setdefault("default", {"description": "Success (body not described here)"})
    out["4XX"] = _json(_ref("Error"), "Refused: the JSON error shape, naming the field for invalid input")
    out["5XX"] = _json(_ref("Error"), "Server error (a bug: the fuzzer fails on any)")
    return out


def components() -> dict:
    return copy.deepcopy(SCHEMAS)
