"""REST: /api/my-agenda/ (my bookmarked sessions) and /api/my-agenda/recommendations/."""
from __future__ import annotations

from .. import api, errors
from . import services

my_agenda = api.service("my-agenda", "/api/my-agenda/", "My bookmarked sessions, with overlaps flagged")
my_agenda_item = api.service("my-agenda-item", "/api/my-agenda/{session_id:[0-9a-fA-F-]{32,36}}/",
                             "Remove a session from my agenda")
recommendations = api.service("my-agenda-recommendations", "/api/my-agenda/recommendations/",
                              "Sessions recommended from my agenda and attendance")


def _scope(request):
    ident = api.identity(request)
    event_id = api.require_event(request)
    if not ident.is_admin and api.role_in_event(request, event_id) is None:
        raise errors.Forbidden("You are not a member of this event")
    return ident, event_id


def _agenda_items(request, ident, event_id, sessions):
    db = request.dbsession
    clashes = services.conflicts(db, ident.user_id, event_id)
    times = services.bookmark_times(db, ident.user_id, event_id)
    out = services.serialize_sessions(request, sessions)
    for s, payload in zip(sessions, out):
        others = sorted(str(x) for x in clashes.get(s.id, []))
        payload.update(session=str(s.id), bookmarked_at=times.get(s.id), conflicts_with=others,
                       has_conflict=bool(others))
    return out


@my_agenda.get()
def list_agenda(request):
    ident, event_id = _scope(request)
    stmt = services.agenda_query(ident.user_id, event_id)
    return api.paginate(request, stmt, lambda rows: _agenda_items(request, ident, event_id, rows))


@my_agenda.post()
def add_to_agenda(request):
    ident, event_id = _scope(request)
    body = api.json_body(request)
    raw = body.get("session", body.get("session_id"))
    if raw in (None, ""):
        raise errors.Invalid("session: required", field="session")
    session_id = api.parse_uuid(raw, "session")
    bookmark, created = services.add(request.dbsession, ident.user_id, event_id, session_id)
    from ..sessions.models import Session

    session = request.dbsession.get(Session, bookmark.session_id)
    request.response.status = 201 if created else 200
    return _agenda_items(request, ident, event_id, [session])[0]


@my_agenda_item.delete()
def remove_from_agenda(request):
    ident, event_id = _scope(request)
    session_id = api.parse_uuid(request.matchdict["session_id"], "session")
    services.remove(request.dbsession, ident.user_id, event_id, session_id)
    return api.no_content()


@recommendations.get()
def list_recommendations(request):
    ident, event_id = _scope(request)
    db = request.dbsession
    speakers, themes = services.interests(db, ident.user_id, event_id)
    stmt = services.recommendations_query(ident.user_id, event_id, speakers, themes)

    def serialize(rows):
        out = services.serialize_sessions(request, rows)
        for s, payload in zip(rows, out):
            reasons = []
            if (s.speaker_name or "").strip().lower() in speakers:
                reasons.append({"kind": "speaker", "value": s.speaker_name})
            if (s.theme or "").strip().lower() in themes:
                reasons.append({"kind": "theme", "value": s.theme})
            payload["score"] = (services.SPEAKER_WEIGHT * any(r["kind"] == "speaker" for r in reasons)
                                + services.THEME_WEIGHT * any(r["kind"] == "theme" for r in reasons))
            payload["reasons"] = reasons
        return out

    return api.paginate(request, stmt, serialize)
