"""Leads of exhibitors: one row per (exposant, visitor), one visit row per counted visit."""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from makeplus_core.plugin_api import Base, UTCDateTime, new_uuid, utcnow


class ExposantScan(Base):
    """A lead: the visitor ``scanned_participant`` scanned at the booth of ``exposant``.

    ``scanned_at`` is the first scan, ``last_scanned_at`` the latest one,
    ``visit_count`` the number of counted visits (rows of ``exposants_visits``);
    re-scans inside the rescan window merge into the current visit.
    """

    __tablename__ = "exposants_scans"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid)
    event_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False)
    exposant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("participants.id", ondelete="CASCADE"),
                                                   nullable=False)
    scanned_participant_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"), nullable=False, index=True)
    scanned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_scanned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    visit_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("exposant_id", "scanned_participant_id"),
        sa.Index("ix_exposants_scans_exposant_scanned_at", "exposant_id", "scanned_at"),
        sa.Index("ix_exposants_scans_event_last", "event_id", "last_scanned_at"),
        sa.CheckConstraint("visit_count >= 1", name="visit_count_positive"),
    )


class ExposantVisit(Base):
    """One counted visit of a lead (for "today" figures in the event's timezone)."""

    __tablename__ = "exposants_visits"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid)
    scan_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("exposants_scans.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    event_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False)
    exposant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("participants.id", ondelete="CASCADE"),
                                                   nullable=False)
    visited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        sa.Index("ix_exposants_visits_exposant_visited", "exposant_id", "visited_at"),
        sa.Index("ix_exposants_visits_event_visited", "event_id", "visited_at"),
    )


class ExposantPlan(Base):
    """The booth plan (a PDF under the storage root) of one badge holder of an event.

    One row per participant at most, keyed by the core's participant id: the plan is
    the exposant's, whatever the event (the participant row carries the event). Until
    revision ``0002_exposants_plans`` this was the core's ``participants.plan_file``.
    """

    __tablename__ = "exposants_plans"

    participant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("participants.id", ondelete="CASCADE"),
                                                      primary_key=True)
    file: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
