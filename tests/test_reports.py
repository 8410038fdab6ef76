"""Reports: figures equal counts computed independently from the raw rows."""
import decimal
import io
import random

import openpyxl
import pytest

from makeplus_core.access.models import RoomAccess, SessionAccess
from makeplus_core.testing import assert_text_cells

GEST = "gestionnaire_des_salles"


@pytest.fixture
def world(f, db):
    rnd = random.Random(7)
    event, other = f.event(), f.event()
    gest = f.member(event, GEST)
    gest_other = f.member(other, GEST)
    part = f.member(event, "participant")
    raw = {"scans": [], "access": [], "participants": {}, "room_cap": {}}
    sessions = {}
    for ev in (event, other):
        rooms = [f.room(ev, capacity=c) for c in (5, None)]
        raw["room_cap"].update({r.id: r.capacity for r in rooms})
        sessions[ev.id] = [
            f.session(ev, rooms[0], title="=HYPERLINK(\"http://x\")"),
            f.session(ev, rooms[1], title="Libre"),
            f.session(ev, rooms[0], title="Atelier", is_paid=True, price=100, capacity=3,
                      session_type="atelier"),
        ]
        members = [f.member(ev, "participant") for _ in range(6)]
        parts = [f.participant_of(u, ev) for u in members]
        raw["participants"][ev.id] = parts
        for p in parts[:4]:
            p.is_checked_in = True
        for _ in range(25):
            s = rnd.choice(sessions[ev.id])
            p = rnd.choice(parts)
            status = rnd.choice(["granted", "granted", "denied"])
            room_scan = rnd.random() < 0.5
            ra = RoomAccess(event_id=None if room_scan else ev.id, room_id=s.room_id, session_id=s.id,
                            participant_id=p.id, user_id=p.user_id, status=status, layer="test")
            db.add(ra)
            raw["scans"].append((ev.id, s.id, p.id, status))
        atelier = sessions[ev.id][2]
        for p, st, amount in zip(parts, ["paid", "paid", "pending", "refunded", "paid"], [100, 80, 0, 100, 100], strict=False):
            db.add(SessionAccess(participant_id=p.id, session_id=atelier.id, payment_status=st,
                                 amount_paid=decimal.Decimal(amount), has_access=st == "paid"))
            raw["access"].append((ev.id, atelier.id, st, decimal.Decimal(amount)))
    db.commit()
    return dict(event=event, other=other, gest=gest, gest_other=gest_other, part=part, raw=raw,
                sessions=sessions)


def expected_event(w, eid):
    scans = [s for s in w["raw"]["scans"] if s[0] == eid]
    parts = w["raw"]["participants"][eid]
    # +1: the "part" member of the first event is a registered participant too
    extra = 1 if eid == w["event"].id else 0
    return {
        "sessions": 3,
        "registered_participants": len(parts) + extra,
        "present_participants": sum(1 for p in parts if p.is_checked_in),
        "scans": len(scans),
        "scans_granted": sum(1 for s in scans if s[3] == "granted"),
        "scans_denied": sum(1 for s in scans if s[3] == "denied"),
        "unique_attendees": len({s[2] for s in scans if s[3] == "granted"}),
        "revenue": str(sum((a[3] for a in w["raw"]["access"] if a[0] == eid and a[2] == "paid"),
                           decimal.Decimal("0")).quantize(decimal.Decimal("0.01"))),
    }


def test_events_report_matches_raw_rows(app, f, world):
    w = world
    r = app.get("/api/reports/events/", headers=f.auth(w["gest"], w["event"])).json
    assert r["count"] == 1
    row = r["results"][0]
    assert row["event"] == str(w["event"].id)
    assert {k: row[k] for k in expected_event(w, w["event"].id)} == expected_event(w, w["event"].id)
    admin = f.user(is_admin=True)
    r = app.get("/api/reports/events/", headers=f.auth(admin)).json
    by_id = {x["event"]: x for x in r["results"]}
    assert set(by_id) == {str(w["event"].id), str(w["other"].id)}
    for ev in (w["event"], w["other"]):
        exp = expected_event(w, ev.id)
        assert {k: by_id[str(ev.id)][k] for k in exp} == exp


