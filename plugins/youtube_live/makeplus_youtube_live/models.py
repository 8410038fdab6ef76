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
    # Normalised: https://www.youtube.com/watch?v=<video_id>
    url: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    video_id: Mapped[str] = mapped_column(sa.String(11), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @property
    def embed_url(self) -> str:
        return embed_url(self.video_id)


def watch_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def embed_url(video_id: str) -> str:
    return f"https://www.youtube.com/embed/{video_id}"
