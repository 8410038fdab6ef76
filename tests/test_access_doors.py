"""The app's event scanner, badge re-issue, QR images, scan statistics, query counts."""
from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest
import sqlalchemy as sa

from makeplus_core.access.models import RoomAccess, SessionAccess
from makeplus_core.db import utcnow
from makeplus_core.participants.models import Participant
from makeplus_core.staff.models import RoomAssignment

CTRL = "controlleur_des_badges"
GEST = "gestionnaire_des_salles"


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id, "email": user.email})


def reasons(db):
    out = [r[0] for r in db.execute(sa.select(RoomAccess.reason).order_by(RoomAccess.access_time)).all()]
    db.commit()
    return out


@pytest.fixture
def world(f):
    event = f.event(name="Tech Summit")
    return {"event": event, "room": f.room(event, name="Amphi"), "ctrl": f.member(event, CTRL),
            "gest": f.member(event, GEST), "holder": f.member(event, "participant")}


# --------------------------------------------------------------------------- /api/participants/scan/


def test_event_scan_success_is_a_check_in_once(app, f, db, world):
    event, holder = world["event"], world["holder"]
    atelier = f.session(event, world["room"], is_paid=True, price="6000.00", session_type="atelier", title="UX")
    other = f.session(event, world["room"], is_paid=True, price="5000.00", session_type="atelier", title="Pitch")
    participant = f.participant_of(holder, event)
    f.commit(SessionAccess(participant_id=participant.id, session_id=atelier.id, payment_status="paid",
                           has_access=True, amount_paid=decimal.Decimal("6000.00")),
             SessionAccess(participant_id=participant.id, session_id=other.id, payment_status="pending",
                           has_access=False))
    h = f.auth(world["ctrl"], event)
    r = app.post_json("/api/participants/scan/", {"qr_data": qr(holder)}, headers=h, status=200)
    body = r.json
    assert body["status"] == "success"
    assert body["participant"]["id"] == str(participant.id) and body["participant"]["email"] == holder.email
    assert body["participant"]["badge_id"] == holder.badge_id and isinstance(body["participant"]["name"], str)
    assert body["event"] == {"id": str(event.id), "name": "Tech Summit"}
    assert body["total_paid_items"] == 1 and body["total_amount"] == 6000.0
    paid = [i for i in body["paid_items"] if i["payment_status"] == "paid"]
    assert paid[0]["id"] == str(atelier.id) and paid[0]["amount_paid"] == 6000.0
    assert isinstance(paid[0]["amount_paid"], float)
    assert body["first_check_in"] is True and body["checked_in_at"].endswith("Z")
    r2 = app.post_json("/api/participants/scan/", {"qr_data": str(holder.id)}, headers=h, status=200)
    assert r2.json["first_check_in"] is False and r2.json["checked_in_at"] == body["checked_in_at"]
    p = db.get(Participant, participant.id)
    db.refresh(p)
    assert p.is_checked_in and p.checked_in_at is not None
    db.commit()
    assert reasons(db) == ["checked_in", "checked_in"]


def test_event_scan_denials(app, f, db, world):
    h = f.auth(world["ctrl"], world["event"])
    outsider = f.user()
    foreign_event = f.event()
    foreigner = f.member(foreign_event, "participant")
    r = app.post_json("/api/participants/scan/", {"qr_data": qr(outsider)}, headers=h, status=403)
    assert r.json["status"] == "denied" and r.json["message"]
    app.post_json("/api/participants/scan/", {"qr_data": qr(foreigner)}, headers=h, status=403)
    app.post_json("/api/participants/scan/", {"qr_data": "garbage"}, headers=h, status=400)
    app.post_json("/api/participants/scan/", {}, headers=h, status=400)
    app.post_json("/api/participants/scan/", {"qr_data": '{"user_id": 424242, "badge_id": "x"}'}, headers=h,
                  status=404)
    # a participant may not scan
    app.post_json("/api/participants/scan/", {"qr_data": qr(world["holder"])},
                  headers=f.auth(world["holder"], world["event"]), status=403)
    app.post_json("/api/participants/scan/", {"qr_data": qr(world["holder"])}, status=401)
    assert reasons(db) == ["no_event_access", "no_event_access", "invalid_qr", "invalid_qr", "unknown_user",
                           "scanner_not_allowed"]
    assert db.scalar(sa.select(sa.func.count()).select_from(Participant).where(Participant.is_checked_in)) == 0
    db.commit()


