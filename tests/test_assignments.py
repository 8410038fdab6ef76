"""/api/user-assignments/ and /api/room-assignments/: permission matrix, the nested
room_assignment the app reads, validation, overlap conflicts, query counts."""
import datetime as dt

import pytest
import sqlalchemy as sa

from makeplus_core.auth.models import User
from makeplus_core.db import utcnow
from makeplus_core.events.models import UserEventAssignment
from makeplus_core.participants.models import Participant
from makeplus_core.staff.models import RoomAssignment
from makeplus_core.staff.services import current_room_assignment

ROLES = ("gestionnaire_des_salles", "controlleur_des_badges", "participant", "exposant")
G, C = "gestionnaire_des_salles", "controlleur_des_badges"


@pytest.fixture
def world(f):
    event = f.event()
    other = f.event()
    members = {role: f.member(event, role) for role in ROLES}
    outsider = f.member(other, G)
    room = f.room(event, name="Salle A")
    room2 = f.room(event, name="Salle B")
    foreign_room = f.room(other)
    return {"event": event, "other": other, "members": members, "outsider": outsider, "room": room,
            "room2": room2, "foreign_room": foreign_room}


def _assignment_id(db, user, event):
    aid = db.scalar(sa.select(UserEventAssignment.id).where(UserEventAssignment.user_id == user.id,
                                                            UserEventAssignment.event_id == event.id))
    db.commit()
    return aid


def _ra(f, user, room, event, start, hours=2, role=C, **kw):
    return f.commit(RoomAssignment(user_id=user.id, room_id=room.id, event_id=event.id, role=role,
                                   start_time=start, end_time=start + dt.timedelta(hours=hours), **kw))


# --------------------------------------------------------------------------- user assignments


@pytest.mark.parametrize("role", ROLES)
def test_user_assignments_matrix(app, f, db, world, role):
    event = world["event"]
    me = world["members"][role]
    h = f.auth(me, event)
    # the app's call
    r = app.get(f"/api/user-assignments/?user={me.id}&event={event.id}&is_active=true", headers=h)
    assert [x["role"] for x in r.json["results"]] == [role]
    assert r.json["results"][0]["user"] == me.id
    everyone = app.get("/api/user-assignments/", headers=h).json
    other_id = _assignment_id(db, world["members"][G if role != G else C], event)
    foreign_id = _assignment_id(db, world["outsider"], world["other"])
    app.get(f"/api/user-assignments/{foreign_id}/", headers=h, status=404)
    app.get(f"/api/user-assignments/?event={world['other'].id}", headers=h, status=404)
    newcomer = f.user()
    if role == G:
        assert everyone["count"] == 4
        assert app.get(f"/api/user-assignments/{other_id}/", headers=h).json["id"] == str(other_id)
        r = app.post_json("/api/user-assignments/", {"email": newcomer.email, "role": C, "event": str(event.id)},
                          headers=h, status=201)
        aid = r.json["id"]
        r = app.patch_json(f"/api/user-assignments/{aid}/", {"role": "exposant"}, headers=h)
        assert r.json["role"] == "exposant"
        app.put_json(f"/api/user-assignments/{aid}/", {"role": "participant", "is_active": False}, headers=h)
        app.delete(f"/api/user-assignments/{aid}/", headers=h, status=204)
        app.patch_json(f"/api/user-assignments/{foreign_id}/", {"role": C}, headers=h, status=404)
    else:
        assert [x["user"] for x in everyone["results"]] == [me.id]  # only their own
        app.get(f"/api/user-assignments/{other_id}/", headers=h, status=404)
        own_id = _assignment_id(db, me, event)
        assert app.get(f"/api/user-assignments/{own_id}/", headers=h).json["role"] == role
        app.post_json("/api/user-assignments/", {"user": newcomer.id, "role": C}, headers=h, status=403)
        app.patch_json(f"/api/user-assignments/{own_id}/", {"role": G}, headers=h, status=403)
        app.delete(f"/api/user-assignments/{own_id}/", headers=h, status=403)


