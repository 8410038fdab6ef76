"""The audit trail: one row per created, changed or deleted database row."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

ACTIONS = ("create", "update", "delete")


class AuditLog(Base):
    """Append-only. ``user_id`` and ``event_id`` carry no foreign key on purpose: the
    trail outlives the users and events it mentions."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.Integer)
    role: Mapped[str | None] = mapped_column(sa.String(50))
    event_id: Mapped[object | None] = mapped_column(sa.Uuid)
    action: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    object_type: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    object_id: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    changes: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    ip_address: Mapped[str | None] = mapped_column(sa.String(64))
    request_method: Mapped[str | None] = mapped_column(sa.String(10))
    request_path: Mapped[str | None] = mapped_column(sa.String(500))

    __table_args__ = (
        sa.CheckConstraint(f"action IN {ACTIONS!r}", name="action_valid"),
        sa.Index("ix_audit_log_event_at", "event_id", "at"),
        sa.Index("ix_audit_log_object", "object_type", "object_id"),
        sa.Index("ix_audit_log_user_at", "user_id", "at"),
    )