def test_event_check_in_is_in_the_audit_trail(app, f, world):
    """The check-in's conditional bulk UPDATE is recorded in the audit trail, once, by the
    controller who scanned (issue 15: the trail never saw it)."""
    event, holder, ctrl = world["event"], world["holder"], world["ctrl"]
    participant = f.participant_of(holder, event)
    f.db.commit()
    h = f.auth(ctrl, event)
    for _ in range(2):  # the second scan checks nobody in: no second entry
        app.post_json("/api/participants/scan/", {"qr_data": qr(holder)}, headers=h, status=200)
    r = app.get("/api/audit-log/", params={"object_type": "participants", "object_id": str(participant.id)},
                headers=f.auth(world["gest"], event)).json
    assert r["count"] == 1, r
    entry = r["results"][0]
    assert entry["action"] == "update" and entry["event"] == str(event.id)
    assert entry["changes"]["is_checked_in"] == [False, True]
    assert entry["changes"]["checked_in_at"][0] is None and entry["changes"]["checked_in_at"][1].endswith("Z")
    assert entry["user"] == ctrl.id and entry["request_path"] == "/api/participants/scan/"


def test_event_scan_idempotent(app, f, db, world):
    h = {**f.auth(world["ctrl"], world["event"]), "Idempotency-Key": "k-1"}
    a = app.post_json("/api/participants/scan/", {"qr_data": qr(world["holder"])}, headers=h, status=200)
    b = app.post_json("/api/participants/scan/", {"qr_data": qr(world["holder"])}, headers=h, status=200)
    assert a.json == b.json and a.json["first_check_in"] is True
    assert reasons(db) == ["checked_in"]


# --------------------------------------------------------------------------- signed badges and re-issue


def test_me_shows_signed_qr_and_both_formats_work(app, f, world):
    holder = world["holder"]
    me = app.get("/api/auth/me/", headers=f.auth(holder, world["event"])).json
    assert me["qr_code"]["badge_id"] == holder.badge_id
    token = me["qr_code"]["signed_qr"]
    assert token.startswith("MP2.")  # Ed25519 since issue 17
    h = f.auth(world["ctrl"], world["event"])
    url = f"/api/rooms/{world['room'].id}/verify_access/"
    app.post_json(url, {"qr_data": token}, headers=h, status=200)
    app.post_json(url, {"qr_data": json.dumps({"user_id": holder.id, "badge_id": holder.badge_id})}, headers=h,
                  status=200)
    login = app.post_json("/api/auth/token/", {"email": holder.email, "password": "makeplus2025"}).json
    assert login["qr_code"]["signed_qr"] == token


def test_key_rotation(make_app, f, world):
    """A token signed with an old key still verifies while the key is listed."""
    old = make_app(**{"makeplus.badges.signing_keys": "a:old-secret", "makeplus.badges.current_key": "a"})
    new = make_app(**{"makeplus.badges.signing_keys": "a:old-secret b:new-secret",
                      "makeplus.badges.current_key": "b"})
    gone = make_app(**{"makeplus.badges.signing_keys": "b:new-secret", "makeplus.badges.current_key": "b"})
    holder = world["holder"]
    token = old.app.registry.makeplus.badge_keyring.sign(holder.id, holder.badge_id)
    assert new.app.registry.makeplus.badge_keyring.sign(holder.id, holder.badge_id).startswith("MP1.b.")
    h = f.auth(world["ctrl"], world["event"])
    url = f"/api/rooms/{world['room'].id}/verify_access/"
    new.post_json(url, {"qr_data": token}, headers=h, status=200)
    r = gone.post_json(url, {"qr_data": token}, headers=h, status=400)
    assert r.json["error"] == "invalid_signature"