def test_user_assignment_rules(app, f, db, world):
    event = world["event"]
    h = f.auth(world["members"][G], event)
    newcomer = f.user()
    r = app.post_json("/api/user-assignments/", {"email": newcomer.email, "role": "participant"}, headers=h,
                      status=201)
    assert r.json["room_assignment"] is None
    # the Participant row was created
    assert db.scalar(sa.select(Participant.id).where(Participant.user_id == newcomer.id)) is not None
    db.commit()
    r = app.post_json("/api/user-assignments/", {"email": newcomer.email, "role": C}, headers=h, status=409)
    assert r.json["field"] == "user"
    r = app.post_json("/api/user-assignments/", {"email": newcomer.email, "role": "boss"}, headers=h, status=400)
    assert r.json["field"] == "role"
    # a raw account id is for platform admins only
    r = app.post_json("/api/user-assignments/", {"user": 999999, "role": C}, headers=h, status=403)
    assert r.json["field"] == "user"
    admin = f.user(is_admin=True)
    r = app.post_json(f"/api/user-assignments/?event={event.id}", {"user": 999999, "role": C},
                      headers=f.auth(admin), status=400)
    assert r.json["field"] == "user"
    r = app.post_json("/api/user-assignments/", {"role": C}, headers=h, status=400)
    assert r.json["field"] == "email"
    members = world["members"]
    r = app.get("/api/user-assignments/?role=exposant", headers=h)
    assert [x["user"] for x in r.json["results"]] == [members["exposant"].id]
    r = app.get(f"/api/user-assignments/?user_id={members[C].id}", headers=h)
    assert [x["role"] for x in r.json["results"]] == [C]
    assert app.get("/api/user-assignments/?is_active=false", headers=h).json["count"] == 0


def test_nested_room_assignment(app, f, world):
    event, room, room2 = world["event"], world["room"], world["room2"]
    ctrl = world["members"][C]
    now = utcnow().replace(microsecond=0)
    _ra(f, ctrl, room2, event, now - dt.timedelta(hours=5))  # past
    current = _ra(f, ctrl, room, event, now - dt.timedelta(hours=1))
    _ra(f, ctrl, room2, event, now + dt.timedelta(hours=3))  # next
    r = app.get(f"/api/user-assignments/?user={ctrl.id}&event={event.id}&is_active=true",
                headers=f.auth(ctrl, event))
    ra = r.json["results"][0]["room_assignment"]
    assert ra["id"] == str(current.id) and ra["room_id"] == str(room.id) and ra["room_name"] == "Salle A"
    assert isinstance(ra["room_id"], str) and ra["start_time"].endswith("Z")
    # no current one: the next one
    gest = world["members"][G]
    nxt = _ra(f, gest, room2, event, now + dt.timedelta(hours=1), role=G)
    r = app.get(f"/api/user-assignments/?user={gest.id}", headers=f.auth(gest, event))
    assert r.json["results"][0]["room_assignment"]["id"] == str(nxt.id)


def test_user_assignments_query_count(app, f, db, world, count_queries):
    event, room = world["event"], world["room"]
    g = world["members"][G]
    h = f.auth(g, event)
    now = utcnow()
    with count_queries() as small:
        r = app.get("/api/user-assignments/", headers=h)
    assert r.json["count"] == 4
    start = (db.scalar(sa.select(sa.func.max(User.id))) or 0) + 1000
    users = [{"id": start + i, "email": f"s{i}@example.org", "username": f"s{i}", "first_name": "S",
              "last_name": str(i), "password_hash": "!", "is_active": True, "is_admin": False, "token_version": 1,
              "created_at": now, "updated_at": now} for i in range(96)]
    db.execute(sa.insert(User), users)
    db.execute(sa.insert(UserEventAssignment), [{"user_id": u["id"], "event_id": event.id, "role": C,
                                                 "is_active": True, "assigned_at": now} for u in users])
    db.execute(sa.insert(RoomAssignment), [
        {"user_id": u["id"], "room_id": room.id, "event_id": event.id, "role": C, "is_active": True,
         "start_time": now - dt.timedelta(hours=1), "end_time": now + dt.timedelta(hours=1), "assigned_at": now}
        for u in users])
    db.commit()
    with count_queries() as big:
        r = app.get("/api/user-assignments/", headers=h)
    assert r.json["count"] == 100
    assert sum(1 for x in r.json["results"] if x["room_assignment"]) == 96
    assert small.count == big.count


# --------------------------------------------------------------------------- room assignments


