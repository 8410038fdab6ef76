"""YouTube live streams of sessions: URL validation, storage, JSON extension, live list."""
from __future__ import annotations

import functools
import re
from urllib.parse import parse_qs, urlsplit

import colander
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from makeplus_core.plugin_api import RawSelect, Room, Session, errors, get_or_404

from .models import LiveStream, embed_url, watch_url

FIELD = "youtube_live_url"
VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com"}
SHORT_HOSTS = {"youtu.be", "www.youtu.be"}
MAX_URL_LENGTH = 500


CHANNEL_PATH = re.compile(r"/(?:@[A-Za-z0-9_.-]{1,100}|channel/[A-Za-z0-9_-]{1,64}|c/[A-Za-z0-9_.-]{1,100}"
                          r"|user/[A-Za-z0-9_.-]{1,100})/live/?")
LIVE_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _invalid(msg="must be a YouTube URL: https://www.youtube.com/watch?v=ID, https://youtu.be/ID, "
                 "https://www.youtube.com/live/ID, https://www.youtube.com/embed/ID or "
                 "https://www.youtube.com/@channel/live"):
    return errors.Invalid(f"{FIELD}: {msg}", field=FIELD)


def parse_youtube_link(value) -> tuple[str | None, str]:
    """``(video_id, url to store)`` of a YouTube link; anything else is a 400.

    Video links (http or https, scheme optional, with or without ``www.``/``m.``, extra
    query parameters such as ``t``, ``si``, ``feature`` ignored): ``youtube.com/watch?v=ID``,
    ``youtu.be/ID``, ``youtube.com/live/ID``, ``youtube.com/embed/ID``,
    ``youtube.com/shorts/ID`` give the 11-character id and the canonical
    ``https://www.youtube.com/watch?v=ID``.

    Live links without a video id are stored as given (scheme added when missing) with
    ``video_id`` ``None``: a channel's live page (``youtube.com/@channel/live``,
    ``/channel/UC…/live``, ``/c/name/live``, ``/user/name/live``) and a ``/live/…``
    link whose last part is not an 11-character video id (the seed's own example,
    ``https://youtube.com/live/abc123``).
    """
    if not isinstance(value, str):
        raise _invalid("must be a text URL or null")
    text = value.strip()
    if not text or len(text) > MAX_URL_LENGTH or any(c.isspace() for c in text):
        raise _invalid()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _invalid() from None
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password or port is not None:
        raise _invalid()
    host = (parts.hostname or "").lower()
    path = parts.path
    candidate = None
    if host in YOUTUBE_HOSTS:
        if path in ("/watch", "/watch/"):
            values = parse_qs(parts.query).get("v", [])
            candidate = values[0] if len(values) == 1 else None
        elif CHANNEL_PATH.fullmatch(path):
            return None, text
        else:
            m = re.fullmatch(r"/(live|embed|shorts)/([^/]+)/?", path)
            if m:
                candidate = m.group(2)
                if m.group(1) == "live" and not VIDEO_ID.fullmatch(candidate) and LIVE_SEGMENT.fullmatch(candidate):
                    return None, text
    elif host in SHORT_HOSTS:
        m = re.fullmatch(r"/([^/]+)/?", path)
        candidate = m.group(1) if m else None
    if candidate is None or not VIDEO_ID.fullmatch(candidate):
        raise _invalid()
    return candidate, watch_url(candidate)


def parse_youtube_url(value) -> str | None:
    """The 11-character video id of a YouTube link (``None`` for a channel/live link
    stored as is); anything else is a 400. See :func:`parse_youtube_link`."""
    return parse_youtube_link(value)[0]


def describe(stream: LiveStream | None) -> dict:
    if stream is None:
        return {FIELD: None, "youtube_video_id": None, "youtube_embed_url": None}
    return {FIELD: stream.url, "youtube_video_id": stream.video_id,
            "youtube_embed_url": embed_url(stream.video_id) if stream.video_id else None}


class _UrlType(colander.SchemaType):
    """``youtube_live_url`` as a colander type: the canonical watch URL of the video (a
    channel/live link without a video id: the link as given)."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        try:
            return parse_youtube_link(cstruct)[1]
        except errors.Invalid as exc:
            raise colander.Invalid(node, exc.message.split(": ", 1)[-1]) from None


def url_node() -> colander.SchemaNode:
    """The field this plugin adds to the core's session schema (``makeplus_schema_fields``)."""
    return colander.SchemaNode(_UrlType(), name=FIELD, missing=colander.drop,
                               description="YouTube live URL of the session (null: none)")


def get_stream(db, session_id) -> LiveStream | None:
    return db.scalar(sa.select(LiveStream).where(LiveStream.session_id == session_id))


def set_url(db, session: Session, value, user_id=None) -> LiveStream | None:
    """Store (or, with ``None``/``""``, remove) the session's stream; returns it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        clear(db, session)
        return None
    video_id, url = parse_youtube_link(value)
    stream = get_stream(db, session.id)
    if stream is None:
        stream = LiveStream(session_id=session.id, created_by_id=user_id, url=url, video_id=video_id)
        db.add(stream)
    else:
        stream.url = url
        stream.video_id = video_id
    db.flush()
    return stream


def clear(db, session: Session) -> None:
    db.execute(sa.delete(LiveStream).where(LiveStream.session_id == session.id))


@functools.cache
def _streams_query(array: bool) -> RawSelect:
    """``array``: the ids as one array parameter (PostgreSQL: one SQL text whatever their number,
    compiled once and run on the driver's cursor), else an expanding ``IN``."""
    ids = (LiveStream.session_id == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.Uuid)))) if array \
        else LiveStream.session_id.in_(sa.bindparam("ids", expanding=True))
    return RawSelect(sa.select(LiveStream.session_id, LiveStream.url, LiveStream.video_id).where(ids))


def extend_sessions(db, sessions, payloads) -> None:
    """Add youtube_live_url/youtube_video_id/youtube_embed_url to session JSON: one query for the page."""
    ids = [s.id for s in sessions if getattr(s, "id", None) is not None]
    streams = {}
    if ids:  # the two columns describe() reads, no ORM entity; the statement built once
        conn = db.connection()
        query = _streams_query(conn.dialect.name == "postgresql")
        streams = {st.session_id: st for st in query.all(conn, {"ids": list(set(ids))})}
    for session, payload in zip(sessions, payloads, strict=False):
        payload.update(describe(streams.get(getattr(session, "id", None))))


def get_session(db, session_id, event_id) -> Session:
    return get_or_404(db, Session, session_id, event_id, label="Session")


def live_sessions(db, event_id) -> list[dict]:
    """The event's sessions that are en_cours and have a stream, by start time (one query)."""
    rows = db.execute(
        sa.select(Session, Room.name, LiveStream)
        .join(LiveStream, LiveStream.session_id == Session.id)
        .join(Room, Room.id == Session.room_id)
        .where(Session.event_id == event_id, Session.status == "en_cours")
        .order_by(Session.start_time, Session.id)).all()
    out = []
    for session, room_name, stream in rows:
        item = {"id": str(session.id), "event": str(session.event_id), "title": session.title,
                "room": str(session.room_id), "room_id": str(session.room_id), "room_name": room_name,
                "speaker_name": session.speaker_name, "start_time": session.start_time,
                "end_time": session.end_time, "status": session.status, "is_live": True}
        item.update(describe(stream))
        out.append(item)
    return out
