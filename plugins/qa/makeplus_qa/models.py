"""Questions asked by members of an event about its sessions, and their upvotes."""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from makeplus_core.plugin_api import Base, CreatedAt, UTCDateTime, UUIDKey, event_fk, utcnow

MAX_QUESTION_LENGTH = 1000
MAX_ANSWER_LENGTH = 5000


class Question(UUIDKey, Base):
    __tablename__ = "qa_questions"

    # The session's event, copied so every query is scoped without a join.
    event_id: Mapped[uuid.UUID] = event_fk("CASCADE")
    session_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"),
                                                  nullable=False)
    # The asker (from the token). Never rendered in the API.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    participant_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="SET NULL"))
    question_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    is_answered: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    answer_text: Mapped[str | None] = mapped_column(sa.Text)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.Index("ix_qa_questions_session_asked", "session_id", "asked_at"),
        sa.Index("ix_qa_questions_event_asked", "event_id", "asked_at"),
    )


class Upvote(CreatedAt, Base):
    """One user's vote for one question (the primary key makes it once per user)."""

    __tablename__ = "qa_upvotes"

    question_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("qa_questions.id", ondelete="CASCADE"),
                                                   primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
