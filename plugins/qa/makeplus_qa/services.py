"""Session questions: asking, editing, answering, upvoting, listing.

Plain functions taking a database session; they raise ``makeplus_core.errors``.
The asker (``Question.user_id``) is stored but never rendered by :func:`serialize`
(except as the caller's own ``is_mine`` flag).
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from makeplus_core.plugin_api import Participant, Session, User, dialect_insert, errors, get_or_404, utcnow

from .models import Question, Upvote

CLOSED_STATUSES = ("termine", "cancelled")


def get_session(db, session_id, event_id, field: str = "session") -> Session:
    return get_or_404(db, Session, session_id, event_id, label="Session", field=field)


def get_question(db, question_id, event_id) -> Question:
    return get_or_404(db, Question, question_id, event_id, label="Question")


def _votes_subquery():
    return (sa.select(Upvote.question_id.label("question_id"), sa.func.count().label("votes"))
            .group_by(Upvote.question_id).subquery("qa_votes"))


def list_query(event_id, session_id=None, asker_user_id=None, is_answered=None, ordering=None):
    """A ``select(Question)`` of the event's questions, filtered and ordered.

    ``ordering`` is ``asked_at`` (default), ``-asked_at``, ``upvotes`` or ``-upvotes``;
    votes are counted by one grouped subquery joined to the questions.
    """
    stmt = sa.select(Question).where(Question.event_id == event_id)
    if session_id is not None:
        stmt = stmt.where(Question.session_id == session_id)
    if asker_user_id is not None:
        stmt = stmt.where(Question.user_id == asker_user_id)
    if is_answered is not None:
        stmt = stmt.where(Question.is_answered.is_(is_answered))
    ordering = ordering or "asked_at"
    if ordering.lstrip("-") == "upvotes":
        votes = _votes_subquery()
        count = sa.func.coalesce(votes.c.votes, 0)
        stmt = stmt.outerjoin(votes, votes.c.question_id == Question.id)
        stmt = stmt.order_by(count.desc() if ordering.startswith("-") else count.asc(), Question.asked_at)
    elif ordering == "-asked_at":
        stmt = stmt.order_by(Question.asked_at.desc())
    else:
        stmt = stmt.order_by(Question.asked_at.asc())
    return stmt.order_by(Question.id)


def participant_user_id(db, participant_id, event_id) -> int:
    """The user behind a participant of the event (404 if not one of its participants)."""
    participant = get_or_404(db, Participant, participant_id, event_id, label="Participant", field="participant")
    return participant.user_id


def check_open(session: Session) -> None:
    if session.status in CLOSED_STATUSES:
        state = "finished" if session.status == "termine" else "cancelled"
        raise errors.Conflict(f"This session is {state}: it no longer accepts questions", field="session",
                              session_status=session.status)


def ask(db, session: Session, user_id: int, text: str) -> Question:
    check_open(session)
    participant_id = db.scalar(sa.select(Participant.id).where(Participant.event_id == session.event_id,
                                                              Participant.user_id == user_id))
    question = Question(event_id=session.event_id, session_id=session.id, user_id=user_id,
                        participant_id=participant_id, question_text=text, asked_at=utcnow())
    db.add(question)
    db.flush()
    return question


def edit(db, question: Question, user_id: int, text: str) -> Question:
    if question.user_id is None or question.user_id != user_id:
        raise errors.Forbidden("Only the person who asked this question can change it")
    if question.is_answered:
        raise errors.Conflict("This question was already answered: it can no longer be changed",
                              field="question_text")
    question.question_text = text
    db.flush()
    return question


def check_can_delete(question: Question, user_id: int, is_gestionnaire: bool) -> None:
    if is_gestionnaire:
        return
    if question.user_id is None or question.user_id != user_id:
        raise errors.Forbidden("Only the person who asked this question or a gestionnaire can delete it")
    if question.is_answered:
        raise errors.Conflict("This question was already answered: it can no longer be deleted")


def answer(db, question: Question, user_id: int, text: str | None) -> Question:
    """Answer with ``text``; without text, toggle ``is_answered``."""
    now = utcnow()
    if text is not None:
        question.answer_text = text
        question.is_answered = True
        question.answered_by_id = user_id
        question.answered_at = now
    elif question.is_answered:
        question.is_answered = False
        question.answered_by_id = None
        question.answered_at = None
    else:
        question.is_answered = True
        question.answered_by_id = user_id
        question.answered_at = now
    db.flush()
    return question


def upvote(db, question: Question, user_id: int) -> None:
    """Add the user's vote; a second call changes nothing (primary key + ON CONFLICT DO NOTHING)."""
    db.execute(dialect_insert(db, Upvote).values(question_id=question.id, user_id=user_id, created_at=utcnow())
               .on_conflict_do_nothing(index_elements=["question_id", "user_id"]))


