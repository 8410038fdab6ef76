"""The Flutter app's calls (../shared/CLIENT_CONTRACT.md), replayed on the demo data.

Each test is one screen's calls with the types the app parses: int ids for users,
UUID strings for events/rooms/sessions, {"results": [...]} lists, 401 (not 403) for
a bad bearer, JSON bodies on every error.
"""
import datetime as dt
import json
import uuid

import pytest

from makeplus_core import demo

PW = demo.PASSWORD


@pytest.fixture
def demo_app(app, db, settings):
    demo.load(db, app.app.registry.makeplus.plugins, settings)
    db.commit()
    return app


def login(app, email):
    r = app.post_json("/api/auth/token/", {"email": email, "password": PW})
    assert r.content_type == "application/json"
    return r.json


def h(token):
    return {"Authorization": f"Bearer {token}"}


def is_uuid(value):
    uuid.UUID(value)
    return True


def parses_as_date(value):
    dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def check_user(u):
    assert isinstance(u["id"], int) and isinstance(u["email"], str)


def check_session(s):
    assert is_uuid(s["id"]) and parses_as_date(s["start_time"]) and parses_as_date(s["end_time"])
    assert isinstance(s["room"], str) and is_uuid(s["room"])  # scalar room, never an object or null
    assert isinstance(s["is_paid"], bool)
    assert isinstance(s["room_name"], str)
    assert isinstance(s["price"], (str, int, float))


def test_auth_single_event(demo_app):
    d = login(demo_app, "participant@makeplus.demo")
    assert d["access"] and d["refresh"]
    check_user(d["user"])
    assert d["role"] == "participant"
    assert is_uuid(d["event"]["id"]) and d["event"]["name"]
    qr = d["qr_code"]
    assert isinstance(qr["user_id"], int) and qr["badge_id"].startswith(f"USER-{qr['user_id']}-")
    for item in qr["paid_items"]:
        assert item["type"] in ("session", "access", "dinner", "other")
        assert isinstance(item["amount_paid"], (int, float)) and isinstance(item["has_access"], bool)
        assert item["payment_status"] in ("paid", "free", "pending", "refunded")
    bad = demo_app.post_json("/api/auth/token/", {"email": "participant@makeplus.demo", "password": "x"}, status=401)
    assert bad.json and isinstance(bad.json, dict)


def test_auth_multi_event_and_refresh(demo_app):
    d = login(demo_app, "multi@makeplus.demo")
    assert d["requires_event_selection"] is True and d["temp_token"]
    check_user(d["user"])
    assert all(e["role"] for e in d["available_events"])
    chosen = d["available_events"][0]["id"]
    s = demo_app.post_json("/api/auth/select-event/", {"event_id": chosen}, headers=h(d["temp_token"])).json
    assert s["event"]["id"] == chosen and s["access"]
    r = demo_app.post_json("/api/auth/token/refresh/", {"refresh": s["refresh"]}, status=200).json
    assert r["access"]
    demo_app.post("/api/auth/logout/", headers=h(r["access"]))


def test_profile(demo_app):
    d = login(demo_app, "participant@makeplus.demo")
    me = demo_app.get("/api/auth/me/", headers=h(d["access"])).json
    check_user(me)
    assert me["event"]["id"] == d["event"]["id"]
    assert isinstance(me["qr_code"], dict) and isinstance(me["participant"]["qr_code_data"], dict)
    assert isinstance(me["participant"]["qr_code_data"]["paid_items"], list)
    demo_app.patch_json("/api/auth/me/", {"first_name": "Ahmed", "last_name": "B"}, headers=h(d["access"]))
    assert isinstance(demo_app.get("/api/auth/me/export/", headers=h(d["access"])).json, dict)
    demo_app.get("/api/auth/me/", headers=h("not-a-token"), status=401)


