"""Demo streams: the first demo event's live "Ouverture officielle" and its next conference."""
import sqlalchemy as sa

from .models import LiveStream, watch_url

DEMO = [
    ("Ouverture officielle", "jfKfPfyJRdk"),
    ("Intelligence Artificielle et Machine Learning", "aircAruvnKk"),
]


def load(db, demo):
    if not demo.events:
        return
    sessions = {s.title: s for s in demo.sessions.get(demo.events[0].id, [])}
    admin = demo.users.get("admin@makeplus.demo")
    for title, video_id in DEMO:
        session = sessions.get(title)
        if session is None:
            continue
        if db.scalar(sa.select(LiveStream.id).where(LiveStream.session_id == session.id)) is None:
            db.add(LiveStream(session_id=session.id, url=watch_url(video_id), video_id=video_id,
                              created_by_id=admin.id if admin else None))
    db.flush()
