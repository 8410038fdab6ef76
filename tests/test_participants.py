"""/api/participants/: permission matrix, filters, create/update rules, no booth plan (a plugin's),
the Excel export and the fixed query count of the list."""
import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from makeplus_core.auth.models import User
from makeplus_core.events.models import UserEventAssignment
from makeplus_core.participants.models import Participant
from makeplus_core.testing import assert_text_cells

ROLES = ("gestionnaire_des_salles", "controlleur_des_badges", "participant", "exposant")


def row_of(f, user, event):
    """The user's participant row; ends the read transaction (SQLite: it holds the write lock)."""
    row = f.participant_of(user, event)
    f.db.commit()
    return row


@pytest.fixture
def world(f):
    event = f.event(name="Tech Summit")
    other = f.event(name="Other Event")
    members = {role: f.member(event, role) for role in ROLES}
    p1 = f.member(event, "participant", first_name="Ahmed", last_name="Benali", email="ahmed@example.org")
    outsider = f.member(other, "participant")
    return {"event": event, "other": other, "members": members, "p1": p1,
            "p1_row": row_of(f, p1, event), "outsider_row": row_of(f, outsider, other)}


def _ids(resp):
    return {r["id"] for r in resp.json["results"]}


@pytest.mark.parametrize("role", ROLES)
def test_list_matrix(app, f, world, role):
    me = world["members"][role]
    r = app.get("/api/participants/", headers=f.auth(me, world["event"]))
    if role in ("participant", "exposant"):
        own = row_of(f, me, world["event"])
        assert _ids(r) == {str(own.id)}
        assert r.json["results"][0]["role"] == role
    else:
        # participant, exposant, p1: 3 badge holders, never the other event's
        assert r.json["count"] == 3
        assert str(world["outsider_row"].id) not in _ids(r)
    # naming another event: 404
    app.get(f"/api/participants/?event={world['other'].id}", headers=f.auth(me, world["event"]), status=404)


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(app, f, world, role):
    me = world["members"][role]
    h = f.auth(me, world["event"])
    target = world["p1_row"]
    if role in ("participant", "exposant"):
        app.get(f"/api/participants/{target.id}/", headers=h, status=404)
        own = row_of(f, me, world["event"])
        assert app.get(f"/api/participants/{own.id}/", headers=h).json["user"] == me.id
    else:
        body = app.get(f"/api/participants/{target.id}/", headers=h).json
        assert body["name"] == "Ahmed Benali" and body["user"] == world["p1"].id
        assert body["qr_code_data"] == {"user_id": world["p1"].id, "badge_id": world["p1"].badge_id}
        assert body["badge_id"] == world["p1"].badge_id
    app.get(f"/api/participants/{world['outsider_row'].id}/", headers=h, status=404)


@pytest.mark.parametrize("role", ROLES)
def test_write_matrix(app, f, world, role):
    me = world["members"][role]
    h = f.auth(me, world["event"])
    target = world["p1_row"]
    new = {"email": f"new-{role}@example.org", "first_name": "Nadia", "last_name": "K"}
    if role == "gestionnaire_des_salles":
        r = app.post_json("/api/participants/", new, headers=h, status=201)
        assert r.json["role"] == "participant" and r.json["name"] == "Nadia K"
        assert r.json["badge_id"].startswith(f"USER-{r.json['user']}-")
        app.patch_json(f"/api/participants/{target.id}/", {"organization": "ACME"}, headers=h, status=200)
        app.delete(f"/api/participants/{target.id}/", headers=h, status=204)
        assert app.get(f"/api/participants/{target.id}/", headers=h, status=404)
    else:
        app.post_json("/api/participants/", new, headers=h, status=403)
        own = row_of(f, me, world["event"])
        for pid in filter(None, [own and own.id, None if own else target.id]):
            app.patch_json(f"/api/participants/{pid}/", {"is_checked_in": True}, headers=h, status=403)
            app.put_json(f"/api/participants/{pid}/", {"role": "exposant"}, headers=h, status=403)
            app.delete(f"/api/participants/{pid}/", headers=h, status=403)
    # another event's participant is a 404 for everyone
    app.patch_json(f"/api/participants/{world['outsider_row'].id}/", {"notes": "x"}, headers=h, status=404)


