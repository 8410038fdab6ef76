"""Issue 17 part B under real concurrency: two server processes on PostgreSQL and Redis
(the layout of tests/test_two_processes.py). Offline scans synced twice at once are each
recorded once; concurrent exits lower the occupancy exactly once; a room that tracks exits
never holds more people than its capacity."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from test_two_processes import Client, both, layout, qr  # noqa: F401  (layout is the fixture)

from makeplus_core.access.models import RoomAccess, RoomAdmissionCount
from makeplus_core.db import utcnow

CTRL = "controlleur_des_badges"


def test_offline_batch_synced_twice_concurrently_is_recorded_once(layout, app, f, db):  # noqa: F811 (the fixture)
    event = f.event()
    room = f.room(event, capacity=None, tracks_exits=True)
    ctrl = f.member(event, CTRL)
    people = [f.member(event, "participant") for _ in range(50)]
    h = f.auth(ctrl, event)
    t0 = utcnow() - dt.timedelta(hours=1)
    scans = []
    for i in range(200):  # 50 people: entry, exit, entry, exit
        who = people[i % 50]
        scans.append({"scan_id": f"off-{i:03d}", "qr_data": qr(who), "direction": ("entry", "exit")[i // 50 % 2],
                      "scanned_at": (t0 + dt.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000"),
                      "decision": "granted"})
    body = {"room": str(room.id), "scans": scans}
    results = both(layout, [("POST", "/api/scanner/sync/", body, h, "10.9.0.1")] * 2)
    assert [s for s, _, _ in results] == [200, 200], results
    recorded = sum(b["recorded"] for _, b, _ in results)
    duplicate = sum(b["duplicate"] for _, b, _ in results)
    assert (recorded, duplicate) == (200, 200)
    rows = db.execute(sa.select(RoomAccess.scan_id, sa.func.count()).where(RoomAccess.room_id == room.id)
                      .group_by(RoomAccess.scan_id)).all()
    occupancy = db.scalar(sa.select(sa.func.sum(RoomAdmissionCount.admitted))
                          .where(RoomAdmissionCount.room_id == room.id))
    db.commit()
    assert len(rows) == 200 and {n for _, n in rows} == {1}
    assert occupancy == 0  # everyone entered twice and left twice
    # both answers agree on every decision
    a, b = (sorted((x["scan_id"], x["decision"]) for x in r["results"]) for _, r, _ in results)
    assert a == b


def test_concurrent_exits_lower_occupancy_exactly_once(layout, app, f, db):  # noqa: F811 (the fixture)
    event = f.event()
    room = f.room(event, capacity=3, tracks_exits=True)
    ctrl = f.member(event, CTRL)
    h = f.auth(ctrl, event)
    url = f"/api/rooms/{room.id}/verify_access/"
    people = [f.member(event, "participant") for _ in range(10)]
    # 10 people at once for 3 places
    results = both(layout, [("POST", url, {"qr_data": qr(p)}, h, "10.9.1.1") for p in people])
    assert sorted(s for s, _, _ in results).count(200) == 3, results
    inside = [p for p, (s, _, _) in zip(people, results, strict=False) if s == 200]
    # the first person's exit scanned by 6 phones at once (different scan ids)
    results = both(layout, [("POST", url, {"qr_data": qr(inside[0]), "direction": "exit"}, h, "10.9.1.1")] * 6)
    assert {s for s, _, _ in results} == {200}
    assert sum(1 for _, b, _ in results if b["was_inside"]) == 1
    status, body, _ = Client(layout.bases[0]).get(f"/api/rooms/{room.id}/", headers=h, addr="10.9.1.1")
    assert status == 200 and body["occupancy"] == 2 and body["occupancy_percentage"] == 66.7
