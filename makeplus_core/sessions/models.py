"""Sessions (conferences and ateliers) of an event, held in a room."""
from __future__ import annotations

import datetime as dt
import decimal
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, Money, UTCDateTime, new_uuid, utcnow

SESSION_STATUSES = ("pas_encore", "en_cours", "termine", "cancelled")
SESSION_TYPES = ("conference", "atelier")


class Session(Base):
    __tablename__ = "sessions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid)
    event_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"),
                                                nullable=False, index=True)
    room_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("rooms.id", ondelete="RESTRICT"),
                                               nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    speaker_name: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    speaker_title: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    speaker_bio: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    speaker_photo_url: Mapped[str | None] = mapped_column(sa.String(500))
    start_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    end_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    theme: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pas_encore")
    session_type: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="conference")
    is_paid: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    price: Mapped[decimal.Decimal] = mapped_column(Money, nullable=False, default=decimal.Decimal("0.00"))
    # Seats for a paid atelier (None: the room's capacity, or unlimited).
    capacity: Mapped[int | None] = mapped_column(sa.Integer)
    cover_image: Mapped[str | None] = mapped_column(sa.String(500))
    meta: Mapped[dict] = mapped_column("metadata", sa.JSON, nullable=False, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow,
                                                    onupdate=utcnow)

    room = relationship("Room", lazy="raise")

    __table_args__ = (
        sa.CheckConstraint("end_time > start_time", name="times_ordered"),
        sa.CheckConstraint(f"status IN {SESSION_STATUSES!r}", name="status_valid"),
        sa.CheckConstraint(f"session_type IN {SESSION_TYPES!r}", name="type_valid"),
        sa.CheckConstraint("price >= 0", name="price_positive"),
        sa.Index("ix_sessions_room_time", "room_id", "start_time", "end_time"),
    )
