"""/api/session-access/ and /api/my-ateliers/: permission matrix, status rules, my-ateliers shape."""
import pytest

ROLES = ("gestionnaire_des_salles", "controlleur_des_badges", "participant", "exposant")
G = "gestionnaire_des_salles"


@pytest.fixture
def world(f):
    event = f.event()
    other = f.event()
    members = {role: f.member(event, role) for role in ROLES}
    room = f.room(event, name="Hall", capacity=500)
    atelier = f.session(event, room, title="Atelier UX", is_paid=True, price="5000", session_type="atelier")
    atelier2 = f.session(event, room, title="Atelier Pitch", is_paid=True, price="4500", session_type="atelier")
    talk = f.session(event, room, title="Keynote")
    other_room = f.room(other)
    foreign_session = f.session(other, other_room, is_paid=True, price="100")
    outsider = f.member(other, "participant")
    rows = {role: f.participant_of(u, event) for role, u in members.items()}
    outsider_row = f.participant_of(outsider, other)
    f.db.commit()
    return {"event": event, "other": other, "members": members, "atelier": atelier, "atelier2": atelier2,
            "talk": talk, "foreign_session": foreign_session, "rows": rows, "outsider_row": outsider_row,
            "outsider": outsider}


def _grant(app, f, world, participant_row, session, **kw):
    h = f.auth(world["members"][G], world["event"])
    return app.post_json("/api/session-access/", {"participant": str(participant_row.id), "session": str(session.id),
                                                  **kw}, headers=h, status=201).json


@pytest.mark.parametrize("role", ROLES)
def test_matrix(app, f, world, role):
    event = world["event"]
    me = world["members"][role]
    h = f.auth(me, event)
    mine = _grant(app, f, world, world["rows"]["participant"], world["atelier"], payment_status="paid")
    theirs = _grant(app, f, world, world["rows"]["exposant"], world["atelier"])
    body = {"participant": str(world["rows"]["participant"].id), "session": str(world["atelier2"].id)}
    if role == G:
        assert app.get("/api/session-access/", headers=h).json["count"] == 2
        app.get(f"/api/session-access/{theirs['id']}/", headers=h)
        app.post_json("/api/session-access/", body, headers=h, status=201)
        r = app.patch_json(f"/api/session-access/{theirs['id']}/", {"payment_status": "paid"}, headers=h)
        assert r.json["has_access"] is True
        app.put_json(f"/api/session-access/{theirs['id']}/", {"payment_status": "refunded"}, headers=h)
    elif role == "participant":
        r = app.get("/api/session-access/", headers=h)
        assert [x["id"] for x in r.json["results"]] == [mine["id"]]
        app.get(f"/api/session-access/{mine['id']}/", headers=h)
        app.get(f"/api/session-access/{theirs['id']}/", headers=h, status=404)
        app.post_json("/api/session-access/", body, headers=h, status=403)
        app.patch_json(f"/api/session-access/{mine['id']}/", {"payment_status": "paid"}, headers=h, status=403)
    else:  # controllers and exposants: no access at all
        app.get("/api/session-access/", headers=h, status=403)
        app.get(f"/api/session-access/{mine['id']}/", headers=h, status=403)
        app.post_json("/api/session-access/", body, headers=h, status=403)
        app.patch_json(f"/api/session-access/{mine['id']}/", {"payment_status": "paid"}, headers=h, status=403)
    app.get(f"/api/session-access/?event={world['other'].id}", headers=h, status=404)


def test_foreign_records_are_404(app, f, world):
    event, other = world["event"], world["other"]
    og = f.member(other, G)
    foreign = app.post_json("/api/session-access/", {"participant": str(world["outsider_row"].id),
                                                     "session": str(world["foreign_session"].id)},
                            headers=f.auth(og, other), status=201).json
    h = f.auth(world["members"][G], event)
    app.get(f"/api/session-access/{foreign['id']}/", headers=h, status=404)
    app.patch_json(f"/api/session-access/{foreign['id']}/", {"payment_status": "paid"}, headers=h, status=404)
    r = app.post_json("/api/session-access/", {"participant": str(world["rows"]["participant"].id),
                                               "session": str(world["foreign_session"].id)}, headers=h, status=404)
    assert r.json["field"] == "session"
    r = app.post_json("/api/session-access/", {"participant": str(world["outsider_row"].id),
                                               "session": str(world["atelier"].id)}, headers=h, status=404)
    assert r.json["field"] == "participant"


