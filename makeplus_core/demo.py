"""Demo data: the seed's three events with rooms, sessions and the demo accounts.

Idempotent: rows are looked up by natural keys (e-mail, event name, room name,
session title) before being created, so running it twice changes nothing.
Plugins add their rows through the ``makeplus_demo_data`` hook.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal

import sqlalchemy as sa

from .access.badge_policy import SETTING as PLAIN_IDS
from .access.models import SessionAccess
from .auth.models import User
from .auth.services import create_user
from .db import utcnow
from .events.models import Event
from .events.services import assign_role
from .participants.models import Participant
from .roles import CONTROLLEUR, EXPOSANT, GESTIONNAIRE, PARTICIPANT
from .rooms.models import Room
from .sessions.models import Session
from .staff.models import RoomAssignment

PASSWORD = "makeplus2025"

ACCOUNTS = [
    # email, first, last, admin
    ("admin@makeplus.demo", "Amina", "Admin", True),
    ("gestionnaire@makeplus.demo", "Ghani", "Gestionnaire", False),
    ("controller@makeplus.demo", "Cherif", "Controleur", False),
    ("participant@makeplus.demo", "Ahmed", "Benali", False),
    ("exposant@makeplus.demo", "Yasmine", "Exposant", False),
    ("multi@makeplus.demo", "Karim", "Mansouri", False),
    ("participant2@makeplus.demo", "Sara", "Meziane", False),
]

# Staff and people of the second and third events, like the first one's (each account holds one
# role in one event, so it logs in without choosing an event). e-mail prefix -> role
OTHER_EVENT_PEOPLE = [
    ("gestionnaire", "Gestionnaire", GESTIONNAIRE),
    ("controller", "Controleur", CONTROLLEUR),
    ("participant", "Participant", PARTICIPANT),
    ("participant2", "Participante", PARTICIPANT),
    ("exposant", "Exposant", EXPOSANT),
]
OTHER_EVENT_CITIES = {1: ("oran", "Omar"), 2: ("constantine", "Chahra")}

EVENTS = [
    ("Tech Summit Algeria 2025", "Alger Centre des Congrès", 0, "Annual technology conference", "#1E88E5"),
    ("Startup Week Algeria 2025", "Oran Convention Center", 30, "A week for founders and investors", "#43A047"),
    ("Innovation Festival 2025", "Constantine, Palais de la Culture", 60, "Innovation, design and research",
     "#8E24AA"),
]

ROOMS = [("Amphithéâtre A", 500, "Grand amphithéâtre, niveau 0"), ("Salle Atelier 1", 30, "Salle d'atelier"),
         ("Hall Exposition", 800, "Stands des exposants")]

SESSIONS = [
    # title, room index, start hour offset, hours, type, paid, price, speaker, theme
    ("Ouverture officielle", 0, 0, 1, "conference", False, "0", "Comité d'organisation", "Institutionnel"),
    ("Intelligence Artificielle et Machine Learning", 0, 2, 2, "conference", False, "0", "Dr. Ahmed Benali", "IA"),
    ("Atelier UX Design", 1, 1, 2, "atelier", True, "6000.00", "Lina Haddad", "Design"),
    ("Atelier Pitch Deck & Levée de Fonds", 1, 4, 3, "atelier", True, "5000.00", "Sarah Meziane", "Financement"),
]


@dataclasses.dataclass
class DemoData:
    events: list
    users: dict
    rooms: dict
    sessions: dict
    password: str = PASSWORD
    # The application settings (e.g. ``makeplus.storage_root`` for demo files); may be empty.
    settings: dict = dataclasses.field(default_factory=dict)


def _user(db, email, first, last, admin):
    user = db.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = create_user(db, email=email, password=PASSWORD, first_name=first, last_name=last,
                           is_admin=admin, organization="MakePlus Demo", email_verified=True)
    return user


def _event(db, index, name, location, offset_days, description, color, admin):
    event = db.scalar(sa.select(Event).where(Event.name == name))
    if event is None:
        today = utcnow().replace(hour=8, minute=0, second=0, microsecond=0)
        start = today - dt.timedelta(days=1) + dt.timedelta(days=offset_days)

        event = Event(name=name, location=location, description=description, start_date=start,
                      end_date=start + dt.timedelta(days=3, hours=10), primary_color=color,
                      status="active" if offset_days == 0 else "upcoming", themes=["IA", "Design", "Financement"],
                      organizer_name="MakePlus Events", organizer_email="contact@makeplus.demo",
                      location_details=f"{location} — accueil et badges à l'entrée principale",
                      # the field app shows plain user-id badges: the demo events accept them
                      settings={PLAIN_IDS: True}, created_by_id=admin.id)
        db.add(event)
        db.flush()
    return event


def load(db, pm, settings: dict | None = None) -> DemoData:
    users = {email: _user(db, email, first, last, admin) for email, first, last, admin in ACCOUNTS}
    admin = users["admin@makeplus.demo"]
    events, rooms, sessions = [], {}, {}
    for i, spec in enumerate(EVENTS):
        event = _event(db, i, *spec, admin=admin)
        events.append(event)
        rooms[event.id] = []
        for name, capacity, description in ROOMS:
            room = db.scalar(sa.select(Room).where(Room.event_id == event.id, Room.name == name))
            if room is None:
                room = Room(event_id=event.id, name=name, capacity=capacity, description=description,
                            created_by_id=admin.id)
                db.add(room)
                db.flush()
            rooms[event.id].append(room)
        sessions[event.id] = []
        day1 = event.start_date.replace(hour=9, minute=0) + dt.timedelta(days=1 if i else 1)
        if i == 0:  # the running event: sessions today, one of them live now
            now = utcnow().replace(minute=0, second=0, microsecond=0)
            day1 = now - dt.timedelta(hours=1)
        for title, room_i, hour, hours, stype, paid, price, speaker, theme in SESSIONS:
            session = db.scalar(sa.select(Session).where(Session.event_id == event.id, Session.title == title))
            if session is None:
                start = day1 + dt.timedelta(hours=hour)
                status = "en_cours" if (i == 0 and hour == 0) else "pas_encore"
                session = Session(event_id=event.id, room_id=rooms[event.id][room_i].id, title=title,
                                  description=f"{title} — {theme}", speaker_name=speaker,
                                  speaker_title="Intervenant", theme=theme, session_type=stype, is_paid=paid,
                                  price=decimal.Decimal(price), start_time=start,
                                  end_time=start + dt.timedelta(hours=hours), status=status,
                                  capacity=25 if paid else None, created_by_id=admin.id)
                db.add(session)
                db.flush()
            sessions[event.id].append(session)
    first, second, third = events
    assign_role(db, users["gestionnaire@makeplus.demo"].id, first, GESTIONNAIRE)
    assign_role(db, users["controller@makeplus.demo"].id, first, CONTROLLEUR)
    assign_role(db, users["participant@makeplus.demo"].id, first, PARTICIPANT)
    assign_role(db, users["participant2@makeplus.demo"].id, first, PARTICIPANT)
    assign_role(db, users["exposant@makeplus.demo"].id, first, EXPOSANT)
    assign_role(db, users["multi@makeplus.demo"].id, first, PARTICIPANT)
    assign_role(db, users["multi@makeplus.demo"].id, second, EXPOSANT)
    assign_role(db, users["multi@makeplus.demo"].id, third, CONTROLLEUR)
    _paid_ateliers(db, first, sessions[first.id], users["participant@makeplus.demo"])
    _room_assignment(db, users["gestionnaire@makeplus.demo"], first, rooms[first.id][0], GESTIONNAIRE)
    for index, event in ((1, second), (2, third)):
        _other_event_people(db, index, event, rooms[event.id], sessions[event.id], users)
    demo = DemoData(events=events, users=users, rooms=rooms, sessions=sessions, settings=dict(settings or {}))
    pm.hook.makeplus_demo_data(dbsession=db, demo=demo)
    db.flush()
    return demo


def _room_assignment(db, user, event, room, role):
    """``user`` staffs ``room`` for the whole event (the app's room-manager screen reads
    ``user-assignments[0].room_assignment.room_id``)."""
    exists = db.scalar(sa.select(RoomAssignment.id).where(RoomAssignment.user_id == user.id,
                                                          RoomAssignment.event_id == event.id))
    if exists is None:
        db.add(RoomAssignment(user_id=user.id, room_id=room.id, event_id=event.id, role=role,
                              start_time=event.start_date, end_time=event.end_date))
        db.flush()


def _other_event_people(db, index, event, rooms, sessions, users):
    """Events 2 and 3 get a gestionnaire (staffing the first room), a controller, two
    participants (the first with a paid and a pending atelier) and an exposant."""
    city, first_name = OTHER_EVENT_CITIES[index]
    people = {}
    for prefix, last_name, role in OTHER_EVENT_PEOPLE:
        email = f"{prefix}.{city}@makeplus.demo"
        user = _user(db, email, first_name, f"{last_name} {city.title()}", False)
        users[email] = user
        assign_role(db, user.id, event, role)
        people[prefix] = user
    _room_assignment(db, people["gestionnaire"], event, rooms[0], GESTIONNAIRE)
    _paid_ateliers(db, event, sessions, people["participant"])


def _paid_ateliers(db, event, sessions, user):
    """``user`` (participant@ in the first event) has paid the UX atelier and is pending for the
    pitch atelier."""
    participant = db.scalar(sa.select(Participant).where(
        Participant.event_id == event.id, Participant.user_id == user.id))
    paid = [s for s in sessions if s.is_paid]
    for session, status in zip(paid, ("paid", "pending"), strict=False):
        exists = db.scalar(sa.select(SessionAccess.id).where(SessionAccess.participant_id == participant.id,
                                                            SessionAccess.session_id == session.id))
        if exists is None:
            db.add(SessionAccess(participant_id=participant.id, session_id=session.id, payment_status=status,
                                 has_access=status == "paid",
                                 amount_paid=session.price if status == "paid" else decimal.Decimal("0"),
                                 paid_at=utcnow() if status == "paid" else None,
                                 granted_at=utcnow() if status == "paid" else None))
    db.flush()
