"""The one badge each user carries to every event.

Badge id: ``USER-{user_id}-{8 characters from a CSPRNG}``. The QR payload the mobile
app shows is the JSON ``{"user_id": …, "badge_id": …}``; a signed token format is
added by the access domain.
"""
from __future__ import annotations

import json
import secrets
import string

from ..db import utcnow

_ALPHABET = string.ascii_uppercase + string.digits


def new_badge_id(user_id: int) -> str:
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"USER-{user_id}-{suffix}"


def issue_badge(user) -> str:
    """Give ``user`` a fresh badge id (on creation, or to replace a lost badge)."""
    user.badge_id = new_badge_id(user.id)
    user.badge_issued_at = utcnow()
    return user.badge_id


def qr_payload(user) -> dict:
    return {"user_id": user.id, "badge_id": user.badge_id}


def qr_payload_string(user) -> str:
    return json.dumps(qr_payload(user))