def test_reissue_revokes_old_badge_everywhere(app, f, db, world):
    holder, event = world["holder"], world["event"]
    keyring = app.app.registry.makeplus.badge_keyring
    old_json, old_signed = qr(holder), keyring.sign(holder.id, holder.badge_id)
    h = f.auth(world["ctrl"], event)
    url = f"/api/rooms/{world['room'].id}/verify_access/"
    app.post_json(url, {"qr_data": old_json}, headers=h, status=200)
    # the badge is the holder's: event staff (controller, gestionnaire) may not re-issue it
    app.post(f"/api/users/{holder.id}/badge/reissue/", headers=h, status=403)
    r = app.post(f"/api/users/{holder.id}/badge/reissue/", headers=f.auth(world["gest"], event), status=403)
    assert r.json["field"] == "user_id"
    r = app.post(f"/api/users/{holder.id}/badge/reissue/", headers=f.auth(holder, event), status=200)
    new = r.json
    assert new["badge_id"] != holder.badge_id and new["signed_qr"].startswith("MP2.")
    for old in (old_json, old_signed):
        assert app.post_json(url, {"qr_data": old}, headers=h, status=404).json["error"] == "unknown_badge"
        app.post_json("/api/participants/scan/", {"qr_data": old}, headers=h, status=404)
    app.post_json(url, {"qr_data": json.dumps(new["qr_code_data"])}, headers=h, status=200)
    app.post_json(url, {"qr_data": new["signed_qr"]}, headers=h, status=200)
    me = app.get("/api/auth/me/", headers=f.auth(holder, event)).json
    assert me["qr_code"]["badge_id"] == new["badge_id"]
    # through the participant id too; a user of another event is 404
    participant = f.participant_of(holder, event)
    db.commit()
    app.post(f"/api/participants/{participant.id}/badge/reissue/", headers=f.auth(world["gest"], event),
             status=403)
    admin = f.user(is_admin=True)
    r2 = app.post(f"/api/participants/{participant.id}/badge/reissue/?event={event.id}", headers=f.auth(admin))
    assert r2.json["badge_id"] != new["badge_id"]
    stranger = f.member(f.event(), "participant")
    app.post(f"/api/users/{stranger.id}/badge/reissue/", headers=f.auth(world["gest"], event), status=404)
    app.post("/api/users/99999999999/badge/reissue/", headers=f.auth(world["gest"], event), status=404)
    # a platform admin may re-issue anyone's badge, in no event at all
    r3 = app.post(f"/api/users/{stranger.id}/badge/reissue/", headers=f.auth(admin), status=200)
    assert r3.json["user_id"] == stranger.id


# --------------------------------------------------------------------------- QR images


def test_qr_images(app, f, db, world):
    event, holder = world["event"], world["holder"]
    gh = f.auth(world["gest"], event)
    r = app.post_json("/api/qr/generate/", {"user_id": holder.id}, headers=gh, status=200)
    assert r.content_type == "image/png" and r.body.startswith(b"\x89PNG")
    r = app.post_json("/api/qr/generate/?format=svg", {"data": "hello"}, headers=gh, status=200)
    assert r.content_type == "image/svg+xml" and b"<svg" in r.body
    participant = f.participant_of(holder, event)
    db.commit()
    r = app.post_json("/api/qr/generate/", {"participant_id": str(participant.id), "format": "svg"}, headers=gh)
    assert b"<svg" in r.body
    app.post_json("/api/qr/generate/", {}, headers=gh, status=400)
    app.post_json("/api/qr/generate/?format=gif", {"data": "x"}, headers=gh, status=400)
    app.post_json("/api/qr/generate/", {"user_id": f.user().id}, headers=gh, status=404)
    app.post_json("/api/qr/generate/", {"user_id": holder.id}, headers=f.auth(world["ctrl"], event), status=403)
    url = f"/api/participants/{participant.id}/qr_code/"
    assert app.get(url, headers=f.auth(holder, event)).body.startswith(b"\x89PNG")
    assert b"<svg" in app.get(url + "?format=svg&variant=signed", headers=f.auth(world["ctrl"], event)).body
    app.get(url, headers=f.auth(f.member(event, "participant"), event), status=403)
    other_event = f.event()
    app.get(url, headers=f.auth(f.member(other_event, GEST), other_event), status=404)


# --------------------------------------------------------------------------- statistics


def test_room_statistics_and_participants(app, f, db, world):
    event, room = world["event"], world["room"]
    h = f.auth(world["ctrl"], event)
    url = f"/api/rooms/{room.id}/verify_access/"
    a, b = world["holder"], f.member(event, "participant")
    app.post_json(url, {"qr_data": qr(a)}, headers=h)
    app.post_json(url, {"qr_data": qr(a)}, headers=h)
    app.post_json(url, {"qr_data": qr(b)}, headers=h)
    app.post_json(url, {"qr_data": "junk"}, headers=h, status=400)
    gh = f.auth(world["gest"], event)
    s = app.get(f"/api/rooms/{room.id}/statistics/", headers=gh).json
    assert s["room"] == {"id": str(room.id), "name": "Amphi", "capacity": room.capacity}
    st = s["statistics"]
    assert (st["total_scans"], st["today_scans"], st["granted"], st["denied"]) == (4, 4, 3, 1)
    assert (st["unique_participants"], st["unique_participants_today"], st["current_occupancy"]) == (2, 2, 2)
    assert len(s["recent_scans"]) == 4 and s["recent_scans"][0]["status"] == "denied"
    assert s["recent_scans"][1]["participant"]["email"] == b.email
    assert s["recent_scans"][1]["verified_by"] == world["ctrl"].username
    people = app.get(f"/api/rooms/{room.id}/participants/", headers=gh).json
    assert people["count"] == 2 and {p["email"] for p in people["results"]} == {a.email, b.email}
    assert [p["scans"] for p in people["results"]] == [2, 1]
    app.get(f"/api/rooms/{room.id}/statistics/", headers=h, status=403)
    other_event = f.event()
    app.get(f"/api/rooms/{room.id}/statistics/", headers=f.auth(f.member(other_event, GEST), other_event),
            status=404)