def test_sessions_report_matches_raw_rows(app, f, world, count_queries):
    w = world
    h = f.auth(w["gest"], w["event"])
    r = app.get("/api/reports/sessions/", params={"event": str(w["event"].id)}, headers=h).json
    assert r["count"] == 3
    rows = {x["session"]: x for x in r["results"]}
    for s in w["sessions"][w["event"].id]:
        row = rows[str(s.id)]
        granted = {p for (_, sid, p, st) in w["raw"]["scans"] if sid == s.id and st == "granted"}
        acc = [a for a in w["raw"]["access"] if a[1] == s.id]
        paid = [a for a in acc if a[2] == "paid"]
        capacity = s.capacity if s.capacity is not None else w["raw"]["room_cap"][s.room_id]
        assert row["attendance"] == len(granted)
        assert row["paid_ateliers"] == len(paid)
        assert row["pending_ateliers"] == sum(1 for a in acc if a[2] == "pending")
        assert row["revenue"] == str(sum((a[3] for a in paid), decimal.Decimal(0)).quantize(decimal.Decimal("0.01")))
        taken = len(paid) if s.is_paid else len(granted)
        assert row["capacity"] == capacity
        if capacity is not None:
            assert row["remaining_capacity"] == max(capacity - taken, 0)
        else:
            assert row["remaining_capacity"] is None
    assert rows[str(w["sessions"][w["event"].id][2].id)]["capacity"] == 3  # the session's own capacity
    assert rows[str(w["sessions"][w["event"].id][1].id)]["capacity"] is None  # unlimited room
    with count_queries() as q1:
        app.get("/api/reports/sessions/", params={"page_size": 1}, headers=h)
    with count_queries() as q3:
        app.get("/api/reports/sessions/", params={"page_size": 3}, headers=h)
    assert q1.count == q3.count


def test_excel_downloads(app, f, world):
    w = world
    h = f.auth(w["gest"], w["event"])
    resp = app.get("/api/reports/sessions/", params={"format": "xlsx"}, headers=h)
    assert resp.content_type.startswith("application/vnd.openxmlformats")
    assert "attachment" in resp.headers["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(resp.body)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "title" and len(rows) == 4
    [r[0] for r in rows[1:]]
    assert_text_cells(resp.body, ['=HYPERLINK("http://x")'])  # formula neutralised
    js = {x["title"]: x for x in app.get("/api/reports/sessions/", headers=h).json["results"]}
    header = rows[0]
    for r in rows[1:]:
        title = r[0]
        assert r[header.index("attendance")] == js[title]["attendance"]
        assert r[header.index("paid_ateliers")] == js[title]["paid_ateliers"]
    resp = app.get("/api/reports/events/", params={"format": "xlsx"}, headers=h)
    ws = openpyxl.load_workbook(io.BytesIO(resp.body)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][rows[0].index("scans")] == expected_event(w, w["event"].id)["scans"]
    app.get("/api/reports/events/", params={"format": "pdf"}, headers=h, status=400)


def test_roles_and_scoping(app, f, world):
    w = world
    hp = f.auth(w["part"], w["event"])
    app.get("/api/reports/events/", headers=hp, status=403)
    app.get("/api/reports/sessions/", headers=hp, status=403)
    app.get("/api/reports/sessions/", params={"format": "xlsx"}, headers=hp, status=403)
    app.get("/api/reports/events/", status=401)
    # another event's gestionnaire: only their event; naming ours is a 404
    r = app.get("/api/reports/events/", headers=f.auth(w["gest_other"], w["other"])).json
    assert [x["event"] for x in r["results"]] == [str(w["other"].id)]
    app.get("/api/reports/sessions/", params={"event": str(w["event"].id)},
            headers=f.auth(w["gest_other"], w["other"]), status=404)
