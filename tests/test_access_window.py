"""One capacity window: the door's admission and the room occupancy count the same holders
(issue 15: a live session past its end time was the window for the door, not for the
occupancy, which fell back to the day: 1 vs 2 holders for the same room at the same time)."""
from __future__ import annotations

import datetime as dt
import json
import time

import sqlalchemy as sa

from makeplus_core.access.models import RoomAdmissionCount
from makeplus_core.access.occupancy import room_occupancy
from makeplus_core.access.window import LIVE, current_window_start
from makeplus_core.db import utcnow


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id})


def test_live_session_past_its_end_is_the_window_of_door_and_occupancy(app, f, db):
    event = f.event()
    room = f.room(event, name="Amphi", capacity=1)
    h = f.auth(f.member(event, "controlleur_des_badges"), event)
    early, late, third = (f.member(event, "participant") for _ in range(3))
    url = f"/api/rooms/{room.id}/verify_access/"

    def scan(user, status=200):
        return app.post_json(url, {"qr_data": qr(user)}, headers=h, status=status).json

    assert scan(early)["session"] is None  # no session yet: the day's window
    # a session goes live after that entry and runs past its end time
    session = f.session(event, room, start=utcnow(), hours=0.2 / 3600, status=LIVE)
    time.sleep(0.3)
    assert session.end_time < utcnow()
    assert scan(late)["session"]["id"] == str(session.id)  # the live session is the door's window
    assert scan(third, status=403)["error"] == "room_full"

    now = utcnow()
    window = current_window_start(db, room.id, now)
    assert window == session.start_time
    admitted = db.scalar(sa.select(RoomAdmissionCount.admitted).where(RoomAdmissionCount.room_id == room.id,
                                                                       RoomAdmissionCount.window_start == window))
    db.commit()
    # the same holders: only the one who entered since the live session's start
    assert admitted == 1
    assert room_occupancy(db, [room.id], now) == {room.id: 1}
    assert app.get(f"/api/rooms/{room.id}/", headers=h).json["current_participants"] == 1
    # once the session is over, both fall back to the day, which counts both entries
    session.status = "termine"
    f.db.commit()
    later = utcnow() + dt.timedelta(seconds=1)
    assert current_window_start(db, room.id, later) < session.start_time
    assert room_occupancy(db, [room.id], later) == {room.id: 2}
    db.commit()
