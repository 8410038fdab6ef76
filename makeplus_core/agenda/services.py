"""Personal agenda: bookmarks, overlap detection and recommendations.

Overlap: two bookmarked sessions conflict when ``a.start_time < b.end_time`` and
``b.start_time < a.end_time`` (touching sessions, one ending when the other starts,
do not conflict).

Recommendations: sessions of the event ranked by what they share with the user's
*interests*, i.e. the sessions they bookmarked or attended (a granted ``room_access``
with that ``session_id``): 3 points for the same speaker, 2 for the same theme
(case-insensitive, blank values ignored). Only sessions scoring > 0 are recommended,
and never one that

* already ended (``end_time <= now``) or is ``termine``/``cancelled``,
* is already bookmarked or attended,
* overlaps a bookmarked session,
* is full: capacity = the session's ``capacity``, else its room's (none: unlimited);
  seats taken = paid ``session_access`` rows for a paid atelier (``is_paid``), the
  number of users who bookmarked it otherwise; full when taken >= capacity.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from .. import api, errors
from ..access.models import RoomAccess, SessionAccess
from ..db import utcnow
from ..participants.models import Participant
from ..rooms.models import Room
from ..sessions.models import Session
from .models import AgendaBookmark

SPEAKER_WEIGHT = 3
THEME_WEIGHT = 2


def agenda_query(user_id, event_id):
    return (sa.select(Session).join(AgendaBookmark, AgendaBookmark.session_id == Session.id)
            .where(AgendaBookmark.user_id == user_id, AgendaBookmark.event_id == event_id)
            .order_by(Session.start_time, Session.id))


def conflicts(db, user_id, event_id) -> dict:
    """``{session_id: [ids of other bookmarked sessions overlapping it]}`` (one query)."""
    ba, bb = aliased(AgendaBookmark), aliased(AgendaBookmark)
    sa_, sb = aliased(Session), aliased(Session)
    rows = db.execute(
        sa.select(sa_.id, sb.id)
        .select_from(ba).join(sa_, sa_.id == ba.session_id)
        .join(bb, sa.and_(bb.user_id == ba.user_id, bb.event_id == ba.event_id, bb.session_id != ba.session_id))
        .join(sb, sb.id == bb.session_id)
        .where(ba.user_id == user_id, ba.event_id == event_id,
               sa_.start_time < sb.end_time, sb.start_time < sa_.end_time)).all()
    out: dict = {}
    for a, b in rows:
        out.setdefault(a, []).append(b)
    return out


def bookmark_times(db, user_id, event_id):
    return dict(db.execute(sa.select(AgendaBookmark.session_id, AgendaBookmark.created_at)
                           .where(AgendaBookmark.user_id == user_id, AgendaBookmark.event_id == event_id)).all())


def add(db, user_id, event_id, session_id) -> tuple[AgendaBookmark, bool]:
    session = api.get_or_404(db, Session, session_id, event_id, label="Session", field="session")
    existing = db.scalar(sa.select(AgendaBookmark).where(AgendaBookmark.user_id == user_id,
                                                         AgendaBookmark.session_id == session.id))
    if existing is not None:
        return existing, False
    bookmark = AgendaBookmark(user_id=user_id, event_id=event_id, session_id=session.id)
    db.add(bookmark)
    db.flush()
    return bookmark, True


def remove(db, user_id, event_id, session_id) -> None:
    bookmark = db.scalar(sa.select(AgendaBookmark).where(AgendaBookmark.user_id == user_id,
                                                         AgendaBookmark.event_id == event_id,
                                                         AgendaBookmark.session_id == session_id))
    if bookmark is None:
        raise errors.NotFound("This session is not in your agenda", field="session")
    db.delete(bookmark)


def interest_ids(user_id, event_id):
    bookmarked = sa.select(AgendaBookmark.session_id).where(AgendaBookmark.user_id == user_id,
                                                            AgendaBookmark.event_id == event_id)
    attended = (sa.select(RoomAccess.session_id)
                .join(Participant, Participant.id == RoomAccess.participant_id)
                .where(Participant.user_id == user_id, Participant.event_id == event_id,
                       RoomAccess.status == "granted", RoomAccess.session_id.is_not(None)))
    return sa.union(bookmarked, attended)


def interests(db, user_id, event_id) -> tuple[set, set]:
    speakers, themes = set(), set()
    ids = interest_ids(user_id, event_id).subquery()
    for speaker, theme in db.execute(sa.select(Session.speaker_name, Session.theme)
                                     .where(Session.id.in_(sa.select(ids.c[0])))):
        if speaker and speaker.strip():
            speakers.add(speaker.strip().lower())
        if theme and theme.strip():
            themes.add(theme.strip().lower())
    return speakers, themes


def score_expr(speakers, themes):
    parts = []
    if speakers:
        parts.append(sa.case((sa.func.lower(sa.func.trim(Session.speaker_name)).in_(sorted(speakers)),
                              SPEAKER_WEIGHT), else_=0))
    if themes:
        parts.append(sa.case((sa.func.lower(sa.func.trim(Session.theme)).in_(sorted(themes)), THEME_WEIGHT),
                             else_=0))
    if not parts:
        return sa.literal(0)
    return parts[0] if len(parts) == 1 else parts[0] + parts[1]


def recommendations_query(user_id, event_id, speakers, themes, now=None):
    now = now or utcnow()
    score = score_expr(speakers, themes)
    mine = aliased(Session)
    clash = (sa.select(AgendaBookmark.id).join(mine, mine.id == AgendaBookmark.session_id)
             .where(AgendaBookmark.user_id == user_id, AgendaBookmark.event_id == event_id,
                    mine.start_time < Session.end_time, Session.start_time < mine.end_time))
    paid_taken = (sa.select(sa.func.count()).select_from(SessionAccess)
                  .where(SessionAccess.session_id == Session.id, SessionAccess.payment_status == "paid")
                  .scalar_subquery())
    bookmarked_taken = (sa.select(sa.func.count()).select_from(AgendaBookmark)
                        .where(AgendaBookmark.session_id == Session.id).scalar_subquery())
    capacity = sa.func.coalesce(Session.capacity, Room.capacity)
    taken = sa.case((Session.is_paid.is_(True), paid_taken), else_=bookmarked_taken)
    return (sa.select(Session).join(Room, Room.id == Session.room_id)
            .where(Session.event_id == event_id, Session.end_time > now,
                   Session.status.not_in(("termine", "cancelled")),
                   Session.id.not_in(interest_ids(user_id, event_id)),
                   ~sa.exists(clash),
                   sa.or_(capacity.is_(None), taken < capacity),
                   score > 0)
            .order_by(score.desc(), Session.start_time, Session.id))
