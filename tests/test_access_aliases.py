"""Issue 17 (part A): the seed's remaining door paths (seed 001): qr/verify,
participants/verify_qr, access_rooms, grant_room_access, rooms/{id}/sessions,
rooms/{id}/current-staff."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from makeplus_core.access.models import RoomAccess
from makeplus_core.db import utcnow
from makeplus_core.participants.models import participant_allowed_rooms
from makeplus_core.staff.models import RoomAssignment

CTRL = "controlleur_des_badges"
GEST = "gestionnaire_des_salles"


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id})


@pytest.fixture
def w(f):
    class W:
        event = f.event(name="Tech Summit")
        amphi = f.room(event, name="Amphi")
        salle = f.room(event, name="Salle B")
        gest = f.member(event, GEST)
        ctrl = f.member(event, CTRL)
        alice = f.member(event, "participant")
        bob = f.member(event, "participant")
        other = f.event()
        other_room = f.room(other)
        other_gest = f.member(other, GEST)

        def h(self, user, event=None):
            return f.auth(user, event or self.event)

    return W()


def journal(db):
    rows = db.execute(sa.select(RoomAccess.room_id, RoomAccess.status, RoomAccess.reason)).all()
    db.commit()
    return rows


def test_qr_verify_at_a_room_is_the_rooms_door(app, w, db):
    r = app.post_json("/api/qr/verify/", {"qr_data": qr(w.alice), "room_id": str(w.amphi.id)},
                      headers=w.h(w.ctrl)).json
    assert r["status"] == "granted" and r["access"]["room_name"] == "Amphi"
    assert journal(db) == [(w.amphi.id, "granted", "granted")]
    r = app.post_json("/api/qr/verify/", {"qr_data": "garbage", "room": str(w.amphi.id)},
                      headers=w.h(w.ctrl), status=400).json
    assert r["status"] == "denied"
    app.post_json("/api/qr/verify/", {"qr_data": qr(w.alice), "room": str(w.other_room.id)},
                  headers=w.h(w.ctrl), status=404)
    r = app.post_json("/api/qr/verify/", {"qr_data": qr(w.alice), "room": "nope"}, headers=w.h(w.ctrl),
                      status=400).json
    assert r["field"] == "room"


def test_qr_verify_without_a_room_and_verify_qr_are_the_event_scanner(app, w, db):
    for path in ("/api/qr/verify/", "/api/participants/verify_qr/"):
        r = app.post_json(path, {"qr_data": qr(w.bob)}, headers=w.h(w.ctrl)).json
        assert r["status"] == "success" and r["participant"]["email"] == w.bob.email
        assert isinstance(r["paid_items"], list)
    assert [row[2] for row in journal(db)] == ["checked_in", "checked_in"]
    app.post_json("/api/participants/verify_qr/", {"qr_data": qr(w.bob)}, headers=w.h(w.alice), status=403)
    app.post_json("/api/participants/verify_qr/", {}, headers=w.h(w.ctrl), status=400)
    app.post_json("/api/qr/verify/", {"qr_data": qr(w.bob)}, status=401)


def test_verify_qr_is_idempotent_by_scan_id(app, w, db):
    body = {"qr_data": qr(w.bob), "scan_id": "phone-1"}
    a = app.post_json("/api/participants/verify_qr/", body, headers=w.h(w.ctrl)).json
    b = app.post_json("/api/participants/verify_qr/", body, headers=w.h(w.ctrl)).json
    assert a["access"]["id"] == b["access"]["id"] and len(journal(db)) == 1


def test_access_rooms_and_grant(app, w, f, db):
    p = f.participant_of(w.alice, w.event)
    url = f"/api/participants/{p.id}/access_rooms/"
    r = app.get(url, headers=w.h(w.ctrl)).json
    assert r["all_rooms"] is True and {x["name"] for x in r["results"]} == {"Amphi", "Salle B"}
    assert app.get(url, headers=w.h(w.alice)).json["count"] == 2  # their own
    other_p = f.participant_of(w.bob, w.event)
    app.get(f"/api/participants/{other_p.id}/access_rooms/", headers=w.h(w.alice), status=404)

    grant = f"/api/participants/{p.id}/grant_room_access/"
    r = app.post_json(grant, {"room_id": str(w.amphi.id)}, headers=w.h(w.gest)).json
    assert r["all_rooms"] is True and r["added"] == []  # may already enter every room: unchanged
    f.db.execute(participant_allowed_rooms.insert().values(participant_id=p.id, room_id=w.amphi.id))
    f.db.commit()
    assert [x["name"] for x in app.get(url, headers=w.h(w.gest)).json["results"]] == ["Amphi"]
    app.post_json(f"/api/rooms/{w.salle.id}/verify_access/", {"qr_data": qr(w.alice)}, headers=w.h(w.ctrl),
                  status=403)
    r = app.post_json(grant, {"room": str(w.salle.id)}, headers=w.h(w.gest)).json
    assert r["added"] == [str(w.salle.id)] and r["count"] == 2 and r["all_rooms"] is False
    app.post_json(f"/api/rooms/{w.salle.id}/verify_access/", {"qr_data": qr(w.alice)}, headers=w.h(w.ctrl),
                  status=200)
    again = app.post_json(grant, {"rooms": [str(w.salle.id)]}, headers=w.h(w.gest)).json
    assert again["added"] == []

    for body, field in (({}, "room"), ({"room": "x"}, "room"), ({"room": str(w.other_room.id)}, "room"),
                        ({"rooms": "notalist"}, "rooms")):
        assert app.post_json(grant, body, headers=w.h(w.gest), status=400).json["field"] == field
    app.post_json(grant, {"room": str(w.amphi.id)}, headers=w.h(w.ctrl), status=403)
    app.post_json(grant, {"room": str(w.amphi.id)}, headers=w.h(w.alice), status=404)
    app.post_json(grant, {"room": str(w.amphi.id)}, headers=w.h(w.other_gest, w.other), status=404)


def test_room_sessions(app, w, f):
    f.session(w.event, w.amphi, title="Keynote")
    f.session(w.event, w.amphi, title="Panel", start=utcnow() + dt.timedelta(hours=2))
    f.session(w.event, w.salle, title="Elsewhere")
    r = app.get(f"/api/rooms/{w.amphi.id}/sessions/", headers=w.h(w.alice)).json
    assert [s["title"] for s in r["results"]] == ["Keynote", "Panel"] and r["count"] == 2
    assert all(s["room"] == str(w.amphi.id) and s["room_name"] == "Amphi" for s in r["results"])
    app.get(f"/api/rooms/{w.amphi.id}/sessions/", headers=w.h(w.other_gest, w.other), status=404)


def test_room_current_staff(app, w, f):
    now = utcnow()
    f.commit(RoomAssignment(user_id=w.ctrl.id, room_id=w.amphi.id, event_id=w.event.id, role=CTRL,
                            start_time=now - dt.timedelta(hours=1), end_time=now + dt.timedelta(hours=1)),
             RoomAssignment(user_id=w.gest.id, room_id=w.amphi.id, event_id=w.event.id, role=GEST,
                            start_time=now + dt.timedelta(hours=3), end_time=now + dt.timedelta(hours=4)))
    r = app.get(f"/api/rooms/{w.amphi.id}/current-staff/", headers=w.h(w.gest)).json
    assert [a["user_id"] for a in r["results"]] == [w.ctrl.id] and r["results"][0]["role"] == CTRL
    assert app.get(f"/api/rooms/{w.salle.id}/current-staff/", headers=w.h(w.ctrl)).json["count"] == 0
    app.get(f"/api/rooms/{w.amphi.id}/current-staff/", headers=w.h(w.alice), status=403)
    app.get(f"/api/rooms/{w.amphi.id}/current-staff/", headers=w.h(w.other_gest, w.other), status=404)
