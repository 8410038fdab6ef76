"""E-poster tables: the call for contributions, its submissions, the committee and reviews."""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from makeplus_core.plugin_api import Base, CreatedAt, Timestamps, UTCDateTime, UUIDKey, event_fk, utcnow

STATUSES = ("pending", "accepted", "rejected")
DECISIONS = ("accept", "reject")


class Call(UUIDKey, Timestamps, Base):
    """The call for contributions of one event (at most one per event)."""

    __tablename__ = "eposters_calls"

    event_id: Mapped[uuid.UUID] = event_fk("CASCADE", unique=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    required_validations: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    themes: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    is_published: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # Last contribution number handed out (incremented under a row lock).
    last_number: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    __table_args__ = (
        sa.CheckConstraint("required_validations >= 1", name="required_validations_positive"),
        sa.CheckConstraint("closes_at > opens_at", name="dates_ordered"),
    )


class Submission(UUIDKey, Base):
    """One contribution: the public submission, its decision, then its final poster."""

    __tablename__ = "eposters_submissions"

    event_id: Mapped[uuid.UUID] = event_fk("CASCADE")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pending")
    author_first_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    author_last_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    author_email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    author_phone: Mapped[str | None] = mapped_column(sa.String(40))
    institution: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    theme: Mapped[str | None] = mapped_column(sa.String(200))
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    authors: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    abstract_introduction: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    abstract_methods: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    abstract_results: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    abstract_conclusion: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    abstract_pdf: Mapped[str | None] = mapped_column(sa.String(300))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Decision
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    contribution_number: Mapped[int | None] = mapped_column(sa.Integer)
    code: Mapped[str | None] = mapped_column(sa.String(30))
    # Secret final-submission link (only the SHA-256 of the token is kept)
    final_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    final_token_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    final_token_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Final poster
    final_title: Mapped[str | None] = mapped_column(sa.String(300))
    final_authors: Mapped[str | None] = mapped_column(sa.Text)
    final_co_authors: Mapped[str | None] = mapped_column(sa.Text)
    poster_pdf: Mapped[str | None] = mapped_column(sa.String(300))
    final_submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {STATUSES!r}", name="status_valid"),
        sa.UniqueConstraint("event_id", "code"),
        sa.UniqueConstraint("event_id", "contribution_number"),
        sa.Index("ix_eposters_submissions_event_status", "event_id", "status", "submitted_at"),
    )


class CommitteeMember(UUIDKey, Base):
    __tablename__ = "eposters_committee"

    event_id: Mapped[uuid.UUID] = event_fk("CASCADE")
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("event_id", "user_id"),)


class Review(UUIDKey, CreatedAt, Base):
    __tablename__ = "eposters_reviews"

    submission_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("eposters_submissions.id", ondelete="CASCADE"), nullable=False)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    comment: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    __table_args__ = (
        sa.CheckConstraint(f"decision IN {DECISIONS!r}", name="decision_valid"),
        sa.UniqueConstraint("submission_id", "reviewer_id"),
    )
