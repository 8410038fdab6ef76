"""REST: /api/my-agenda/ (my bookmarked sessions) and /api/my-agenda/recommendations/.

Any member of the token's event (or a platform admin) keeps an agenda in that event.
"""
from __future__ import annotations

from .. import api, errors
from ..sessions.models import Session
from . import schemas, services
from .serializers import serialize_agenda, serialize_recommendations


def _owner(request):
    """(the caller's user id, the event of the agenda); 403 unless a member of that event."""
    ident, event_id = api.identity(request), api.require_event(request)
    if not ident.is_admin and api.role_in_event(request, event_id) is None:
        raise errors.Forbidden("You are not a member of this event")
    return ident.user_id, event_id


def _agenda_items(request, user_id, event_id, sessions):
    db = request.dbsession
    return serialize_agenda(request, sessions, services.conflicts(db, user_id, event_id),
                            services.bookmark_times(db, user_id, event_id))


my_agenda = api.service("my-agenda", "/api/my-agenda/", "My bookmarked sessions, with overlaps flagged")


@my_agenda.get()
def list_agenda(request):
    user_id, event_id = _owner(request)
    stmt = services.agenda_query(user_id, event_id)
    return api.paginate(request, stmt, lambda rows: _agenda_items(request, user_id, event_id, rows))


@my_agenda.post()
def add_to_agenda(request):
    user_id, event_id = _owner(request)
    session_id = schemas.bookmarked_session_id(api.json_body(request))
    bookmark, created = services.add(request.dbsession, user_id, event_id, session_id)
    session = request.dbsession.get(Session, bookmark.session_id)
    request.response.status = 201 if created else 200
    return _agenda_items(request, user_id, event_id, [session])[0]


my_agenda_item = api.service("my-agenda-item", f"/api/my-agenda/{{session_id:{api.UUID}}}/",
                             "Remove a session from my agenda")


@my_agenda_item.delete()
def remove_from_agenda(request):
    user_id, event_id = _owner(request)
    session_id = api.parse_uuid(request.matchdict["session_id"], "session")
    services.remove(request.dbsession, user_id, event_id, session_id)
    return api.no_content()


recommendations = api.service("my-agenda-recommendations", "/api/my-agenda/recommendations/",
                              "Sessions recommended from my agenda and attendance")


@recommendations.get()
def list_recommendations(request):
    user_id, event_id = _owner(request)
    speakers, themes = services.interests(request.dbsession, user_id, event_id)
    stmt = services.recommendations_query(user_id, event_id, speakers, themes)
    return api.paginate(request, stmt, lambda rows: serialize_recommendations(request, rows, speakers, themes))
