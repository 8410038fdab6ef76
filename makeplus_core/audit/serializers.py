"""JSON of audit entries (``GET /api/audit-log/``)."""
from __future__ import annotations


def serialize_entries(entries) -> list[dict]:
    return [{
        "id": e.id, "at": e.at, "user": e.user_id, "user_id": e.user_id, "role": e.role,
        "event": str(e.event_id) if e.event_id else None, "action": e.action,
        "object_type": e.object_type, "object_id": e.object_id, "changes": e.changes,
        "ip_address": e.ip_address, "request_method": e.request_method, "request_path": e.request_path,
    } for e in entries]
