"""Badge holders of an event (participants and exposants)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow
from ..events.models import EventMember

participant_allowed_rooms = sa.Table(
    "participant_allowed_rooms",
    Base.metadata,
    sa.Column("participant_id", sa.ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("room_id", sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
)


class Participant(EventMember, Base):
    __tablename__ = "participants"

    badge_number: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    registration_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    is_checked_in: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # Event-level contact details typed by the event's staff (never the account's own).
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    organization: Mapped[str | None] = mapped_column(sa.String(200))

    user = relationship("User", lazy="raise")
    allowed_rooms = relationship("Room", secondary=participant_allowed_rooms, lazy="raise")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "event_id"),
        sa.UniqueConstraint("event_id", "badge_number"),
    )
