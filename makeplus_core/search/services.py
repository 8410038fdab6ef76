"""Global search inside one event: sessions, rooms, participants (staff only) and
whatever plugins contribute through the ``makeplus_search`` hook.

Matching. The query is split into words (at most :data:`MAX_TERMS`); a row matches
when *every* word is found in it.

* PostgreSQL: accent- and case-insensitive. Sessions and rooms use full-text search
  (``to_tsvector('simple', f_unaccent(...)) @@ to_tsquery('simple', 'word:* & ...')``,
  prefix match per word, GIN indexes ``ix_sessions_search_fts``/``ix_rooms_search_fts``);
  the 'simple' configuration neither stems nor drops stop words, so French and English
  words behave alike. Participants use trigram substring matching
  (``f_unaccent(lower(email || ' ' || first_name || ' ' || last_name)) LIKE '%word%'``,
  GIN ``gin_trgm_ops`` index ``ix_users_search_trgm``), so part of an e-mail address
  is found among 100,000 participants with an index scan.
* SQLite: case-insensitive ``LIKE '%word%'`` (ASCII case folding, no accent folding).

Badge lookups (``users.badge_id`` or the event's ``participants.badge_number`` equal to
the whole query) are exact, through the unique indexes.

Ranking. Each kind computes a score in SQL: for every word, the weights of the
fields containing it (title/name 3, speaker/theme/last and first names 2, e-mail 2,
description 1; an exact badge match scores 10). Results of all kinds are merged by
score (then kind, then title) and paginated. Each kind runs two queries (a count and
its best ``page * page_size`` rows), whatever the page size.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from .. import errors
from ..auth.models import User
from ..modules import event_hook
from ..participants.models import Participant
from ..rooms.models import Room
from ..sessions.models import Session
from . import models as ix

MAX_TERMS = 6
MIN_LENGTH = 2
CORE_TYPES = ("session", "room", "participant")
BADGE_SCORE = 10.0
RESULT_KEYS = ("type", "id", "title", "subtitle", "score")


def parse_query(q: str | None) -> tuple[str, list[str]]:
    text = (q or "").strip()
    terms = [t for t in re.findall(r"\w+", text.lower()) if t][:MAX_TERMS]
    if len(text) < MIN_LENGTH or not terms:
        raise errors.Invalid(f"q: at least {MIN_LENGTH} characters (letters or digits) are required", field="q")
    return text, terms


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Matcher:
    """Builds the per-dialect SQL: contains(column, word) and the full-text filter."""

    def __init__(self, dialect_name: str):
        self.pg = dialect_name == "postgresql"

    def contains(self, expr, term: str):
        pattern = _like_pattern(term)
        if self.pg:
            return ix.pg_fold(expr).like(sa.func.f_unaccent(pattern), escape="\\")
        return sa.func.lower(expr).like(pattern, escape="\\")

    def score(self, fields, terms):
        """``sum(weight for each (field, word) where the field contains the word)``."""
        parts = [sa.case((self.contains(col, t), weight), else_=0) for t in terms for col, weight in fields]
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return sa.cast(total, sa.Float)

    def all_terms_in(self, fields, terms, fts_text=None):
        if self.pg and fts_text is not None:
            tsquery = " & ".join(f"{t}:*" for t in terms)
            return ix.pg_tsvector(fts_text).op("@@")(
                sa.func.to_tsquery(sa.literal_column("'simple'"), sa.func.f_unaccent(tsquery)))
        return sa.and_(*[sa.or_(*[self.contains(col, t) for col, _ in fields]) for t in terms])


SESSION_FIELDS = ((Session.title, 3), (Session.speaker_name, 2), (Session.theme, 2), (Session.description, 1))
ROOM_FIELDS = ((Room.name, 3), (Room.description, 1))


def _ranked(db, base, score, limit, *columns):
    count = db.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    rows = []
    if count and limit:
        rows = db.execute(base.add_columns(score.label("score")).order_by(sa.desc("score"), *columns)
                          .limit(limit)).all()
    return count or 0, rows


def search_sessions(db, matcher, event_id, terms, limit):
    base = (sa.select(Session.id, Session.title, Session.speaker_name, Session.theme, Session.start_time,
                      Session.end_time, Session.room_id, Session.session_type)
            .where(Session.event_id == event_id,
                   matcher.all_terms_in(SESSION_FIELDS, terms, ix.session_search_text())))
    count, rows = _ranked(db, base, matcher.score(SESSION_FIELDS, terms), limit, Session.start_time, Session.id)
    return count, [{
        "type": "session", "id": str(r.id), "title": r.title,
        "subtitle": " · ".join(x for x in (r.speaker_name, r.theme) if x),
        "score": float(r.score), "url": f"/api/sessions/{r.id}/",
        "extra": {"start_time": r.start_time, "end_time": r.end_time, "room": str(r.room_id),
                  "speaker_name": r.speaker_name, "theme": r.theme, "session_type": r.session_type},
    } for r in rows]


def search_rooms(db, matcher, event_id, terms, limit):
    base = (sa.select(Room.id, Room.name, Room.location, Room.capacity)
            .where(Room.event_id == event_id, matcher.all_terms_in(ROOM_FIELDS, terms, ix.room_search_text())))
    count, rows = _ranked(db, base, matcher.score(ROOM_FIELDS, terms), limit, Room.name, Room.id)
    return count, [{
        "type": "room", "id": str(r.id), "title": r.name, "subtitle": r.location or "",
        "score": float(r.score), "url": f"/api/rooms/{r.id}/", "extra": {"capacity": r.capacity},
    } for r in rows]


def participant_fields():
    return ((User.last_name, 2), (User.first_name, 2), (User.email, 2))


def participant_text_filter(matcher, terms):
    """Every word is a substring of e-mail + names (the trigram-indexed expression on
    PostgreSQL)."""
    if matcher.pg:
        text = ix.user_search_text()
        return sa.and_(*[matcher.contains(text, t) for t in terms])
    return matcher.all_terms_in(participant_fields(), terms)


def participant_text_query(matcher, event_id, terms):
    """Participants of ``event_id`` whose e-mail or names contain every word."""
    return (sa.select(Participant.id, Participant.badge_number, Participant.user_id, User.first_name,
                      User.last_name, User.email, User.badge_id)
            .join(User, User.id == Participant.user_id)
            .where(Participant.event_id == event_id, participant_text_filter(matcher, terms)))


def _participant_result(r, score):
    name = f"{r.first_name} {r.last_name}".strip() or r.email
    return {"type": "participant", "id": str(r.id), "title": name,
            "subtitle": " · ".join(x for x in (r.email, r.badge_number) if x), "score": float(score),
            "url": f"/api/participants/{r.id}/",
            "extra": {"user_id": r.user_id, "email": r.email, "badge_number": r.badge_number,
                      "badge_id": r.badge_id}}


def search_participants(db, matcher, event_id, text, terms, limit):
    base = participant_text_query(matcher, event_id, terms)
    score = matcher.score(participant_fields(), terms)
    count, rows = _ranked(db, base, score, limit, User.last_name, User.first_name, Participant.id)
    results = [_participant_result(r, r.score) for r in rows]
    # Exact badge lookups (the QR's badge id, or the event's badge number).
    badge = (sa.select(Participant.id, Participant.badge_number, Participant.user_id, User.first_name,
                       User.last_name, User.email, User.badge_id,
                       participant_text_filter(matcher, terms).label("text_match"))
             .join(User, User.id == Participant.user_id)
             .where(Participant.event_id == event_id,
                    sa.or_(Participant.badge_number == text, User.badge_id == text,
                           User.badge_id == text.upper())))
    seen = {r["id"]: r for r in results}
    for r in db.execute(badge).all():
        if not r.text_match:
            count += 1
        if str(r.id) in seen:
            seen[str(r.id)]["score"] = BADGE_SCORE
        else:
            results.append(_participant_result(r, BADGE_SCORE))
    return count, results


def normalize_plugin_results(results) -> list[dict]:
    out = []
    for item in results or ():
        if not isinstance(item, dict) or any(k not in item for k in RESULT_KEYS):
            continue
        try:
            score = float(item["score"])
        except (TypeError, ValueError):
            continue
        out.append({**item, "id": str(item["id"]), "title": str(item["title"] or ""),
                    "subtitle": str(item["subtitle"] or ""), "score": score})
    return out


def search(db, pm, event_id, q, role, user_id, is_staff, types, limit):
    """Everything matching ``q`` in the event: ``(total, results)`` sorted by score,
    at most ``limit`` results per kind."""
    text, terms = parse_query(q)
    matcher = Matcher(db.get_bind().dialect.name)
    wanted = (lambda t: t in types) if types else (lambda t: True)  # noqa: E731
    total, results = 0, []
    if wanted("session"):
        n, rows = search_sessions(db, matcher, event_id, terms, limit)
        total, results = total + n, results + rows
    if wanted("room"):
        n, rows = search_rooms(db, matcher, event_id, terms, limit)
        total, results = total + n, results + rows
    if is_staff and wanted("participant"):
        n, rows = search_participants(db, matcher, event_id, text, terms, limit)
        total, results = total + n, results + rows
    hook = event_hook(pm, "makeplus_search", db, event_id)  # plugins switched off for the event skip
    for contributed in hook(dbsession=db, event_id=event_id, query=text, role=role, user_id=user_id, limit=limit):
        rows = [r for r in normalize_plugin_results(contributed)
                if r["type"] not in CORE_TYPES and wanted(r["type"])][:limit]
        total, results = total + len(rows), results + rows
    order = {t: i for i, t in enumerate(CORE_TYPES)}
    results.sort(key=lambda r: (-r["score"], order.get(r["type"], len(order)), r["title"].lower(), r["id"]))
    return total, results