def test_room_manager_home(demo_app):
    d = login(demo_app, "gestionnaire@makeplus.demo")
    event = d["event"]["id"]
    r = demo_app.get("/api/user-assignments/", params={"user": d["user"]["id"], "event": event,
                                                       "is_active": "true"}, headers=h(d["access"])).json
    items = r["results"] if isinstance(r, dict) else r
    assert items and items[0]["role"] == "gestionnaire_des_salles"
    assert "room_assignment" in items[0]
    rooms = demo_app.get("/api/rooms/", params={"event": event}, headers=h(d["access"])).json
    assert rooms["results"]
    for room in rooms["results"]:
        assert is_uuid(room["id"]) and isinstance(room["capacity"], int)
        assert isinstance(room["current_participants"], int)
    room_id = rooms["results"][0]["id"]
    sessions = demo_app.get("/api/sessions/", params={"event": event, "room": room_id}, headers=h(d["access"]))
    assert all(s["room"] == room_id for s in sessions.json["results"])
    for s in sessions.json["results"]:
        check_session(s)
    # create a room and a session as the app does (explicit nulls, price "0.0", naive datetimes)
    new_room = demo_app.post_json("/api/rooms/", {"event": event, "name": "Salle Flutter", "capacity": 40,
                                                  "description": "d", "is_active": True}, headers=h(d["access"]))
    assert new_room.status_int in (200, 201)
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(hour=9, minute=0, second=0,
                                                                               microsecond=0, tzinfo=None)
    body = {"event": event, "room": new_room.json["id"], "title": "Atelier Flutter", "description": None,
            "start_time": start.isoformat(timespec="milliseconds"),
            "end_time": (start + dt.timedelta(hours=1)).isoformat(timespec="milliseconds"),
            "speaker_name": None, "speaker_title": None, "theme": None, "session_type": "conference",
            "is_paid": False, "price": "0.0", "youtube_live_url": None}
    created = demo_app.post_json("/api/sessions/", body, headers=h(d["access"]))
    assert created.status_int in (200, 201)
    check_session(created.json)
    sid = created.json["id"]
    for action, expected in (("start", {"en_cours", "live", "in_progress", "ongoing"}),
                             ("end", {"termine", "completed", "finished", "cancelled"}),
                             ("cancel", {"pas_encore"})):
        r = demo_app.post(f"/api/sessions/{sid}/{action}/", headers=h(d["access"]))
        session = r.json.get("session", r.json)
        assert session["status"] in expected
    demo_app.patch_json(f"/api/sessions/{sid}/", {"title": "Atelier Flutter 2"}, headers=h(d["access"]))
    other = [s for s in sessions.json["results"]][:1]
    if other:
        swapped = demo_app.post_json("/api/sessions/swap-times/", {"session_1_id": sid,
                                                                   "session_2_id": other[0]["id"]},
                                     headers=h(d["access"]), expect_errors=True)
        assert swapped.status_int in (200, 400, 409) and isinstance(swapped.json, dict)
    demo_app.delete(f"/api/sessions/{sid}/", headers=h(d["access"]))


def test_controller_scan_and_door(demo_app, db):
    d = login(demo_app, "controller@makeplus.demo")
    p = login(demo_app, "participant@makeplus.demo")
    qr = json.dumps({"user_id": p["qr_code"]["user_id"], "badge_id": p["qr_code"]["badge_id"],
                     "email": "participant@makeplus.demo", "first_name": "Ahmed", "last_name": "Benali"})
    for payload in (qr, str(p["qr_code"]["user_id"])):
        r = demo_app.post_json("/api/participants/scan/", {"qr_data": payload}, headers=h(d["access"]))
        assert r.status_int == 200 and r.json["status"] == "success"
        part = r.json["participant"]
        assert isinstance(part["name"], str) and part["email"] == "participant@makeplus.demo"
        for item in r.json.get("paid_items", []):
            assert isinstance(item["amount_paid"], (int, float))
        assert isinstance(r.json.get("total_amount", 0), (int, float))
    for garbage in ("", "{}", "nope", '{"user_id": 999999, "badge_id": "USER-999999-AAAAAAAA"}'):
        r = demo_app.post_json("/api/participants/scan/", {"qr_data": garbage}, headers=h(d["access"]),
                               expect_errors=True)
        assert (r.status_int >= 400 and r.status_int < 500) or r.json["status"] != "success"
        assert isinstance(r.json, dict)
    # doors: free session granted, unpaid paid atelier 402
    sessions = demo_app.get("/api/sessions/", params={"event": d["event"]["id"]}, headers=h(d["access"])).json
    free = next(s for s in sessions["results"] if not s["is_paid"])
    r = demo_app.post_json(f"/api/rooms/{free['room']}/verify_access/",
                           {"qr_data": qr, "session": free["id"], "session_id": free["id"]}, headers=h(d["access"]))
    assert r.json["status"] == "granted" and isinstance(r.json["participant"]["badge_id"], str)
    assert isinstance(r.json["access"]["room_name"], str)
    pending = next(s for s in sessions["results"] if s["is_paid"] and s["title"].startswith("Atelier Pitch"))
    r = demo_app.post_json(f"/api/rooms/{pending['room']}/verify_access/",
                           {"qr_data": qr, "session": pending["id"]}, headers=h(d["access"]), status=402)
    assert r.json["message"]
    paid = next(s for s in sessions["results"] if s["is_paid"] and s["title"].startswith("Atelier UX"))
    r = demo_app.post_json(f"/api/rooms/{paid['room']}/verify_access/",
                           {"qr_data": qr, "session_id": paid["id"]}, headers=h(d["access"]))
    assert r.json["status"] == "granted"
    demo_app.post_json(f"/api/rooms/{paid['room']}/verify_access/", {"qr_data": "garbage"},
                       headers=h(d["access"]), status=400)
    stats = demo_app.get("/api/my-room/statistics/", headers=h(d["access"]))
    assert stats.status_int == 200
    assert isinstance(stats.json["my_check_ins_today"], int)
    for scan in stats.json["recent_scans"]:
        assert isinstance(scan.get("scanned_at"), str)


