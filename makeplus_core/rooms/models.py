"""Rooms of an event."""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, new_uuid, utcnow


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid)
    event_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"),
                                                nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    capacity: Mapped[int | None] = mapped_column(sa.Integer)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    location: Mapped[str | None] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    # exits are scanned here: occupancy = people inside (docs/access.md "Exits and occupancy")
    tracks_exits: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False,
                                               server_default=sa.false())
    # the direction of a scan at this room's door when the scan names none ("exit": an exit door)
    door_direction: Mapped[str] = mapped_column(sa.String(5), nullable=False, default="entry",
                                                server_default="entry")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow,
                                                    onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("event_id", "name"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_positive"),
        sa.CheckConstraint("door_direction IN ('entry', 'exit')", name="door_direction_valid"),
    )
