"""Issue 17 (part A): the scan journal /api/room-access/ (filters, pagination, Excel,
scoping), room readers for controllers, /api/sessions/{id}/participants/."""
from __future__ import annotations

import datetime as dt
import decimal
import io
import json

import pytest

from makeplus_core.access.models import SessionAccess
from makeplus_core.db import utcnow
from makeplus_core.staff.models import RoomAssignment
from makeplus_core.testing import assert_text_cells

CTRL = "controlleur_des_badges"
GEST = "gestionnaire_des_salles"


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id})


class World:
    def __init__(self, f):
        self.f = f
        self.event = f.event(name="Tech Summit")
        self.amphi = f.room(self.event, name="Amphi")
        self.salle = f.room(self.event, name="Salle B")
        self.gest = f.member(self.event, GEST)
        self.ctrl = f.member(self.event, CTRL)  # no room assignment: scans every room
        self.ctrl_b = f.member(self.event, CTRL)  # assigned to Salle B only
        now = utcnow()
        f.commit(RoomAssignment(user_id=self.ctrl_b.id, room_id=self.salle.id, event_id=self.event.id,
                                role=CTRL, start_time=now - dt.timedelta(hours=1),
                                end_time=now + dt.timedelta(hours=8)))
        self.alice = f.member(self.event, "participant", first_name="Alice", last_name="A")
        self.bob = f.member(self.event, "participant", first_name="Bob", last_name="B")
        self.part = self.alice
        self.other = f.event(name="Other")
        self.other_room = f.room(self.other, name="Elsewhere")
        self.other_gest = f.member(self.other, GEST)
        self.outsider = f.user(first_name="Secret", last_name="Person")

    def h(self, user, event=None):
        return self.f.auth(user, event or self.event)

    def scan(self, app, room, user, scanner=None, status=None, **body):
        return app.post_json(f"/api/rooms/{room.id}/verify_access/", {"qr_data": qr(user), **body},
                             headers=self.h(scanner or self.ctrl), status=status or "*")


@pytest.fixture
def w(f):
    return World(f)


def scans(app, w):
    w.scan(app, w.amphi, w.alice, status=200)
    w.scan(app, w.amphi, w.bob, status=200)
    w.scan(app, w.salle, w.alice, scanner=w.ctrl_b, status=200)
    w.scan(app, w.amphi, w.outsider, status=403)  # not in the event
    app.post_json(f"/api/rooms/{w.amphi.id}/verify_access/", {"qr_data": "garbage"}, headers=w.h(w.ctrl),
                  status=400)


def test_gestionnaire_sees_the_whole_journal_newest_first(app, w):
    scans(app, w)
    r = app.get("/api/room-access/", headers=w.h(w.gest)).json
    assert r["count"] == 5 and r["next"] is None
    times = [e["access_time"] for e in r["results"]]
    assert times == sorted(times, reverse=True)
    first = r["results"][-1]
    assert first["room_name"] == "Amphi" and first["status"] == "granted" and first["user"] == w.alice.id
    assert first["participant_email"] == w.alice.email and first["direction"] == "entry"
    assert first["verified_by"] == w.ctrl.id and first["accessed_at"].endswith("Z")


