"""Staff (gestionnaires, controllers) assigned to rooms for time slots."""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow
from ..events.models import EventMember
from ..roles import STAFF_ROLES


class RoomAssignment(EventMember, Base):
    """A staff member's room for a time slot."""

    __tablename__ = "room_assignments"

    room_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False,
                                               index=True)
    role: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    start_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    end_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("end_time > start_time", name="times_ordered"),
        sa.CheckConstraint(f"role IN {STAFF_ROLES!r}", name="role_valid"),
        sa.Index("ix_room_assignments_user_time", "user_id", "start_time", "end_time"),
    )