def test_my_room_statistics(app, f, db, world):
    event, room, ctrl = world["event"], world["room"], world["ctrl"]
    h = f.auth(ctrl, event)
    # no room assigned now: still 200, room null, my own figures
    r = app.get("/api/my-room/statistics/", headers=h).json
    assert r["room"] is None and r["my_check_ins_today"] == 0 and r["recent_scans"] == []
    app.post_json("/api/participants/scan/", {"qr_data": qr(world["holder"])}, headers=h)
    r = app.get("/api/my-room/statistics/", headers=h).json
    assert r["room"] is None and r["my_check_ins_today"] == 1
    scan = r["recent_scans"][0]
    assert scan["participant"]["email"] == world["holder"].email and scan["scanned_at"].endswith("Z")
    assert scan["accessed_at"] == scan["scanned_at"] and scan["status"] == "granted"
    now = utcnow()
    f.commit(RoomAssignment(user_id=ctrl.id, room_id=room.id, event_id=event.id, role=CTRL,
                            start_time=now - dt.timedelta(hours=1), end_time=now + dt.timedelta(hours=1)))
    app.post_json(f"/api/rooms/{room.id}/verify_access/", {"qr_data": qr(world["holder"])}, headers=h)
    app.post_json(f"/api/rooms/{room.id}/verify_access/", {"qr_data": "x"}, headers=h, status=400)
    r = app.get("/api/my-room/statistics/", headers=h).json
    assert r["room"]["id"] == str(room.id)
    assert r["statistics"]["total_scans"] == 2 and r["statistics"]["granted"] == 1
    assert r["my_check_ins_today"] == 2 and len(r["recent_scans"]) == 2
    app.get("/api/my-room/statistics/", headers=f.auth(world["holder"], event), status=403)


# --------------------------------------------------------------------------- query count


def _bulk_rows(db, world, n):
    event, room = world["event"], world["room"]
    t0 = utcnow() - dt.timedelta(days=2)
    db.execute(sa.insert(RoomAccess), [
        {"id": __import__("uuid").uuid4(), "event_id": event.id, "room_id": room.id, "user_id": None,
         "verified_by_id": world["ctrl"].id, "access_time": t0 + dt.timedelta(seconds=i), "status": "granted",
         "layer": "core", "reason": "granted", "http_status": 200} for i in range(n)])
    db.commit()


def test_granted_path_query_count(app, make_app, f, db, world, count_queries):
    """The core's scan path (no plugin: whatever plugins are installed, each one's tests
    count the statements its own scan hooks add)."""
    room = f.room(world["event"], name="Capped", capacity=50)
    f.session(world["event"], room, start=utcnow() - dt.timedelta(minutes=10), title="Now")
    world["room"] = room
    _bulk_rows(db, world, 10)
    h = f.auth(world["ctrl"], world["event"])
    core_only = make_app(**{"makeplus.plugins": ""})
    with count_queries() as q:
        r = core_only.post_json(f"/api/rooms/{room.id}/verify_access/", {"qr_data": qr(world["holder"])}, headers=h)
    assert r.json["status"] == "granted"
    assert q.count == 4, q.statements  # the door (with the identity), admission, counter, journal row (6 before)


def test_room_json_current_participants(app, f, world):
    h = f.auth(world["ctrl"], world["event"])
    room = world["room"]
    app.post_json(f"/api/rooms/{room.id}/verify_access/", {"qr_data": qr(world["holder"])}, headers=h)
    r = app.get(f"/api/rooms/{room.id}/", headers=f.auth(world["gest"], world["event"])).json
    assert r["current_participants"] == 1