def test_filters(app, w, f):
    scans(app, w)
    h = w.h(w.gest)

    def ids(**q):
        r = app.get("/api/room-access/", q, headers=h).json
        return r["count"]

    assert ids(room=str(w.amphi.id)) == 4 and ids(room_id=str(w.salle.id)) == 1
    assert ids(status="granted") == 3 and ids(status="denied") == 2
    assert ids(user=str(w.alice.id)) == 2 and ids(user=str(w.bob.id)) == 1
    alice_p = f.participant_of(w.alice, w.event)
    assert ids(participant=str(alice_p.id)) == 2 and ids(participant_id=str(alice_p.id), room=str(w.salle.id)) == 1
    assert ids(reason="no_event_access") == 1 and ids(reason="invalid_qr") == 1
    assert ids(direction="entry") == 5 and ids(direction="exit") == 0
    future = (utcnow() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000")
    past = (utcnow() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000")
    assert ids(**{"from": future}) == 0 and ids(**{"from": past}) == 5 and ids(to=past) == 0
    assert ids(**{"from": past, "to": future, "status": "granted", "room": str(w.amphi.id)}) == 2


@pytest.mark.parametrize("query,field", [
    ({"status": "maybe"}, "status"), ({"direction": "sideways"}, "direction"), ({"room": "x"}, "room"),
    ({"user": "abc"}, "user"), ({"from": "yesterday"}, "from"), ({"participant": "1"}, "participant"),
    ({"from": "2026-01-02", "to": "2026-01-01"}, "to"), ({"format": "pdf"}, "format"),
    ({"page_size": "0"}, "page_size"),
])
def test_bad_filters_are_400_naming_the_field(app, w, query, field):
    r = app.get("/api/room-access/", query, headers=w.h(w.gest), status=400).json
    assert r["field"] == field


def test_pagination(app, w):
    scans(app, w)
    r = app.get("/api/room-access/", {"page_size": 2}, headers=w.h(w.gest)).json
    assert r["count"] == 5 and len(r["results"]) == 2 and "page=2" in r["next"]
    last = app.get("/api/room-access/", {"page_size": 2, "page": 3}, headers=w.h(w.gest)).json
    assert len(last["results"]) == 1 and last["next"] is None


def test_serializing_a_page_costs_the_same_whatever_its_size(app, w, count_queries):
    scans(app, w)
    with count_queries() as few:
        app.get("/api/room-access/", {"page_size": 1}, headers=w.h(w.gest))
    with count_queries() as many:
        app.get("/api/room-access/", {"page_size": 50}, headers=w.h(w.gest))
    assert many.count == few.count


def test_controller_sees_the_rooms_they_may_scan(app, w):
    scans(app, w)
    everything = app.get("/api/room-access/", headers=w.h(w.ctrl)).json
    assert everything["count"] == 5  # no assignment: every room
    mine = app.get("/api/room-access/", headers=w.h(w.ctrl_b)).json
    assert mine["count"] == 1 and mine["results"][0]["room_name"] == "Salle B"
    app.get("/api/room-access/", {"room": str(w.amphi.id)}, headers=w.h(w.ctrl_b), status=403)
    app.get(f"/api/rooms/{w.amphi.id}/access_history/", headers=w.h(w.ctrl_b), status=403)
    entry = app.get("/api/room-access/", headers=w.h(w.gest)).json["results"][-1]  # Amphi
    app.get(f"/api/room-access/{entry['id']}/", headers=w.h(w.ctrl_b), status=404)
    assert app.get(f"/api/room-access/{entry['id']}/", headers=w.h(w.ctrl)).json["id"] == entry["id"]


@pytest.mark.parametrize("role", ["participant", "exposant"])
def test_other_roles_are_403(app, w, f, role):
    app.get("/api/room-access/", headers=w.h(f.member(w.event, role)), status=403)
    app.get(f"/api/rooms/{w.amphi.id}/current_participants/", headers=w.h(f.member(w.event, role)), status=403)


def test_another_event_is_404_and_sees_nothing(app, w):
    scans(app, w)
    h = w.h(w.other_gest, w.other)
    assert app.get("/api/room-access/", headers=h).json["count"] == 0
    app.get("/api/room-access/", {"room": str(w.amphi.id)}, headers=h, status=404)
    app.get("/api/room-access/", {"event": str(w.event.id)}, headers=h, status=404)
    app.get(f"/api/rooms/{w.amphi.id}/access_history/", headers=h, status=404)
    entry = app.get("/api/room-access/", headers=w.h(w.gest)).json["results"][0]
    app.get(f"/api/room-access/{entry['id']}/", headers=h, status=404)
    app.get("/api/room-access/", status=401)


def test_denials_before_membership_never_name_the_holder(app, w):
    """A badge of someone outside the event (e.g. a plain id anyone can type) stays anonymous."""
    w.scan(app, w.amphi, w.outsider, status=403)
    for who in (w.gest, w.ctrl):
        r = app.get("/api/room-access/", headers=w.h(who)).json
        entry = r["results"][0]
        assert entry["reason"] == "no_event_access"
        assert entry["user"] is None and entry["participant_name"] is None
        assert "Secret" not in json.dumps(r) and w.outsider.email not in json.dumps(r)
        assert app.get("/api/room-access/", {"user": str(w.outsider.id)}, headers=w.h(who)).json["count"] == 0
        stats = app.get("/api/my-room/statistics/", headers=w.h(who)).json
        assert w.outsider.email not in json.dumps(stats)


def test_xlsx_export_neutralises_formulas(app, w, f):
    evil = f.member(w.event, "participant", first_name="=HYPERLINK(\"http://x\")", last_name="+1")
    w.scan(app, w.amphi, evil, status=200)
    w.scan(app, w.amphi, w.alice, status=200)
    for url, q in (("/api/room-access/", {"format": "xlsx"}), ("/api/room-access/export/", {})):
        r = app.get(url, q, headers=w.h(w.gest), status=200)
        assert r.content_type.endswith("spreadsheetml.sheet")
        assert_text_cells(r.body, ['=HYPERLINK("http://x") +1', "Amphi", "granted"])
    filtered = app.get("/api/room-access/export/", {"user": str(w.alice.id)}, headers=w.h(w.gest)).body
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(filtered)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][4] == w.alice.email
    app.get("/api/room-access/export/", headers=w.h(w.f.member(w.event, "participant")), status=403)


def test_room_aliases(app, w):
    scans(app, w)
    hist = app.get(f"/api/rooms/{w.amphi.id}/access_history/", headers=w.h(w.gest)).json
    assert hist["count"] == 4 and {e["room_name"] for e in hist["results"]} == {"Amphi"}
    granted = app.get(f"/api/rooms/{w.amphi.id}/access_history/", {"status": "granted"},
                      headers=w.h(w.ctrl)).json
    assert granted["count"] == 2
    now = app.get(f"/api/rooms/{w.amphi.id}/current_participants/", headers=w.h(w.ctrl)).json
    assert now["current_participants"] == 2 and {p["user_id"] for p in now["results"]} == {w.alice.id, w.bob.id}
    room = app.get(f"/api/rooms/{w.amphi.id}/", headers=w.h(w.ctrl)).json
    assert room["current_participants"] == now["current_participants"]
    app.get(f"/api/rooms/{w.other_room.id}/current_participants/", headers=w.h(w.gest), status=404)


def test_room_participants_readable_by_the_rooms_controllers(app, w):
    scans(app, w)
    r = app.get(f"/api/rooms/{w.salle.id}/participants/", headers=w.h(w.ctrl_b)).json
    assert r["count"] == 1 and r["results"][0]["user_id"] == w.alice.id
    assert app.get(f"/api/rooms/{w.amphi.id}/participants/", headers=w.h(w.ctrl)).json["count"] == 2
    app.get(f"/api/rooms/{w.amphi.id}/participants/", headers=w.h(w.ctrl_b), status=403)
    app.get(f"/api/rooms/{w.amphi.id}/participants/", headers=w.h(w.part), status=403)
    app.get(f"/api/rooms/{w.amphi.id}/statistics/", headers=w.h(w.ctrl), status=403)  # unchanged


def test_session_participants(app, w, f):
    atelier = f.session(w.event, w.salle, title="UX", is_paid=True, price="6000.00", session_type="atelier",
                        status="en_cours")
    carol = f.member(w.event, "participant", first_name="Carol", last_name="C")
    pa, pb, pc = (f.participant_of(u, w.event) for u in (w.alice, w.bob, carol))
    f.commit(SessionAccess(participant_id=pa.id, session_id=atelier.id, payment_status="paid", has_access=True,
                           amount_paid=decimal.Decimal("6000.00")),
             SessionAccess(participant_id=pb.id, session_id=atelier.id, payment_status="pending"))
    w.scan(app, w.salle, w.alice, scanner=w.ctrl_b, status=200)
    w.scan(app, w.salle, w.bob, scanner=w.ctrl_b, status=402)
    w.scan(app, w.salle, carol, scanner=w.ctrl_b, status=402)
    for who in (w.gest, w.ctrl_b, w.ctrl):
        r = app.get(f"/api/sessions/{atelier.id}/participants/", headers=w.h(who)).json
        assert r["summary"] == {"registered": 2, "paid": 1, "pending": 1, "admitted": 1, "capacity": None}
        by_user = {p["user_id"]: p for p in r["results"]}
        assert by_user[w.alice.id]["admitted"] and by_user[w.alice.id]["payment_status"] == "paid"
        assert by_user[w.alice.id]["amount_paid"] == 6000.0 and by_user[w.alice.id]["scans"] == 1
        assert not by_user[w.bob.id]["admitted"] and by_user[w.bob.id]["payment_status"] == "pending"
        assert carol.id not in by_user
    amphi_session = f.session(w.event, w.amphi, title="Keynote")
    app.get(f"/api/sessions/{amphi_session.id}/participants/", headers=w.h(w.ctrl_b), status=403)
    app.get(f"/api/sessions/{atelier.id}/participants/", headers=w.h(w.part), status=403)
    app.get(f"/api/sessions/{atelier.id}/participants/", headers=w.h(w.other_gest, w.other), status=404)


def test_direction_filter_and_column_read_room_access_direction(app, w):
    """An exit scan is journalled with direction=exit: it appears under direction=exit only,
    and the item and the xlsx export say so."""
    w.scan(app, w.amphi, w.alice, status=200)
    w.scan(app, w.amphi, w.alice, status=200, direction="exit")
    w.scan(app, w.amphi, w.bob, status=200)
    h = w.h(w.gest)
    exits = app.get("/api/room-access/", {"direction": "exit"}, headers=h).json
    assert exits["count"] == 1
    assert exits["results"][0]["direction"] == "exit" and exits["results"][0]["user"] == w.alice.id
    entries = app.get("/api/room-access/", {"direction": "entry"}, headers=h).json
    assert entries["count"] == 2 and {e["direction"] for e in entries["results"]} == {"entry"}
    everything = app.get("/api/room-access/", headers=h).json["results"]
    assert sorted(e["direction"] for e in everything) == ["entry", "entry", "exit"]
    from openpyxl import load_workbook

    body = app.get("/api/room-access/export/", {"direction": "exit"}, headers=h).body
    rows = list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    column = rows[0].index("Direction")
    assert len(rows) == 2 and rows[1][column] == "exit"
    body = app.get("/api/room-access/", {"format": "xlsx"}, headers=h).body
    rows = list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    assert sorted(r[column] for r in rows[1:]) == ["entry", "entry", "exit"]
