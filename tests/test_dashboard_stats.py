"""/api/dashboard/stats/: every role of the event, foreign event 404, figures by SQL."""
import datetime as dt

import pytest
import sqlalchemy as sa

from makeplus_core.db import utcnow
from makeplus_core.participants.models import Participant

ROLES = ("gestionnaire_des_salles", "controlleur_des_badges", "participant", "exposant")


@pytest.fixture
def world(f, db):
    event = f.event(name="Tech Summit")
    other = f.event()
    members = {role: f.member(event, role) for role in ROLES}
    f.member(other, "participant")
    room = f.room(event)
    now = utcnow().replace(microsecond=0)
    f.session(event, room, start=now - dt.timedelta(hours=1), status="en_cours")
    f.session(event, room, start=now - dt.timedelta(hours=5), status="termine")
    f.session(event, room, start=now - dt.timedelta(hours=8), status="cancelled")
    upcoming = [f.session(event, room, start=now + dt.timedelta(hours=h), title=f"Next {h}", is_paid=h == 2,
                          price="10" if h == 2 else "0")
                for h in range(1, 8)]
    db.execute(sa.update(Participant).where(Participant.user_id == members["participant"].id)
               .values(is_checked_in=True, checked_in_at=now))
    db.commit()
    return {"event": event, "other": other, "members": members, "upcoming": upcoming}


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_stats(app, f, world, role, count_queries):
    event = world["event"]
    h = f.auth(world["members"][role], event)
    with count_queries() as q:
        r = app.get("/api/dashboard/stats/", headers=h)
    body = r.json
    assert body["event"]["id"] == str(event.id) and body["event"]["name"] == "Tech Summit"
    assert body["my_role"] == role
    assert body["total_participants"] == 2  # participant + exposant
    assert body["checked_in"] == 1
    assert body["total_sessions"] == 10
    assert body["live_sessions"] == 1 and body["completed_sessions"] == 1 and body["cancelled_sessions"] == 1
    assert [s["title"] for s in body["upcoming_sessions"]] == [f"Next {h}" for h in range(1, 6)]
    assert body["upcoming_sessions"][1]["is_paid"] is True and body["upcoming_sessions"][1]["price"] == "10.00"
    assert isinstance(body["upcoming_sessions"][0]["room"], str)
    # aggregates, not rows: more sessions and participants, same number of queries
    room = f.room(event)
    for i in range(10):
        f.session(event, room, start=event.end_date - dt.timedelta(hours=i + 2))
        f.member(event, "participant")
    with count_queries() as q2:
        r = app.get("/api/dashboard/stats/", headers=h)
    assert r.json["total_sessions"] == 20 and r.json["total_participants"] == 12
    assert q2.count == q.count
    app.get(f"/api/dashboard/stats/?event={world['other'].id}", headers=h, status=404)


def test_dashboard_admin_and_auth(app, f, world):
    admin = f.user(is_admin=True)
    r = app.get(f"/api/dashboard/stats/?event={world['other'].id}", headers=f.auth(admin))
    assert r.json["my_role"] == "admin" and r.json["total_participants"] == 1
    app.get("/api/dashboard/stats/", status=401)


def test_plugin_statistics_are_merged(app, f, world):
    from makeplus_core import hookimpl

    seen = []

    class Contributor:
        @hookimpl
        def makeplus_event_statistics(self, dbsession, event_id):
            seen.append(event_id)
            return {"contrib": {"answer": 42}}

    pm = app.app.registry.makeplus.plugins
    plugin = Contributor()
    pm.register(plugin, name="test-contributor")
    try:
        r = app.get("/api/dashboard/stats/", headers=f.auth(world["members"]["participant"], world["event"]))
    finally:
        pm.unregister(plugin)
    assert r.json["contrib"] == {"answer": 42} and seen == [world["event"].id]
