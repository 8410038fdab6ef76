"""One YouTube live stream per session."""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from makeplus_core.plugin_api import Base, UTCDateTime, new_uuid, utcnow


class LiveStream(Base):
    __tablename__ = "youtube_live_streams"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid)
    session_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"),
                                                  nullable=False, unique=True)
    # Normalised: https://www.youtube.com/watch?v=<video_id>; a channel/live link without a
    # video id is stored as given (video_id null)
    url: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    video_id: Mapped[str | None] = mapped_column(sa.String(11), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @property
    def embed_url(self) -> str | None:
        return embed_url(self.video_id) if self.video_id else None


def watch_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def embed_url(video_id: str) -> str:
    return f"https://www.youtube.com/embed/{video_id}"
