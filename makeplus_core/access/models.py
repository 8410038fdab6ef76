"""Access records: door scans (RoomAccess) and paid-atelier rights (SessionAccess)."""
from __future__ import annotations

import datetime as dt
import decimal
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, Money, UTCDateTime, new_uuid, utcnow

# "free": a confirmed registration for a free atelier (self-registration, docs/api-people.md)
PAYMENT_STATUSES = ("pending", "paid", "free", "refunded")


class SessionAccess(Base):
    __tablename__ = "session_access"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid)
    participant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("participants.id", ondelete="CASCADE"),
                                                      nullable=False)
    session_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"),
                                                  nullable=False, index=True)
    payment_status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pending")
    has_access: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    amount_paid: Mapped[decimal.Decimal] = mapped_column(Money, nullable=False,
                                                         default=decimal.Decimal("0.00"))
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    granted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow,
                                                    onupdate=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.UniqueConstraint("participant_id", "session_id"),
        sa.CheckConstraint(f"payment_status IN {PAYMENT_STATUSES!r}", name="payment_status_valid"),
        sa.CheckConstraint("amount_paid >= 0", name="amount_positive"),
    )


class RoomAccess(Base):
    """One scan decision, granted or denied, with the layer that decided and why.

    ``room_id`` is null for event-level scans (the app's check-in scanner).
    """

    __tablename__ = "room_access"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid)
    event_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    room_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("sessions.id", ondelete="SET NULL"))
    participant_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    access_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # granted | denied
    layer: Mapped[str] = mapped_column(sa.String(40), nullable=False)  # parse, badge, scanner, event…
    reason: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    http_status: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=200)
    scan_id: Mapped[str | None] = mapped_column(sa.String(100))
    # entry (default) or exit; an exit is journaled like an entry (docs/access.md "Exits")
    direction: Mapped[str] = mapped_column(sa.String(5), nullable=False, default="entry",
                                           server_default="entry")

    __table_args__ = (
        sa.CheckConstraint("status IN ('granted', 'denied')", name="status_valid"),
        sa.CheckConstraint("direction IN ('entry', 'exit')", name="direction_valid"),
        sa.Index("ix_room_access_room_time", "room_id", "access_time"),
        sa.Index("ix_room_access_event_time", "event_id", "access_time"),
        sa.Index("ix_room_access_participant", "participant_id", "room_id"),
        sa.Index("ix_room_access_verifier_time", "verified_by_id", "access_time"),
        sa.UniqueConstraint("verified_by_id", "scan_id"),
    )


class RoomAdmission(Base):
    """A holder admitted in a capped room for one capacity window (the running session's
    start, else the UTC day's start). Written once per holder and window, when the holder
    is first granted; a re-entry finds it and costs nothing more (see :class:`RoomAdmissionCount`)."""

    __tablename__ = "room_admissions"

    room_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    admitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # rooms that track exits: false once the holder's exit is scanned (re-entry sets it again)
    inside: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True, server_default=sa.true())


class RoomAdmissionCount(Base):
    """How many distinct holders a capped room admitted in one window: admission is one
    conditional upsert (``admitted < capacity``), O(1) whatever the size of the journal."""

    __tablename__ = "room_admission_counts"

    room_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    admitted: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    __table_args__ = (sa.CheckConstraint("admitted >= 0", name="admitted_positive"),)


class RevokedBadge(Base):
    """A badge id that was replaced (lost badge re-issued): offline scanners refuse it
    (the scanner manifest lists the revoked badges of the event's people)."""

    __tablename__ = "revoked_badges"

    badge_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    revoked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class RoomAccessHourly(Base):
    """Roll-up of the scan journal: how many ``room_access`` rows a room has per UTC hour,
    status and direction. Maintained by the DATABASE (triggers on ``room_access`` INSERT and
    DELETE, revision ``0014_stats_rollups``), so every writer — the scan pipeline, the
    one-statement door, the offline scanners' sync of past scans — keeps it exact without a
    round trip of its own. The room statistics read it instead of the journal."""

    __tablename__ = "room_access_hourly"

    room_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    hour: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    direction: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class RoomDayVisitor(Base):
    """Roll-up of the scan journal: each holder granted in a room on a UTC day, once
    (insert-or-ignore by the ``room_access`` INSERT trigger; removed by its DELETE trigger
    when no granted row of that holder, room and day is left). Unique visitors of a room
    (all time and today) are counted here.

    ``first_entry_at``: the holder's earliest granted entry (``direction = 'entry'``) in the
    room that day, NULL while they only have granted exits (revision 0015_stats_first_entry:
    lowered by an earlier entry, e.g. a synced past scan; recomputed when the first entry is
    deleted). The occupancy of rooms that do not track exits and the occupancy timeline
    count these rows instead of the day's journal."""

    __tablename__ = "room_day_visitors"

    room_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    first_entry_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
