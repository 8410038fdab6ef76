"""Input of the agenda endpoints."""
from __future__ import annotations

import uuid

from .. import api, errors


def bookmarked_session_id(body: dict) -> uuid.UUID:
    """The session a ``POST /api/my-agenda/`` names: ``session`` (alias ``session_id``), required."""
    raw = body.get("session", body.get("session_id"))
    if raw in (None, ""):
        raise errors.Invalid("session: required", field="session")
    return api.parse_uuid(raw, "session")
