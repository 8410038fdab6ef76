"""Rooms REST: roles, scoping, unique names, delete rules, include=sessions, query count."""
import datetime as dt

import pytest

ROLES = ["gestionnaire_des_salles", "controlleur_des_badges", "participant", "exposant"]
GEST = "gestionnaire_des_salles"


@pytest.fixture
def w(f):
    class W:
        pass

    w = W()
    w.f = f
    w.event = f.event()
    w.room = f.room(w.event, name="Amphi A", capacity=500, description="Grand amphi")
    w.users = {role: f.member(w.event, role) for role in ROLES}
    w.other = f.event()
    w.other_room = f.room(w.other, name="Foreign")
    w.h = lambda role=GEST: f.auth(w.users[role], w.event)
    return w


@pytest.mark.parametrize("role", ROLES)
def test_every_member_reads(app, w, role):
    r = app.get("/api/rooms/", headers=w.h(role))
    assert r.json["count"] == 1
    room = r.json["results"][0]
    assert room == {**room, "id": str(w.room.id), "event": str(w.event.id), "name": "Amphi A", "capacity": 500,
                    "description": "Grand amphi", "is_active": True, "current_participants": 0}
    assert app.get(f"/api/rooms/{w.room.id}/", headers=w.h(role)).json["name"] == "Amphi A"
    app.get(f"/api/rooms/{w.other_room.id}/", headers=w.h(role), status=404)
    app.get(f"/api/rooms/?event={w.other.id}", headers=w.h(role), status=404)
    assert app.get(f"/api/rooms/?event={w.event.id}", headers=w.h(role)).json["count"] == 1
    assert app.get(f"/api/rooms/?event_id={w.event.id}", headers=w.h(role)).json["count"] == 1


def test_no_token_is_401(app, w):
    app.get("/api/rooms/", status=401)


@pytest.mark.parametrize("role", ROLES)
def test_writes_by_role(app, w, role):
    h = w.h(role)
    body = {"event": str(w.event.id), "name": "Salle 2", "capacity": 40, "description": "x", "is_active": True}
    if role == GEST:
        r = app.post_json("/api/rooms/", body, headers=h, status=201)
        assert r.json["name"] == "Salle 2" and r.json["capacity"] == 40 and r.json["event"] == str(w.event.id)
        rid = r.json["id"]
        assert app.patch_json(f"/api/rooms/{rid}/", {"capacity": 60}, headers=h).json["capacity"] == 60
        r = app.put_json(f"/api/rooms/{rid}/", {"name": "Salle 3", "capacity": 10}, headers=h)
        assert r.json["name"] == "Salle 3" and r.json["description"] == ""
        app.delete(f"/api/rooms/{rid}/", headers=h, status=204)
        app.get(f"/api/rooms/{rid}/", headers=h, status=404)
    else:
        app.post_json("/api/rooms/", body, headers=h, status=403)
        app.patch_json(f"/api/rooms/{w.room.id}/", {"capacity": 1}, headers=h, status=403)
        app.put_json(f"/api/rooms/{w.room.id}/", {"name": "x"}, headers=h, status=403)
        app.delete(f"/api/rooms/{w.room.id}/", headers=h, status=403)
    app.post_json("/api/rooms/", {**body, "event": str(w.other.id)}, headers=h, status=404)
    app.patch_json(f"/api/rooms/{w.other_room.id}/", {"capacity": 1}, headers=h, status=404)
    app.delete(f"/api/rooms/{w.other_room.id}/", headers=h, status=404)


def test_create_defaults_to_token_event_and_accepts_nulls(app, w):
    r = app.post_json("/api/rooms/", {"name": "Hall", "capacity": None, "description": None, "location": None},
                      headers=w.h(), status=201)
    assert r.json["event"] == str(w.event.id) and r.json["capacity"] is None and r.json["description"] == ""


@pytest.mark.parametrize("body, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": "ok", "capacity": -3}, "capacity"),
    ({"name": "ok", "capacity": "many"}, "capacity"),
    ({"name": "ok", "capacity": 12.5}, "capacity"),
    ({"capacity": 3}, "name"),
])
def test_validation(app, w, body, field):
    assert app.post_json("/api/rooms/", body, headers=w.h(), status=400).json["field"] == field


def test_unique_name_per_event(app, w):
    r = app.post_json("/api/rooms/", {"name": "Amphi A"}, headers=w.h(), status=409)
    assert r.json["field"] == "name"
    other = w.f.room(w.event, name="B")
    r = app.patch_json(f"/api/rooms/{other.id}/", {"name": "Amphi A"}, headers=w.h(), status=409)
    assert r.json["field"] == "name"
    # The same name in another event is fine.
    admin = w.f.user(is_admin=True)
    app.post_json("/api/rooms/", {"event": str(w.other.id), "name": "Amphi A"}, headers=w.f.auth(admin, w.event),
                  status=201)


def test_delete_room_with_sessions_is_409(app, w):
    s = w.f.session(w.event, w.room)
    r = app.delete(f"/api/rooms/{w.room.id}/", headers=w.h(), status=409)
    assert "session" in r.json["message"]
    app.delete(f"/api/sessions/{s.id}/", headers=w.h(), status=204)
    app.delete(f"/api/rooms/{w.room.id}/", headers=w.h(), status=204)


def test_filters_and_include_sessions(app, w):
    w.f.room(w.event, name="Closed lab", is_active=False, description="workshop")
    s = w.f.session(w.event, w.room, title="Keynote")
    h = w.h("participant")
    names = lambda q: [r["name"] for r in app.get(f"/api/rooms/{q}", headers=h).json["results"]]  # noqa: E731
    assert names("") == ["Amphi A", "Closed lab"]
    assert names("?is_active=true") == ["Amphi A"]
    assert names("?is_active=false") == ["Closed lab"]
    assert names("?search=WORKSHOP") == ["Closed lab"]
    r = app.get("/api/rooms/?include=sessions", headers=h).json["results"]
    assert [x["title"] for x in r[0]["sessions"]] == ["Keynote"] and r[1]["sessions"] == []
    assert r[0]["sessions"][0]["room"] == str(w.room.id) and r[0]["sessions"][0]["id"] == str(s.id)
    assert "sessions" not in app.get("/api/rooms/", headers=h).json["results"][0]
    one = app.get(f"/api/rooms/{w.room.id}/?include=sessions", headers=h).json
    assert one["sessions"][0]["title"] == "Keynote"


def test_list_query_count_is_fixed(app, w, count_queries):
    h = w.h("controlleur_des_badges")
    for i in range(4):
        room = w.f.room(w.event, name=f"R{i:03d}")
        w.f.session(w.event, room, start=w.event.start_date + dt.timedelta(hours=1))
    with count_queries() as q5:
        assert len(app.get("/api/rooms/?include=sessions", headers=h).json["results"]) == 5
    for i in range(4, 99):
        room = w.f.room(w.event, name=f"R{i:03d}")
        w.f.session(w.event, room, start=w.event.start_date + dt.timedelta(hours=1))
    with count_queries() as q100:
        assert len(app.get("/api/rooms/?include=sessions", headers=h).json["results"]) == 100
    assert q5.count == q100.count
    with count_queries() as plain:
        app.get("/api/rooms/", headers=h)
    assert plain.count < q100.count
