"""Events and the per-event role assignments of users."""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, new_uuid, utcnow
from ..roles import ROLES

EVENT_STATUSES = ("upcoming", "active", "completed", "cancelled")


class Event(Base):
    __tablename__ = "events"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    location: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    # Directions, access, parking… (seed 001 Event.location_details)
    location_details: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    start_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    end_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="upcoming")
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="UTC")
    themes: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    settings: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    meta: Mapped[dict] = mapped_column("metadata", sa.JSON, nullable=False, default=dict)
    organizer_name: Mapped[str | None] = mapped_column(sa.String(200))
    organizer_email: Mapped[str | None] = mapped_column(sa.String(254))
    organizer_phone: Mapped[str | None] = mapped_column(sa.String(40))
    president_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    logo: Mapped[str | None] = mapped_column(sa.String(500))
    banner: Mapped[str | None] = mapped_column(sa.String(500))
    primary_color: Mapped[str | None] = mapped_column(sa.String(7))
    programme_file: Mapped[str | None] = mapped_column(sa.String(300))
    guide_file: Mapped[str | None] = mapped_column(sa.String(300))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow,
                                                    onupdate=utcnow)
    # Archived events are read-only and hidden from lists (makeplus_core.events.archive).
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    archived_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.CheckConstraint("end_date > start_date", name="dates_ordered"),
        sa.CheckConstraint(f"status IN {EVENT_STATUSES!r}", name="status_valid"),
        sa.Index("ix_events_start_date", "start_date"),
    )


class EventMember:
    """The columns of a user's row in one event (their role, their badge, their room slots):
    the row's own id, the user and the event, both rows deleted with it (first in the table)."""

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid, sort_order=-1)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                         sort_order=-1)
    event_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"),
                                                nullable=False, index=True, sort_order=-1)


class UserEventAssignment(EventMember, Base):
    """A user's one role in one event."""

    __tablename__ = "user_event_assignments"

    role: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    user = relationship("User", foreign_keys="UserEventAssignment.user_id", lazy="raise")
    event = relationship("Event", lazy="raise")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "event_id"),
        sa.CheckConstraint(f"role IN {ROLES!r}", name="role_valid"),
    )
