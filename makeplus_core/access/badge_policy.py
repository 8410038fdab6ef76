"""Whether plain user-id badges (``"15"``) are accepted at an event's doors.

A plain id proves nothing: anyone who knows or guesses an id can print it. The platform
default is ``makeplus.badges.accept_plain_user_id`` (``false`` in ``production.ini``,
``true`` in ``development.ini`` for the field app); an event's organisers may choose
otherwise, knowingly (``PATCH /api/events/{id}/ {"accept_plain_user_id": true|false}``,
stored in the event's ``settings`` under :data:`SETTING`; the dashboard's event form
has the field). A refused or denied plain-id scan never names the badge's holder
(``pipeline.PRE_MEMBERSHIP_LAYERS``).
"""
from __future__ import annotations

SETTING = "accept_plain_user_id"


def platform_default(settings) -> bool:
    return str((settings or {}).get("makeplus.badges.accept_plain_user_id", "false")).lower() in ("true", "1", "yes")


def plain_ids_allowed(settings, event_settings) -> bool:
    """The event's choice when it made one, else the platform default."""
    value = (event_settings or {}).get(SETTING) if isinstance(event_settings, dict) else None
    if isinstance(value, bool):
        return value
    return platform_default(settings)
