"""Issue 17 (part A): plain user-id badges per event; event location_details and
total_exhibitors; session duration_minutes."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from makeplus_core.access.models import RoomAccess

CTRL = "controlleur_des_badges"
GEST = "gestionnaire_des_salles"


@pytest.fixture
def w(f):
    class W:
        event = f.event(name="Tech Summit")
        room = f.room(event, name="Amphi")
        gest = f.member(event, GEST)
        ctrl = f.member(event, CTRL)
        holder = f.member(event, "participant")
        outsider = f.user(first_name="Secret", last_name="Person")

        def h(self, user):
            return f.auth(user, self.event)

    return W()


def journal(db):
    rows = db.execute(sa.select(RoomAccess.reason, RoomAccess.user_id).order_by(RoomAccess.access_time)).all()
    db.commit()
    return rows


def door(app, w, qr_data, status, app_=None):
    return (app_ or app).post_json(f"/api/rooms/{w.room.id}/verify_access/", {"qr_data": qr_data},
                                   headers=w.h(w.ctrl), status=status).json


def test_event_choice_overrides_the_platform_default(app, make_app, w, db):
    strict = make_app(**{"makeplus.badges.accept_plain_user_id": "false"})
    plain = str(w.holder.id)
    assert app.get(f"/api/events/{w.event.id}/", headers=w.h(w.gest)).json["accept_plain_user_id"] is True
    assert door(strict, w, plain, 400, strict)["error"] == "plain_id_refused"  # production default: off
    r = app.patch_json(f"/api/events/{w.event.id}/", {"accept_plain_user_id": True}, headers=w.h(w.gest)).json
    assert r["accept_plain_user_id"] is True and r["settings"]["accept_plain_user_id"] is True
    assert door(strict, w, plain, 200, strict)["status"] == "granted"  # the organiser chose it
    assert strict.post_json("/api/participants/scan/", {"qr_data": plain}, headers=w.h(w.ctrl)).json["status"] \
        == "success"
    app.patch_json(f"/api/events/{w.event.id}/", {"accept_plain_user_id": False}, headers=w.h(w.gest))
    assert door(app, w, plain, 400)["error"] == "plain_id_refused"  # development default on, event says no
    r = app.post_json("/api/participants/scan/", {"qr_data": plain}, headers=w.h(w.ctrl), status=400).json
    assert r["error"] == "plain_id_refused"
    qr = json.dumps({"user_id": w.holder.id, "badge_id": w.holder.badge_id})
    assert door(app, w, qr, 200)["status"] == "granted"  # real badges always work
    assert [reason for reason, _ in journal(db)] == ["plain_id_refused", "granted", "checked_in",
                                                     "plain_id_refused", "plain_id_refused", "granted"]
    assert all(user is None for reason, user in journal(db) if reason == "plain_id_refused")


def test_only_the_events_gestionnaire_chooses(app, w, f):
    app.patch_json(f"/api/events/{w.event.id}/", {"accept_plain_user_id": True}, headers=w.h(w.ctrl), status=403)
    r = app.patch_json(f"/api/events/{w.event.id}/", {"accept_plain_user_id": "maybe"}, headers=w.h(w.gest),
                       status=400).json
    assert r["field"] == "accept_plain_user_id"


def test_denied_plain_id_never_reveals_who_it_belongs_to(app, w):
    plain = str(w.outsider.id)
    r = door(app, w, plain, 403)
    assert r["error"] == "no_event_access"
    text = json.dumps(r)
    assert "Secret" not in text and w.outsider.email not in text and "user" not in r
    r = app.post_json("/api/participants/scan/", {"qr_data": plain}, headers=w.h(w.ctrl), status=403).json
    assert "Secret" not in json.dumps(r)
    for path in ("/api/room-access/", "/api/my-room/statistics/", f"/api/rooms/{w.room.id}/statistics/"):
        body = json.dumps(app.get(path, headers=w.h(w.gest)).json)
        assert "Secret" not in body and w.outsider.email not in body, path


def test_location_details_and_duration_minutes(app, w, f):
    r = app.patch_json(f"/api/events/{w.event.id}/", {"location_details": "Hall B, 2nd floor; parking P3"},
                       headers=w.h(w.gest)).json
    assert r["location_details"] == "Hall B, 2nd floor; parking P3"
    got = app.get("/api/events/", headers=w.h(w.holder)).json["results"][0]
    assert got["location_details"] == "Hall B, 2nd floor; parking P3"
    login = app.post_json("/api/auth/token/", {"email": w.holder.email, "password": "makeplus2025"}).json
    assert login["event"]["location_details"] == "Hall B, 2nd floor; parking P3"
    r = app.patch_json(f"/api/events/{w.event.id}/", {"location_details": "x" * 5001}, headers=w.h(w.gest),
                       status=400).json
    assert r["field"] == "location_details"
    s = f.session(w.event, w.room, hours=2)
    assert app.get(f"/api/sessions/{s.id}/", headers=w.h(w.holder)).json["duration_minutes"] == 120
    listed = app.get("/api/sessions/", headers=w.h(w.holder)).json["results"]
    assert all(isinstance(x["duration_minutes"], int) for x in listed)


@pytest.mark.plugin("exposants")
def test_total_exhibitors_from_the_exposants_plugin(app, w, f, count_queries):
    f.member(w.event, "exposant")
    f.member(w.event, "exposant")
    other = f.event()
    f.member(other, "exposant")
    r = app.get(f"/api/events/{w.event.id}/", headers=w.h(w.gest)).json
    assert r["total_exhibitors"] == 2 and isinstance(r["total_exhibitors"], int)
    with count_queries() as one:
        app.get("/api/events/", headers=w.h(w.gest))
    for _ in range(3):
        f.assign(w.gest, f.event(), GEST)
    with count_queries() as many:
        listed = app.get("/api/events/", headers=w.h(w.gest)).json["results"]
    assert many.count == one.count and {e["total_exhibitors"] for e in listed} >= {0, 2}


def test_total_exhibitors_is_not_named_by_the_core(make_app, f):
    core = make_app(**{"makeplus.plugins": ""})
    event = f.event()
    gest = f.member(event, GEST)
    assert "total_exhibitors" not in core.get(f"/api/events/{event.id}/", headers=f.auth(gest, event)).json
