"""Events that hold records are archived, never deleted (issue 14, "Data that must not
be lost or seen"): DELETE answers 409, archiving makes the event read-only and hidden."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from makeplus_core import hookimpl
from makeplus_core.access.models import RoomAccess

GEST, CTRL, PART = "gestionnaire_des_salles", "controlleur_des_badges", "participant"


class World:
    def __init__(self, app, f):
        self.app, self.f = app, f
        self.event = f.event(name="Archivable Summit")
        self.room = f.room(self.event)
        self.gest = f.member(self.event, GEST)
        self.ctrl = f.member(self.event, CTRL)
        self.part = f.member(self.event, PART)
        self.admin = f.user(is_admin=True)
        self.gh = f.auth(self.gest, self.event)

    def scans(self):
        n = self.f.db.scalar(sa.select(sa.func.count()).select_from(RoomAccess)
                             .where(RoomAccess.event_id == self.event.id))
        self.f.db.commit()
        return n

    def scan(self, status=200):
        body = {"qr_data": json.dumps({"user_id": self.part.id, "badge_id": self.part.badge_id})}
        return self.app.post_json(f"/api/rooms/{self.room.id}/verify_access/", body,
                                  headers=self.f.auth(self.ctrl, self.event), status=status)


@pytest.fixture
def w(app, f):
    return World(app, f)


def test_event_with_scans_is_not_deleted(app, w):
    w.scan()
    r = app.delete(f"/api/events/{w.event.id}/", headers=w.gh, status=409)
    assert r.json["error"] == "conflict" and r.json["reason"] == "event_has_records"
    assert r.json["records"] == {"scans": 1}
    assert f"/api/events/{w.event.id}/archive/" in r.json["message"]
    # a platform admin is refused too, and the event and its scan are still there
    app.delete(f"/api/events/{w.event.id}/", headers=w.f.auth(w.admin), status=409)
    assert app.get(f"/api/events/{w.event.id}/", headers=w.gh).json["name"] == "Archivable Summit"
    assert w.scans() == 1


def test_plugins_report_records_through_the_hook(app, w):
    class Keeper:
        @hookimpl
        def makeplus_event_records(self, dbsession, event_id):
            return {"kept_things": 3 if event_id == w.event.id else 0}

    pm = app.app.registry.makeplus.plugins
    pm.register(Keeper(), name="test-keeper")
    try:
        r = app.delete(f"/api/events/{w.event.id}/", headers=w.gh, status=409)
    finally:
        pm.unregister(name="test-keeper")
    assert r.json["records"] == {"kept_things": 3}
    app.delete(f"/api/events/{w.event.id}/", headers=w.gh, status=204)  # nothing else held: deleted


def test_archive_is_read_only_and_hidden(app, w):
    w.scan()
    url = f"/api/events/{w.event.id}/"
    app.post(f"{url}archive/", headers=w.f.auth(w.part, w.event), status=403)
    r = app.post(f"{url}archive/", headers=w.gh)
    assert r.json["is_archived"] is True and r.json["archived_at"].endswith("Z")
    app.post(f"{url}archive/", headers=w.gh, status=409)  # already archived
    # hidden from lists by default, shown with ?archived=true; still readable by id
    assert str(w.event.id) not in [e["id"] for e in app.get("/api/events/", headers=w.gh).json["results"]]
    listed = app.get("/api/events/?archived=true", headers=w.gh).json["results"]
    assert [e["id"] for e in listed] == [str(w.event.id)]
    assert app.get(url, headers=w.gh).json["is_archived"] is True
    app.get(f"{url}statistics/", headers=w.gh, status=200)
    # every write is a 409 naming the reason: the event, its rooms, sessions, people, scans
    r = app.patch_json(url, {"name": "Renamed"}, headers=w.gh, status=409)
    assert r.json["reason"] == "event_archived" and "read-only" in r.json["message"]
    r = app.post_json("/api/rooms/", {"name": "New room", "capacity": 10}, headers=w.gh, status=409)
    assert r.json["reason"] == "event_archived"
    app.patch_json(f"/api/rooms/{w.room.id}/", {"name": "X"}, headers=w.gh, status=409)
    app.delete(f"/api/rooms/{w.room.id}/", headers=w.gh, status=409)
    assert w.scan(status=409).json["reason"] == "event_archived"
    app.delete(url, headers=w.gh, status=409)
    # an admin naming the event from elsewhere is refused as well
    admin_h = w.f.auth(w.admin)
    app.post_json("/api/rooms/", {"name": "Admin room", "event": str(w.event.id)}, headers=admin_h, status=409)
    assert app.get(url, headers=w.gh).json["name"] == "Archivable Summit"
    assert w.scans() == 1
    # restoring: platform admins only; then writes work again
    app.post(f"{url}restore/", headers=w.gh, status=403)
    r = app.post(f"{url}restore/", headers=admin_h)
    assert r.json["is_archived"] is False
    app.post(f"{url}restore/", headers=admin_h, status=409)  # not archived
    assert app.patch_json(url, {"name": "Renamed"}, headers=w.gh).json["name"] == "Renamed"
    assert str(w.event.id) in [e["id"] for e in app.get("/api/events/", headers=w.gh).json["results"]]
    w.scan(status=200)


def test_archive_scoping(app, w):
    other = w.f.event()
    app.post(f"/api/events/{other.id}/archive/", headers=w.gh, status=404)
    app.post(f"/api/events/{other.id}/restore/", headers=w.gh, status=404)
    app.post(f"/api/events/{w.event.id}/archive/", status=401)
    app.get("/api/events/?archived=maybe", headers=w.gh, status=400)
