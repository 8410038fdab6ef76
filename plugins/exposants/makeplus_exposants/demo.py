"""Demo leads: exposant@ scanned participant@ today (with notes) and participant2@ yesterday,
on the first demo event. Idempotent (one lead per pair)."""
import datetime as dt

import sqlalchemy as sa

from makeplus_core.plugin_api import Participant, utcnow

from .models import ExposantScan, ExposantVisit
from .services import today_start

LEADS = [
    ("participant@makeplus.demo", dt.timedelta(hours=1), "Intéressé par le produit X, rappeler lundi."),
    ("participant2@makeplus.demo", dt.timedelta(days=1), ""),
]


def load(db, demo):
    if not demo.events:
        return
    event = demo.events[0]
    expo_user = demo.users.get("exposant@makeplus.demo")
    if expo_user is None:
        return
    by_user = dict(db.execute(sa.select(Participant.user_id, Participant).where(
        Participant.event_id == event.id)).all())
    exposant = by_user.get(expo_user.id)
    if exposant is None:
        return
    now = utcnow().replace(microsecond=0)
    for email, ago, notes in LEADS:
        user = demo.users.get(email)
        visitor = by_user.get(user.id) if user else None
        if visitor is None:
            continue
        exists = db.scalar(sa.select(ExposantScan.id).where(ExposantScan.exposant_id == exposant.id,
                                                            ExposantScan.scanned_participant_id == visitor.id))
        if exists is not None:
            continue
        when = now - ago
        if ago < dt.timedelta(days=1):  # "today" in the event's timezone, even just after midnight
            when = max(when, now - (now - today_start(db, event.id, now)) / 2)
        lead = ExposantScan(event_id=event.id, exposant_id=exposant.id, scanned_participant_id=visitor.id,
                            scanned_at=when, last_scanned_at=when, visit_count=1, notes=notes, updated_at=when)
        db.add(lead)
        db.flush()
        db.add(ExposantVisit(scan_id=lead.id, event_id=event.id, exposant_id=exposant.id, visited_at=when))
    db.flush()
