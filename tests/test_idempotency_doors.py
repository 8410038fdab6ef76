"""One idempotency mechanism: the same key rules and the same replay on every scan door
and on the generic POST endpoints (issue 15: the tween took keys up to 200 characters,
the doors up to 100, and answered the doors' retries before they reached the journal)."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from makeplus_core.access.models import RoomAccess
from makeplus_core.access.pipeline import journal_scan_id
from makeplus_core.idempotency import MAX_KEY_LENGTH

CTRL = "controlleur_des_badges"
LONG = 150


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id})


@pytest.fixture
def world(f):
    event = f.event()
    return {"event": event, "room": f.room(event, name="Amphi"), "ctrl": f.member(event, CTRL),
            "gest": f.member(event, "gestionnaire_des_salles")}


def door_calls(f, world):
    """(name, url, body, headers) of each scan door, each with a holder of its own."""
    event, room, ctrl = world["event"], world["room"], world["ctrl"]
    h = f.auth(ctrl, event)

    def holder():
        return qr(f.member(event, "participant"))

    return [
        ("verify_access", f"/api/rooms/{room.id}/verify_access/", {"qr_data": holder()}, h),
        ("participants/scan", "/api/participants/scan/", {"qr_data": holder()}, h),
        ("qr/verify room", "/api/qr/verify/", {"qr_data": holder(), "room": str(room.id)}, h),
        ("qr/verify event", "/api/qr/verify/", {"qr_data": holder()}, h),
        ("participants/verify_qr", "/api/participants/verify_qr/", {"qr_data": holder()}, h),
        ("denied scan", f"/api/rooms/{room.id}/verify_access/", {"qr_data": "not a badge"}, h),
    ]


def journal_count(db, scan_id=None):
    stmt = sa.select(sa.func.count()).select_from(RoomAccess)
    if scan_id is not None:
        stmt = stmt.where(RoomAccess.scan_id == scan_id)
    n = db.scalar(stmt)
    db.commit()
    return n


def test_a_long_key_is_replayed_once_on_every_door(app, f, db, world):
    for i, (name, url, body, h) in enumerate(door_calls(f, world)):
        key = f"{i:03d}".ljust(LONG, "k")
        headers = {**h, "Idempotency-Key": key}
        first = app.post_json(url, body, headers=headers, status="*")
        again = app.post_json(url, body, headers=headers, status="*")
        assert first.status_int in (200, 400), (name, first.status, first.json)
        assert (again.status_int, again.json) == (first.status_int, first.json), name
        assert again.headers["Idempotent-Replayed"] == "true", name
        assert "Idempotent-Replayed" not in first.headers, name
        assert journal_count(db, journal_scan_id(key)) == 1, name  # recorded once, under the client's key
        # the same key with another body: refused, as on every POST
        other = app.post_json(url, {**body, "session_id": ""}, headers=headers, status=422)
        assert other.json["error"] == "idempotency_key_reused", name


def test_a_long_key_is_replayed_once_on_a_generic_post(app, f, db, world):
    h = {**f.auth(world["gest"], world["event"]), "Idempotency-Key": "r" * LONG}
    body = {"event": str(world["event"].id), "name": "Salle longue clé", "capacity": 10}
    first = app.post_json("/api/rooms/", body, headers=h, status=201)
    again = app.post_json("/api/rooms/", body, headers=h, status=201)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"


def test_one_key_limit_everywhere(app, f, db, world):
    too_long = "x" * (MAX_KEY_LENGTH + 1)
    calls = door_calls(f, world)
    calls.append(("rooms", "/api/rooms/", {"event": str(world["event"].id), "name": "Salle"},
                  f.auth(world["gest"], world["event"])))
    for name, url, body, h in calls:
        r = app.post_json(url, body, headers={**h, "Idempotency-Key": too_long}, status=400)
        assert r.json["field"] == "Idempotency-Key", name
        assert r.json["message"] == f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters", name
    # the doors' other spellings of the key follow the same limit
    name, url, body, h = calls[0]
    app.post_json(url, {**body, "scan_id": too_long}, headers=h, status=400)
    app.post_json(url, body, headers={**h, "X-Scan-Id": too_long}, status=400)
    assert journal_count(db) == 0
    r = app.post_json(url, body, headers={**h, "X-Scan-Id": "s" * MAX_KEY_LENGTH}, status=200)
    assert r.json["status"] == "granted"


def test_offline_sync_takes_the_same_keys(app, f, db, world):
    """The offline scanner's per-scan ids follow the same limit, and one longer than the
    journal column (100) is still recorded once and recognised on a retry."""
    from makeplus_core.db import utcnow

    holder = f.member(world["event"], "participant")
    h = f.auth(world["ctrl"], world["event"])
    body = {"room": str(world["room"].id), "scans": [
        {"scan_id": "o" * LONG, "qr_data": qr(holder), "scanned_at": utcnow().isoformat()}]}
    first = app.post_json("/api/scanner/sync/", body, headers=h).json["results"][0]
    again = app.post_json("/api/scanner/sync/", body, headers=h).json["results"][0]
    assert (first["result"], first["decision"]) == ("recorded", "granted"), first
    assert (again["result"], again["decision"]) == ("duplicate", "granted")
    assert journal_count(db) == 1
    body["scans"][0]["scan_id"] = "o" * (MAX_KEY_LENGTH + 1)
    app.post_json("/api/scanner/sync/", body, headers=h, status=400)