def test_status_rules_and_validation(app, f, world):
    h = f.auth(world["members"][G], world["event"])
    row = world["rows"]["participant"]
    a = _grant(app, f, world, row, world["atelier"])
    assert a["payment_status"] == "pending" and a["has_access"] is False and a["paid_at"] is None
    assert a["amount_paid"] == "0.00" and a["session_title"] == "Atelier UX"
    r = app.post_json("/api/session-access/", {"participant_id": str(row.id), "session_id": str(world["atelier"].id)},
                      headers=h, status=409)
    assert r.json["field"] == "session"
    r = app.patch_json(f"/api/session-access/{a['id']}/", {"payment_status": "paid"}, headers=h).json
    assert r["has_access"] is True and r["paid_at"].endswith("Z") and r["granted_at"].endswith("Z")
    assert r["amount_paid"] == "5000.00"  # the session's price by default
    r = app.patch_json(f"/api/session-access/{a['id']}/", {"payment_status": "refunded", "has_access": True},
                       headers=h).json
    assert r["has_access"] is False and r["payment_status"] == "refunded"
    b = _grant(app, f, world, row, world["atelier2"], payment_status="paid", amount_paid=4000, has_access=False)
    assert b["amount_paid"] == "4000.00" and b["has_access"] is False
    r = app.post_json("/api/session-access/", {"participant": str(row.id), "session": str(world["talk"].id),
                                               "payment_status": "free"}, headers=h, status=400)
    assert r.json["field"] == "payment_status"
    r = app.post_json("/api/session-access/", {"participant": str(row.id), "session": str(world["talk"].id),
                                               "amount_paid": "-1"}, headers=h, status=400)
    assert r.json["field"] == "amount_paid"
    r = app.post_json("/api/session-access/", {"participant": str(row.id), "session": str(world["talk"].id),
                                               "amount_paid": "abc"}, headers=h, status=400)
    assert r.json["field"] == "amount_paid"
    r = app.patch_json(f"/api/session-access/{b['id']}/", {"amount_paid": "4100.5"}, headers=h).json
    assert r["amount_paid"] == "4100.50"
    r = app.patch_json(f"/api/session-access/{b['id']}/", {"amount_paid": 4000}, headers=h).json
    assert r["amount_paid"] == "4000.00"
    r = app.post_json("/api/session-access/", {"session": str(world["talk"].id)}, headers=h, status=400)
    assert r.json["field"] == "participant"
    r = app.patch_json(f"/api/session-access/{a['id']}/", {"session": str(world["talk"].id)}, headers=h, status=400)
    assert r.json["field"] == "session"
    # filters
    q = app.get(f"/api/session-access/?payment_status=paid&participant_id={row.id}", headers=h).json
    assert [x["id"] for x in q["results"]] == [b["id"]]
    q = app.get(f"/api/session-access/?session={world['atelier'].id}&has_access=false", headers=h).json
    assert [x["id"] for x in q["results"]] == [a["id"]]
    # the app's paid_items now carries the numbers
    me = app.get("/api/auth/me/", headers=f.auth(world["members"]["participant"], world["event"])).json
    amounts = {i["title"]: i["amount_paid"] for i in me["qr_code"]["paid_items"]}
    assert amounts == {"Atelier UX": 5000.0, "Atelier Pitch": 4000.0}


def test_my_ateliers(app, f, world):
    row = world["rows"]["participant"]
    _grant(app, f, world, row, world["atelier"], payment_status="paid")
    _grant(app, f, world, row, world["atelier2"])  # pending
    _grant(app, f, world, row, world["talk"], payment_status="paid")  # free talk: not an atelier
    me = world["members"]["participant"]
    r = app.get("/api/my-ateliers/", headers=f.auth(me, world["event"])).json
    assert r["participant"] == {"id": str(row.id), "name": me.full_name, "email": me.email,
                                "badge_id": me.badge_id, "badge_number": row.badge_number}
    assert r["summary"] == {"total_ateliers": 2, "paid_count": 1, "pending_count": 1, "total_paid": 5000,
                            "total_pending": 4500, "total_amount": 9500}
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in r["summary"].values())
    first, second = r["ateliers"]
    assert first["title"] == "Atelier UX" and first["payment_status"] == "paid" and first["has_access"] is True
    assert first["price"] == 5000 and first["amount_paid"] == 5000 and first["paid_at"].endswith("Z")
    assert first["room"] == {"id": str(world["atelier"].room_id), "name": "Hall", "capacity": 500}
    assert second["payment_status"] == "pending" and second["has_access"] is False and second["price"] == 4500
    assert second["session_id"] == str(world["atelier2"].id)
    # exposants have a participant row: empty list; staff without one: 404
    r = app.get("/api/my-ateliers/", headers=f.auth(world["members"]["exposant"], world["event"])).json
    assert r["summary"]["total_ateliers"] == 0 and r["ateliers"] == []
    app.get("/api/my-ateliers/", headers=f.auth(world["members"]["controlleur_des_badges"], world["event"]),
            status=404)
    app.get(f"/api/my-ateliers/?event={world['other'].id}", headers=f.auth(me, world["event"]), status=404)
