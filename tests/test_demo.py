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
    pm = app.app.registry["plugin_manager"]
    demo.load(db, pm)
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
