"""REST: GET /api/audit-log/ (read-only: no route writes, changes or deletes an entry)."""
from __future__ import annotations

import datetime as dt

from .. import api, errors
from . import services
from .models import ACTIONS

audit_log = api.service("audit-log", "/api/audit-log/",
                        "The audit trail of my event (gestionnaires of the event, admins)")


def parse_when(value, field: str, end: bool = False):
    """ISO date or datetime (naive = UTC). A bare date as ``date_to`` covers the whole day."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
            return start + dt.timedelta(days=1) - dt.timedelta(microseconds=1) if end else start
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise errors.Invalid(f"{field}: not a valid date or datetime", field=field)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


@audit_log.get()
def list_audit_log(request):
    ident = api.identity(request)
    if ident.is_admin and api.param(request, "event", "event_id") is None:
        event_id = None  # a platform admin sees the whole platform's trail
    else:
        event_id = api.require_event(request)
        api.require_gestionnaire(request, event_id=event_id)
    action = api.param(request, "action")
    if action is not None and action not in ACTIONS:
        raise errors.Invalid(f"action: one of {', '.join(ACTIONS)}", field="action")
    user = api.param(request, "user", "user_id")
    if user is not None:
        try:
            user = int(user)
        except ValueError:
            raise errors.Invalid("user: must be an integer", field="user")
    stmt = services.list_query(
        event_id=event_id, object_type=api.param(request, "object_type", "table"),
        object_id=api.param(request, "object_id", "object"), user_id=user, action=action,
        date_from=parse_when(api.param(request, "date_from", "from"), "date_from"),
        date_to=parse_when(api.param(request, "date_to", "to"), "date_to", end=True))
    return api.paginate(request, stmt, services.serialize)
