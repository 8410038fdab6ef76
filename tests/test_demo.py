"""Demo data: idempotent, the seed's three events, the six demo accounts log in."""
import sqlalchemy as sa

from makeplus_core import demo
from makeplus_core.events.models import Event
from makeplus_core.rooms.models import Room

ACCOUNTS = {
    "admin@makeplus.demo": None,
    "gestionnaire@makeplus.demo": "gestionnaire_des_salles",
    "controller@makeplus.demo": "controlleur_des_badges",
    "participant@makeplus.demo": "participant",
    "exposant@makeplus.demo": "exposant",
}


def load(app, db):
    pm = app.app.registry.makeplus.plugins
    demo.load(db, pm, settings=app.app.registry.settings)  # demo files go to the test storage root
    db.commit()


def test_demo_data_is_idempotent_and_accounts_log_in(app, db):
    load(app, db)
    counts = (db.scalar(sa.select(sa.func.count()).select_from(Event)),
              db.scalar(sa.select(sa.func.count()).select_from(Room)))
    load(app, db)
    assert (db.scalar(sa.select(sa.func.count()).select_from(Event)),
            db.scalar(sa.select(sa.func.count()).select_from(Room))) == counts
    names = set(db.scalars(sa.select(Event.name)))
    assert names == {"Tech Summit Algeria 2025", "Startup Week Algeria 2025", "Innovation Festival 2025"}
    for email, role in ACCOUNTS.items():
        r = app.post_json("/api/auth/login/", {"email": email, "password": demo.PASSWORD}).json
        assert r["access"], email
        assert r["role"] == (role or "admin")
        if role:
            assert r["event"]["name"] == "Tech Summit Algeria 2025"
    multi = app.post_json("/api/auth/login/", {"email": "multi@makeplus.demo", "password": demo.PASSWORD}).json
    assert multi["requires_event_selection"] is True
    assert [(e["name"], e["role"]) for e in multi["available_events"]] == [
        ("Tech Summit Algeria 2025", "participant"),
        ("Startup Week Algeria 2025", "exposant"),
        ("Innovation Festival 2025", "controlleur_des_badges"),
    ]


def test_demo_gestionnaire_has_a_room_assignment_and_other_events_have_people(app, db):
    """Issue 17: the app's room-manager screen reads user-assignments[0].room_assignment.room_id;
    events 2 and 3 have staff and participants like event 1 (each account: one event)."""
    load(app, db)
    d = app.post_json("/api/auth/token/", {"email": "gestionnaire@makeplus.demo", "password": demo.PASSWORD}).json
    h = {"Authorization": f"Bearer {d['access']}"}
    items = app.get("/api/user-assignments/", params={"user": d["user"]["id"], "event": d["event"]["id"],
                                                      "is_active": "true"}, headers=h).json["results"]
    ra = items[0]["room_assignment"]
    assert items[0]["role"] == "gestionnaire_des_salles" and ra and ra["room_id"]
    rooms = {r["id"]: r["name"] for r in app.get("/api/rooms/", headers=h).json["results"]}
    assert rooms[ra["room_id"]] == "Amphithéâtre A"
    for city, event_name in (("oran", "Startup Week Algeria 2025"), ("constantine", "Innovation Festival 2025")):
        for prefix, role in (("gestionnaire", "gestionnaire_des_salles"), ("controller", "controlleur_des_badges"),
                             ("participant", "participant"), ("participant2", "participant"),
                             ("exposant", "exposant")):
            r = app.post_json("/api/auth/token/", {"email": f"{prefix}.{city}@makeplus.demo",
                                                   "password": demo.PASSWORD}).json
            assert r["role"] == role and r["event"]["name"] == event_name, (city, prefix)
            if prefix == "participant":
                items = r["qr_code"]["paid_items"]
                assert sorted(i["payment_status"] for i in items if i["type"] == "session") == ["paid", "pending"]
        g = app.post_json("/api/auth/token/", {"email": f"gestionnaire.{city}@makeplus.demo",
                                               "password": demo.PASSWORD}).json
        gh = {"Authorization": f"Bearer {g['access']}"}
        people = app.get("/api/participants/", headers=gh).json
        assert people["count"] >= 3
        mine = app.get("/api/user-assignments/", params={"user": g["user"]["id"]}, headers=gh).json["results"]
        assert mine[0]["room_assignment"]["room_id"]
    events = {e["name"]: e for e in app.get("/api/events/", headers=h).json["results"]}
    assert events["Tech Summit Algeria 2025"]["location_details"]
    assert events["Tech Summit Algeria 2025"]["accept_plain_user_id"] is True