def _payload(world, user, start, hours=2, **kw):
    return {"user": user.id, "room": str(world["room"].id), "start_time": start.strftime("%Y-%m-%dT%H:%M:%S.000"),
            "end_time": (start + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000"), **kw}


@pytest.mark.parametrize("role", ROLES)
def test_room_assignments_matrix(app, f, world, role):
    event = world["event"]
    me = world["members"][role]
    h = f.auth(me, event)
    ctrl = world["members"][C]
    start = event.start_date + dt.timedelta(hours=2)
    existing = _ra(f, ctrl, world["room"], event, event.start_date)
    foreign = _ra(f, world["outsider"], world["foreign_room"], world["other"], event.start_date, role=G)
    if role == G:
        assert app.get("/api/room-assignments/", headers=h).json["count"] == 1
        r = app.post_json("/api/room-assignments/", _payload(world, ctrl, start), headers=h, status=201)
        assert r.json["role"] == C and r.json["room_name"] == "Salle A" and r.json["assigned_by"] == me.id
        assert r.json["start_time"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
        rid = r.json["id"]
        app.get(f"/api/room-assignments/{rid}/", headers=h)
        r = app.patch_json(f"/api/room-assignments/{rid}/", {"room_id": str(world["room2"].id)}, headers=h)
        assert r.json["room_name"] == "Salle B"
        app.put_json(f"/api/room-assignments/{rid}/", _payload(world, ctrl, start, hours=3), headers=h)
        app.delete(f"/api/room-assignments/{rid}/", headers=h, status=204)
        app.get(f"/api/room-assignments/{foreign.id}/", headers=h, status=404)
        app.delete(f"/api/room-assignments/{foreign.id}/", headers=h, status=404)
    else:
        app.get("/api/room-assignments/", headers=h, status=403)
        app.post_json("/api/room-assignments/", _payload(world, ctrl, start), headers=h, status=403)
        app.get(f"/api/room-assignments/{existing.id}/", headers=h, status=403)
        app.patch_json(f"/api/room-assignments/{existing.id}/", {"is_active": False}, headers=h, status=403)
        app.delete(f"/api/room-assignments/{existing.id}/", headers=h, status=403)
    app.get(f"/api/room-assignments/?event={world['other'].id}", headers=h, status=404)


def test_room_assignment_validation_and_overlap(app, f, world):
    event = world["event"]
    h = f.auth(world["members"][G], event)
    ctrl = world["members"][C]
    start = event.start_date + dt.timedelta(hours=2)
    first = app.post_json("/api/room-assignments/", _payload(world, ctrl, start), headers=h, status=201).json
    # overlapping slot in another room: 409 naming the clash
    p = _payload(world, ctrl, start + dt.timedelta(hours=1))
    p["room"] = str(world["room2"].id)
    r = app.post_json("/api/room-assignments/", p, headers=h, status=409)
    assert r.json["field"] == "user" and r.json["clash"]["id"] == first["id"]
    assert "Salle A" in r.json["message"]
    # adjacent slot is fine
    app.post_json("/api/room-assignments/", _payload(world, ctrl, start + dt.timedelta(hours=2)), headers=h,
                  status=201)
    # moving the first onto the second: 409; an inactive overlapping one is allowed
    app.patch_json(f"/api/room-assignments/{first['id']}/",
                   {"end_time": (start + dt.timedelta(hours=3)).isoformat()}, headers=h, status=409)
    app.post_json("/api/room-assignments/", {**p, "is_active": False}, headers=h, status=201)
    r = app.post_json("/api/room-assignments/", _payload(world, ctrl, start, hours=-1), headers=h, status=400)
    assert r.json["field"] == "end_time"
    r = app.post_json("/api/room-assignments/", {**_payload(world, ctrl, start), "room": str(world["foreign_room"].id)},
                      headers=h, status=404)
    assert r.json["field"] == "room"
    r = app.post_json("/api/room-assignments/", _payload(world, world["members"]["participant"], start),
                      headers=h, status=400)
    assert r.json["field"] == "user"
    r = app.post_json("/api/room-assignments/", _payload(world, world["outsider"], start), headers=h, status=400)
    assert r.json["field"] == "user"
    r = app.post_json("/api/room-assignments/", _payload(world, ctrl, start, role="participant"), headers=h,
                      status=400)
    assert r.json["field"] == "role"
    r = app.post_json("/api/room-assignments/", {"user": ctrl.id}, headers=h, status=400)
    assert r.json["field"] in ("room", "start_time", "end_time")


def test_room_assignment_filters_and_current(app, f, db, world):
    event = world["event"]
    h = f.auth(world["members"][G], event)
    ctrl, gest = world["members"][C], world["members"][G]
    now = utcnow().replace(microsecond=0)
    cur = _ra(f, ctrl, world["room"], event, now - dt.timedelta(hours=1))
    later = _ra(f, ctrl, world["room2"], event, now + dt.timedelta(hours=2))
    other = _ra(f, gest, world["room2"], event, now - dt.timedelta(hours=1), role=G, is_active=False)

    def ids(q):
        return {x["id"] for x in app.get(f"/api/room-assignments/{q}", headers=h).json["results"]}

    assert ids("?current=true") == {str(cur.id)}
    assert ids(f"?room_id={world['room2'].id}") == {str(later.id), str(other.id)}
    assert ids(f"?user={ctrl.id}") == {str(cur.id), str(later.id)}
    assert ids(f"?role={G}") == {str(other.id)}
    assert ids("?is_active=false") == {str(other.id)}
    assert ids(f"?event_id={event.id}") == {str(cur.id), str(later.id), str(other.id)}
    app.get("/api/room-assignments/?room=nope", headers=h, status=400)
    # the function the access domain uses
    assert current_room_assignment(db, ctrl.id, event.id).id == cur.id
    assert current_room_assignment(db, ctrl.id, event.id, at=now + dt.timedelta(hours=2, minutes=1)).id == later.id
    assert current_room_assignment(db, gest.id, event.id) is None  # inactive
    assert current_room_assignment(db, ctrl.id, world["other"].id) is None
    db.commit()
