"""REST: /api/dashboard/stats/ (seed "Dashboard & Statistics")."""
from __future__ import annotations

from .. import api
from ..events.models import Event
from ..events.serializers import event_json
from ..events.services import plugin_statistics
from ..sessions.serializers import serialize_sessions
from . import services

dashboard = api.service("dashboard-stats", "/api/dashboard/stats/", "Figures of my event")


@dashboard.get()
def dashboard_stats(request):
    ident = api.identity(request)
    event_id = api.require_event(request)
    role = "admin" if ident.is_admin and event_id != ident.event_id else ident.role
    if role is None:
        role = api.require_role(request, event_id=event_id)  # 403 unless a member (admins pass)
    db = request.dbsession
    event = api.get_or_404(db, Event, event_id, label="Event", field="event")
    upcoming = services.upcoming_sessions(db, event_id)
    data = {"event": event_json(request, event, role), **services.dashboard_figures(db, event_id),
            "upcoming_sessions": serialize_sessions(request, upcoming, rooms={s.room_id: s.room for s in upcoming}),
            "my_role": role}
    data.update(plugin_statistics(db, event_id, "admin" if ident.is_admin else role,
                                  request.plugins))
    return data


def includeme(config):
    config.scan(__name__)
