"""JSON of agenda items and recommendations: the session's JSON (the one session serializer)
plus what the agenda knows about it."""
from __future__ import annotations

from ..sessions.serializers import serialize_sessions
from .services import SPEAKER_WEIGHT, THEME_WEIGHT


def serialize_agenda(request, sessions, clashes: dict, bookmarked_at: dict) -> list[dict]:
    """Bookmarked sessions with ``bookmarked_at`` and the bookmarked sessions each overlaps."""
    out = serialize_sessions(request, sessions)
    for s, payload in zip(sessions, out, strict=False):
        others = sorted(str(x) for x in clashes.get(s.id, []))
        payload.update(session=str(s.id), bookmarked_at=bookmarked_at.get(s.id), conflicts_with=others,
                       has_conflict=bool(others))
    return out


def serialize_recommendations(request, sessions, speakers: set, themes: set) -> list[dict]:
    """Recommended sessions with their ``score`` and the ``reasons`` (shared speaker, theme)."""
    out = serialize_sessions(request, sessions)
    for s, payload in zip(sessions, out, strict=False):
        reasons = []
        if (s.speaker_name or "").strip().lower() in speakers:
            reasons.append({"kind": "speaker", "value": s.speaker_name})
        if (s.theme or "").strip().lower() in themes:
            reasons.append({"kind": "theme", "value": s.theme})
        payload["score"] = (SPEAKER_WEIGHT * any(r["kind"] == "speaker" for r in reasons)
                            + THEME_WEIGHT * any(r["kind"] == "theme" for r in reasons))
        payload["reasons"] = reasons
    return out
