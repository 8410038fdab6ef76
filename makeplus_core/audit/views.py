"""REST: GET /api/audit-log/ (read-only: no route writes, changes or deletes an entry)."""
from __future__ import annotations

from .. import api, errors
from . import services
from .models import ACTIONS
from .schemas import parse_when  # noqa: F401  (also used by the scan journal's filters)
from .serializers import serialize_entries

audit_log = api.service("audit-log", "/api/audit-log/",
                        "The audit trail of my event (gestionnaires of the event, admins)")


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
            raise errors.Invalid("user: must be an integer", field="user") from None
    stmt = services.list_query(
        event_id=event_id, object_type=api.param(request, "object_type", "table"),
        object_id=api.param(request, "object_id", "object"), user_id=user, action=action,
        date_from=parse_when(api.param(request, "date_from", "from"), "date_from"),
        date_to=parse_when(api.param(request, "date_to", "to"), "date_to", end=True))
    return api.paginate(request, stmt, serialize_entries)