def test_participant_cannot_escalate(app, f, world, db):
    me = world["members"]["participant"]
    own = row_of(f, me, world["event"])
    room = f.room(world["event"])
    app.patch_json(f"/api/participants/{own.id}/",
                   {"allowed_rooms": [str(room.id)], "is_checked_in": True, "role": "gestionnaire_des_salles"},
                   headers=f.auth(me, world["event"]), status=403)
    db.expire_all()
    assert db.get(Participant, own.id).is_checked_in is False
    assert db.scalar(sa.select(UserEventAssignment.role).where(UserEventAssignment.user_id == me.id)) == "participant"
    db.commit()


def test_filters_and_exposant_user_id(app, f, world):
    event = world["event"]
    g = f.auth(world["members"]["gestionnaire_des_salles"], event)
    r = app.get("/api/participants/?search=benali", headers=g)
    assert _ids(r) == {str(world["p1_row"].id)}
    r = app.get(f"/api/participants/?badge_number={world['p1_row'].badge_number}", headers=g)
    assert _ids(r) == {str(world["p1_row"].id)}
    r = app.get(f"/api/participants/?user_id={world['p1'].id}&event_id={event.id}", headers=g)
    assert _ids(r) == {str(world["p1_row"].id)}
    r = app.get("/api/participants/?role=exposant", headers=g)
    assert [x["role"] for x in r.json["results"]] == ["exposant"]
    assert app.get("/api/participants/?is_checked_in=true", headers=g).json["count"] == 0
    app.get("/api/participants/?user=abc", headers=g, status=400)
    # the exposant app calls ?user_id=<someone>: never a 5xx, just their own row or nothing
    ex = world["members"]["exposant"]
    r = app.get(f"/api/participants/?user_id={world['p1'].id}", headers=f.auth(ex, event))
    assert r.json["results"] == []
    r = app.get(f"/api/participants/?user_id={ex.id}", headers=f.auth(ex, event))
    assert r.json["count"] == 1


def test_create_variants_and_validation(app, f, world, db):
    event = world["event"]
    g = f.auth(world["members"]["gestionnaire_des_salles"], event)
    room = f.room(event)
    foreign_room = f.room(world["other"])
    existing = f.user()
    r = app.post_json("/api/participants/", {"email": existing.email.upper(), "role": "exposant",
                                             "allowed_rooms": [str(room.id)]}, headers=g, status=201)
    assert r.json["role"] == "exposant" and r.json["allowed_rooms"] == [str(room.id)]
    assert r.json["allowed_room_names"] == [room.name]
    # one role per user per event
    r = app.post_json("/api/participants/", {"email": existing.email}, headers=g, status=409)
    assert r.json["field"] == "user"
    r = app.post_json("/api/participants/", {"email": "x@example.org", "allowed_rooms": [str(foreign_room.id)]},
                      headers=g, status=400)
    assert r.json["field"] == "allowed_rooms"
    assert db.scalar(sa.select(User.id).where(User.email == "x@example.org")) is None  # 4xx never commits
    db.commit()
    r = app.post_json("/api/participants/", {"email": "not-an-email"}, headers=g, status=400)
    assert r.json["field"] == "email"
    r = app.post_json("/api/participants/", {"first_name": "Nobody"}, headers=g, status=400)
    assert r.json["field"] == "email"
    r = app.post_json("/api/participants/", {"email": "y@example.org", "role": "gestionnaire_des_salles"},
                      headers=g, status=400)
    assert r.json["field"] == "role"
    app.post_json("/api/participants/", {"email": "z@example.org", "event": str(world["other"].id)},
                  headers=g, status=404)
    # gestionnaire update: rooms, check-in, role
    pid = world["p1_row"].id
    r = app.patch_json(f"/api/participants/{pid}/", {"allowed_rooms": [str(room.id)], "is_checked_in": True,
                                                     "role": "exposant"}, headers=g)
    assert r.json["allowed_rooms"] == [str(room.id)] and r.json["is_checked_in"] is True
    assert r.json["checked_in_at"].endswith("Z") and r.json["role"] == "exposant"
    r = app.patch_json(f"/api/participants/{pid}/", {"allowed_rooms": []}, headers=g)
    assert r.json["allowed_rooms"] == []
    r = app.patch_json(f"/api/participants/{pid}/", {"allowed_rooms": ["nope"]}, headers=g, status=400)
    assert r.json["field"] == "allowed_rooms"


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_booth_plans_are_not_the_cores(f, world, make_app):
    """Booth plans belong to the exposants plugin (docs/exposants.md): the core alone has no
    upload route and no ``plan_file`` in participant JSON."""
    core = make_app(**{"makeplus.plugins": ""})
    event = world["event"]
    ex = world["members"]["exposant"]
    ex_row = row_of(f, ex, event)
    g = f.auth(world["members"]["gestionnaire_des_salles"], event)
    core.post(f"/api/participants/{ex_row.id}/upload_plan/", upload_files=[("plan_file", "plan.pdf", PDF)],
              headers=g, status=404)
    assert "plan_file" not in core.get(f"/api/participants/{ex_row.id}/", headers=g).json
    assert all("plan_file" not in p for p in core.get("/api/participants/", headers=g).json["results"])