@pytest.mark.plugin("annonces")
def test_annonces_as_the_app(demo_app):
    for email in ("participant@makeplus.demo", "controller@makeplus.demo", "exposant@makeplus.demo"):
        d = login(demo_app, email)
        r = demo_app.get("/api/annonces/", params={"_t": "1700000000000"}, headers=h(d["access"]))
        targets = {a["target"] for a in r.json["results"]}
        assert "all" in targets
        if email != "participant@makeplus.demo":
            assert "participants" not in targets
        for a in r.json["results"]:
            assert a["event"] == d["event"]["id"] and isinstance(a["created_by"], (int, type(None)))
    d = login(demo_app, "participant@makeplus.demo")
    a = demo_app.post_json("/api/annonces/", {"event": d["event"]["id"], "title": "T", "description": "D",
                                              "target": "all"}, headers=h(d["access"]))
    assert a.json["title"] == "T" and a.json["target"] == "all"
    u = demo_app.patch_json(f"/api/annonces/{a.json['id']}/", {"title": "T2", "description": "D",
                                                                "target": "participants"}, headers=h(d["access"]))
    assert u.json["title"] == "T2"
    demo_app.delete(f"/api/annonces/{a.json['id']}/", headers=h(d["access"]))


@pytest.mark.plugin("qa")
def test_questions_as_the_app(demo_app):
    d = login(demo_app, "participant@makeplus.demo")
    sessions = demo_app.get("/api/sessions/", params={"event_id": d["event"]["id"]}, headers=h(d["access"])).json
    live = next(s for s in sessions["results"] if s["status"] in ("en_cours", "pas_encore"))
    q = demo_app.post_json("/api/session-questions/", {"session": live["id"], "question_text": "Une question ?"},
                           headers=h(d["access"]))
    assert q.json["is_answered"] is False and str(q.json["session"]) == live["id"]
    listed = demo_app.get("/api/session-questions/", params={"session": live["id"]}, headers=h(d["access"])).json
    assert all(str(x["session"]) == live["id"] for x in listed["results"])
    for forbidden in ("participant", "participant_email", "participant_name", "asked_by", "user"):
        assert all(forbidden not in x for x in listed["results"])
    g = login(demo_app, "gestionnaire@makeplus.demo")
    toggled = demo_app.post(f"/api/session-questions/{q.json['id']}/answer/", headers=h(g["access"]))
    assert toggled.json["is_answered"] is True
    answered = demo_app.post_json(f"/api/session-questions/{q.json['id']}/answer/", {"answer_text": "Oui"},
                                  headers=h(g["access"]))
    assert answered.json["answer_text"] == "Oui"


@pytest.mark.plugin("youtube_live")
def test_sessions_carry_youtube_live_url(demo_app):
    d = login(demo_app, "participant@makeplus.demo")
    sessions = demo_app.get("/api/sessions/", params={"event_id": d["event"]["id"]}, headers=h(d["access"])).json
    assert all("youtube_live_url" in s for s in sessions["results"])
    assert any(s["youtube_live_url"] for s in sessions["results"])


@pytest.mark.plugin("eposters")
def test_eposter_gallery(demo_app):
    d = login(demo_app, "participant@makeplus.demo")
    r = demo_app.get(f"/api/eposter/{d['event']['id']}/gallery/", headers=h(d["access"])).json
    assert r["results"]
    for poster in r["results"]:
        assert isinstance(poster["id"], str) and parses_as_date(poster["submitted_at"])
        assert poster["pdf_url"] is None or poster["pdf_url"].startswith("http")


def test_participants_by_user_id_never_5xx(demo_app):
    d = login(demo_app, "exposant@makeplus.demo")
    r = demo_app.get("/api/participants/", params={"user_id": d["user"]["id"]}, headers=h(d["access"]),
                     expect_errors=True)
    assert r.status_int < 500