def remove_upvote(db, question: Question, user_id: int) -> None:
    db.execute(sa.delete(Upvote).where(Upvote.question_id == question.id, Upvote.user_id == user_id))


def _names(db, user_ids) -> dict[int, str]:
    ids = {u for u in user_ids if u}
    if not ids:
        return {}
    return {uid: (f"{first} {last}".strip() or username)
            for uid, first, last, username in db.execute(
                sa.select(User.id, User.first_name, User.last_name, User.username).where(User.id.in_(ids)))}


def serialize(db, questions: list[Question], viewer_id: int | None) -> list[dict]:
    """JSON of questions in four queries whatever their number (titles, names, votes, my votes)."""
    if not questions:
        return []
    qids = [q.id for q in questions]
    titles = dict(db.execute(sa.select(Session.id, Session.title)
                             .where(Session.id.in_({q.session_id for q in questions}))).all())
    names = _names(db, [q.answered_by_id for q in questions])
    votes = dict(db.execute(sa.select(Upvote.question_id, sa.func.count())
                            .where(Upvote.question_id.in_(qids)).group_by(Upvote.question_id)).all())
    mine = set()
    if viewer_id is not None:
        mine = set(db.scalars(sa.select(Upvote.question_id).where(Upvote.question_id.in_(qids),
                                                                  Upvote.user_id == viewer_id)))
    return [{
        "id": str(q.id),
        "event": str(q.event_id),
        "session": str(q.session_id),
        "session_id": str(q.session_id),
        "session_title": titles.get(q.session_id),
        "question_text": q.question_text,
        "asked_at": q.asked_at,
        "is_answered": bool(q.is_answered),
        "answer_text": q.answer_text,
        "answered_by": q.answered_by_id,
        "answered_by_name": names.get(q.answered_by_id),
        "answered_at": q.answered_at,
        "upvotes": int(votes.get(q.id, 0)),
        "has_upvoted": q.id in mine,
        "is_mine": viewer_id is not None and q.user_id == viewer_id,
        "updated_at": q.updated_at,
    } for q in questions]


def export_for_user(db, user) -> list[dict]:
    """The questions a user asked (their personal data export)."""
    rows = db.scalars(sa.select(Question).where(Question.user_id == user.id).order_by(Question.asked_at)).all()
    return serialize(db, rows, user.id)


def event_statistics(db, event_id) -> dict:
    total, answered = db.execute(
        sa.select(sa.func.count(Question.id),
                  sa.func.coalesce(sa.func.sum(sa.case((Question.is_answered.is_(True), 1), else_=0)), 0))
        .where(Question.event_id == event_id)).one()
    votes = db.scalar(sa.select(sa.func.count()).select_from(Upvote).join(Question, Question.id == Upvote.question_id)
                      .where(Question.event_id == event_id))
    return {"questions": int(total), "answered": int(answered), "unanswered": int(total) - int(answered),
            "upvotes": int(votes or 0)}


def parse_id(value, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise errors.Invalid(f"{field}: not a valid id", field=field) from None