@pytest.mark.parametrize("role", ROLES)
def test_export_matrix(app, f, world, role):
    h = f.auth(world["members"][role], world["event"])
    if role == "gestionnaire_des_salles":
        r = app.get("/api/participants/export/", headers=h)
        assert r.content_type.endswith("spreadsheetml.sheet")
        ws = load_workbook(io.BytesIO(r.body)).active
        assert ws.max_row == 4
    else:
        app.get("/api/participants/export/", headers=h, status=403)
    app.get(f"/api/participants/export/?event={world['other'].id}", headers=h, status=404)


def _bulk_participants(db, event, n, first_names=None):
    """Insert ``n`` users with participant assignments and rows (three bulk INSERTs)."""
    start = (db.scalar(sa.select(sa.func.max(User.id))) or 0) + 1000
    now = dt.datetime.now(dt.UTC)
    users = [{"id": start + i, "email": f"bulk{start + i}@example.org", "username": f"bulk{start + i}",
              "first_name": (first_names or {}).get(i, f"Bulk{i}"), "last_name": "" if i in (first_names or {}) else "P",
              "password_hash": "!", "badge_id": f"USER-{start + i}-ABCDEFGH", "is_active": True,
              "is_admin": False, "token_version": 1, "created_at": now, "updated_at": now} for i in range(n)]
    db.execute(sa.insert(User), users)
    db.execute(sa.insert(UserEventAssignment), [
        {"user_id": u["id"], "event_id": event.id, "role": "participant", "is_active": True, "assigned_at": now}
        for u in users])
    db.execute(sa.insert(Participant), [
        {"user_id": u["id"], "event_id": event.id, "badge_number": f"B-{u['id']}", "registration_date": now,
         "is_checked_in": False, "notes": ""} for u in users])
    db.commit()
    if db.bind.dialect.name == "postgresql":  # explicit ids: move the sequence past them
        db.execute(sa.text("SELECT setval('users_id_seq', (SELECT max(id) FROM users))"))
        db.commit()


def test_export_10000_and_formula_injection(app, f, db):
    event = f.event()
    g = f.member(event, "gestionnaire_des_salles")
    evil = '=HYPERLINK("http://x")'
    _bulk_participants(db, event, 10_000, first_names={0: evil, 1: "+33 1 23", 2: "@SUM(A1)", 3: "-2+3"})
    r = app.get("/api/participants/export/", headers=f.auth(g, event))
    wb = load_workbook(io.BytesIO(r.body), read_only=True)
    ws = wb.active
    rows = list(ws.iter_rows())
    assert len(rows) == 10_001  # header + one row per participant
    assert rows[0][0].value == "Name"
    by_name = {row[0].value: row for row in rows[1:]}
    for text in (evil, "+33 1 23", "@SUM(A1)", "-2+3"):
        cell = by_name[text][0]
        assert cell.data_type == "s" and cell.value == text  # stored as text, exactly as typed
    assert_text_cells(r.body, [evil, "+33 1 23", "@SUM(A1)", "-2+3"])


def test_list_query_count_is_fixed(app, f, db, count_queries):
    event = f.event()
    g = f.member(event, "gestionnaire_des_salles")
    room = f.room(event)
    h = f.auth(g, event)
    _bulk_participants(db, event, 5)
    pids = db.scalars(sa.select(Participant.id).where(Participant.event_id == event.id)).all()
    db.commit()
    from makeplus_core.participants.models import participant_allowed_rooms
    db.execute(sa.insert(participant_allowed_rooms), [{"participant_id": p, "room_id": room.id} for p in pids])
    db.commit()
    with count_queries() as q5:
        r = app.get("/api/participants/", headers=h)
    assert r.json["count"] == 5 and all(x["allowed_rooms"] == [str(room.id)] for x in r.json["results"])
    _bulk_participants(db, event, 95)
    with count_queries() as q100:
        r = app.get("/api/participants/", headers=h)
    assert r.json["count"] == 100 and len(r.json["results"]) == 100
    assert q5.count == q100.count
