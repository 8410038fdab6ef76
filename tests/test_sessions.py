"""Sessions REST: roles, scoping, scheduling rules, status actions, swap-times, hooks."""
import datetime as dt

import pytest

from makeplus_core import hookimpl

ROLES = ["gestionnaire_des_salles", "controlleur_des_badges", "participant", "exposant"]
GEST = "gestionnaire_des_salles"


class World:
    def __init__(self, f):
        self.f = f
        start = dt.datetime(2030, 5, 1, 8, 0, tzinfo=dt.UTC)
        self.event = f.event(start=start, days=3)
        self.room = f.room(self.event, name="Amphi A")
        self.room2 = f.room(self.event, name="Salle B")
        self.users = {role: f.member(self.event, role) for role in ROLES}
        self.other = f.event(start=start, days=3)
        self.other_room = f.room(self.other, name="Elsewhere")
        self.other_session = f.session(self.other, self.other_room, title="Foreign")

    def h(self, role=GEST):
        return self.f.auth(self.users[role], self.event)

    def at(self, hours, minutes=0):
        return self.event.start_date + dt.timedelta(hours=hours, minutes=minutes)


@pytest.fixture
def w(f):
    return World(f)


def iso(d):
    return d.strftime("%Y-%m-%dT%H:%M:%S.000")  # the app's naive datetimes with milliseconds


def app_payload(w, start, end, **kw):
    """Exactly what the Flutter app POSTs: unused fields as explicit nulls."""
    body = {"event": str(w.event.id), "room": str(w.room.id), "title": "Keynote", "description": None,
            "start_time": iso(start), "end_time": iso(end), "speaker_name": None, "speaker_title": None,
            "theme": None, "session_type": "conference", "is_paid": False, "price": "0.0",
            "youtube_live_url": None}
    body.update(kw)
    return body


# --------------------------------------------------------------------------- reads


@pytest.mark.parametrize("role", ROLES)
def test_every_member_reads_sessions(app, w, role):
    s = w.f.session(w.event, w.room, title="Talk", start=w.at(2))
    r = app.get("/api/sessions/", headers=w.h(role))
    assert r.json["count"] == 1
    item = r.json["results"][0]
    assert item["id"] == str(s.id)
    assert item["room"] == str(w.room.id) and item["room_id"] == str(w.room.id)
    assert item["room_name"] == "Amphi A"
    assert item["is_paid"] is False and item["price"] == "0.00" and item["is_live"] is False
    assert item["start_time"].endswith("Z")
    assert app.get(f"/api/sessions/{s.id}/", headers=w.h(role)).json["title"] == "Talk"
    # Another event's session does not exist for them.
    app.get(f"/api/sessions/{w.other_session.id}/", headers=w.h(role), status=404)
    app.get(f"/api/sessions/?event={w.other.id}", headers=w.h(role), status=404)


def test_pages_count_the_whole_list(app, w):
    for i in range(5):
        w.f.session(w.event, w.room, title=f"T{i}", start=w.at(1 + i))
    h = w.h("participant")

    def page(**params):
        return app.get("/api/sessions/", params, headers=h).json

    first = page(page_size=2)
    assert first["count"] == 5 and [s["title"] for s in first["results"]] == ["T0", "T1"]
    assert first["next"].endswith("page_size=2&page=2") and first["previous"] is None
    last = page(page_size=2, page=3)
    assert last["count"] == 5 and [s["title"] for s in last["results"]] == ["T4"] and last["next"] is None
    past = page(page_size=2, page=9)  # an empty page past the end still counts the list
    assert past["count"] == 5 and past["results"] == [] and past["previous"].endswith("page=8")
    assert page(search="nothing like it", page=2)["count"] == 0


def test_no_token_is_401(app, w):
    app.get("/api/sessions/", status=401)
    app.post_json("/api/sessions/", {}, status=401)


def test_filters_and_ordering(app, w):
    w.f.session(w.event, w.room, title="B conf", start=w.at(1), theme="IA")
    w.f.session(w.event, w.room2, title="A atelier", start=w.at(3), session_type="atelier", is_paid=True,
                price="5000", speaker_name="Dr Benali")
    w.f.session(w.event, w.room, title="C live", start=w.at(5), status="en_cours")
    h = w.h("participant")

    def titles(q):
        return [s["title"] for s in app.get(f"/api/sessions/{q}", headers=h).json["results"]]

    assert titles("") == ["B conf", "A atelier", "C live"]
    assert titles("?ordering=-start_time") == ["C live", "A atelier", "B conf"]
    assert titles("?ordering=title") == ["A atelier", "B conf", "C live"]
    assert titles(f"?event={w.event.id}&room={w.room.id}") == ["B conf", "C live"]
    assert titles(f"?event_id={w.event.id}&room_id={w.room2.id}") == ["A atelier"]
    assert titles("?status=en_cours") == ["C live"]
    assert titles("?session_type=atelier") == ["A atelier"]
    assert titles("?is_paid=true") == ["A atelier"]
    assert titles("?is_paid=false") == ["B conf", "C live"]
    assert titles("?search=benali") == ["A atelier"]
    assert titles("?search=ia") == ["B conf"]
    assert titles(f"?room={w.room.id}&status=en_cours&search=LIVE&is_paid=false&ordering=-title") == ["C live"]
    assert titles(f"?room={w.room.id}&search=live") == ["C live"]  # the same statement, another text
    paid = app.get("/api/sessions/?is_paid=true", headers=h).json["results"][0]
    assert paid["price"] == "5000.00" and paid["is_paid"] is True
    app.get("/api/sessions/?status=nope", headers=h, status=400)
    app.get("/api/sessions/?ordering=password", headers=h, status=400)
    r = app.get("/api/sessions/?room=not-a-uuid", headers=h, status=400)
    assert r.json["field"] == "room"


def test_list_query_count_is_fixed(app, w, count_queries):
    h = w.h("participant")
    for i in range(5):
        w.f.session(w.event, w.room if i % 2 else w.room2, start=w.at(i))
    with count_queries() as q5:
        assert app.get("/api/sessions/", headers=h).json["count"] == 5
    for i in range(95):
        w.f.session(w.event, w.room if i % 2 else w.room2, start=w.at(6, i * 30), hours=0.25)
    with count_queries() as q100:
        assert len(app.get("/api/sessions/", headers=h).json["results"]) == 100
    assert q5.count == q100.count


# --------------------------------------------------------------------------- writes by role


@pytest.mark.parametrize("role", ROLES)
def test_write_permissions(app, w, role):
    s = w.f.session(w.event, w.room, title="Talk", start=w.at(2))
    h = w.h(role)
    body = app_payload(w, w.at(4), w.at(5))
    if role == GEST:
        app.post_json("/api/sessions/", body, headers=h, status=201)
        app.patch_json(f"/api/sessions/{s.id}/", {"title": "New"}, headers=h, status=200)
        app.post(f"/api/sessions/{s.id}/start/", headers=h, status=200)
        app.delete(f"/api/sessions/{s.id}/", headers=h, status=204)
    else:
        app.post_json("/api/sessions/", body, headers=h, status=403)
        app.patch_json(f"/api/sessions/{s.id}/", {"title": "New"}, headers=h, status=403)
        app.put_json(f"/api/sessions/{s.id}/", body, headers=h, status=403)
        for action in ("start", "mark_live", "end", "mark_completed", "cancel"):
            app.post(f"/api/sessions/{s.id}/{action}/", headers=h, status=403)
        app.delete(f"/api/sessions/{s.id}/", headers=h, status=403)
        app.post_json("/api/sessions/swap-times/", {"session_1_id": str(s.id), "session_2_id": str(s.id)},
                      headers=h, status=403)
    # Another event's sessions: 404 for everyone.
    o = w.other_session.id
    app.patch_json(f"/api/sessions/{o}/", {"title": "x"}, headers=h, status=404)
    app.delete(f"/api/sessions/{o}/", headers=h, status=404)
    app.post(f"/api/sessions/{o}/start/", headers=h, status=404)
    app.post_json("/api/sessions/", {**body, "event": str(w.other.id), "room": str(w.other_room.id)},
                  headers=h, status=404)


def test_admin_can_write_any_event(app, w):
    admin = w.f.user(is_admin=True)
    h = w.f.auth(admin, w.other)
    r = app.post_json("/api/sessions/", {**app_payload(w, w.at(4), w.at(5)), "event": str(w.event.id)},
                      headers=h, status=201)
    assert r.json["event"] == str(w.event.id)
    app.post(f"/api/sessions/{r.json['id']}/end/", headers=h, status=200)


# --------------------------------------------------------------------------- the app's create


def test_app_style_create_with_nulls(app, w):
    r = app.post_json("/api/sessions/", app_payload(w, w.at(2), w.at(3, 30)), headers=w.h(), status=201)
    s = r.json
    assert s["title"] == "Keynote" and s["description"] == "" and s["speaker_name"] == ""
    assert s["room"] == str(w.room.id) and isinstance(s["room"], str)
    assert s["event"] == str(w.event.id)
    assert s["start_time"] == iso(w.at(2))[:19] + "Z"
    assert s["end_time"] == iso(w.at(3, 30))[:19] + "Z"
    assert s["is_paid"] is False and s["price"] == "0.00"
    assert s["status"] == "pas_encore" and s["session_type"] == "conference"
    got = app.get(f"/api/sessions/{s['id']}/", headers=w.h("participant")).json
    assert got["room_name"] == "Amphi A"


def test_room_id_alias_and_defaults_to_token_event(app, w):
    body = {"room_id": str(w.room2.id), "title": "No event key", "start_time": iso(w.at(1)),
            "end_time": iso(w.at(2)), "youtube_live_url": "https://youtube.com/live/dQw4w9WgXcQ", "unknown": [1]}
    r = app.post_json("/api/sessions/", body, headers=w.h(), status=201)
    assert r.json["room"] == str(w.room2.id) and r.json["event"] == str(w.event.id)


@pytest.mark.parametrize("body, field, status", [
    ({"title": ""}, "title", 400),
    ({"start_time": "yesterday"}, "start_time", 400),
    ({"session_type": "party"}, "session_type", 400),
    ({"status": "done"}, "status", 400),
    ({"price": "abc"}, "price", 400),
    ({"price": "-5"}, "price", 400),
    ({"capacity": -1}, "capacity", 400),
    ({"is_paid": True, "price": "0.0"}, "price", 400),
    ({"is_paid": True, "price": None}, "price", 400),
])
def test_create_validation(app, w, body, field, status):
    r = app.post_json("/api/sessions/", {**app_payload(w, w.at(2), w.at(3)), **body}, headers=w.h(),
                      status=status)
    assert r.json["field"] == field


def test_time_rules(app, w):
    h = w.h()
    r = app.post_json("/api/sessions/", app_payload(w, w.at(3), w.at(2)), headers=h, status=400)
    assert r.json["field"] == "end_time"
    r = app.post_json("/api/sessions/", app_payload(w, w.at(3), w.at(3)), headers=h, status=400)
    assert r.json["field"] == "end_time"
    # Outside the event's dates.
    r = app.post_json("/api/sessions/", app_payload(w, w.at(-5), w.at(-4)), headers=h, status=400)
    assert r.json["field"] == "start_time"
    r = app.post_json("/api/sessions/", app_payload(w, w.at(71), w.at(73)), headers=h, status=400)
    assert r.json["field"] == "end_time"
    # A room of another event, or an unknown room.
    r = app.post_json("/api/sessions/", app_payload(w, w.at(2), w.at(3), room=str(w.other_room.id)),
                      headers=h, status=404)
    assert r.json["field"] == "room"
    r = app.post_json("/api/sessions/", app_payload(w, w.at(2), w.at(3), room="garbage"), headers=h, status=404)
    assert r.json["field"] == "room"
    r = app.post_json("/api/sessions/", {k: v for k, v in app_payload(w, w.at(2), w.at(3)).items() if k != "room"},
                      headers=h, status=400)
    assert r.json["field"] == "room"


def test_paid_atelier(app, w):
    r = app.post_json("/api/sessions/", app_payload(w, w.at(2), w.at(3), session_type="atelier", is_paid=True,
                                                    price="5000.00", capacity=20), headers=w.h(), status=201)
    assert r.json["is_paid"] is True and r.json["price"] == "5000.00" and r.json["capacity"] == 20
    r = app.post_json("/api/sessions/", app_payload(w, w.at(4), w.at(5), is_paid=True, price=1500),
                      headers=w.h(), status=201)
    assert r.json["price"] == "1500.00"
    sid = r.json["id"]
    r = app.patch_json(f"/api/sessions/{sid}/", {"price": "0"}, headers=w.h(), status=400)
    assert r.json["field"] == "price"
    r = app.patch_json(f"/api/sessions/{sid}/", {"is_paid": False}, headers=w.h(), status=200)
    assert r.json["is_paid"] is False and r.json["price"] == "1500.00"


# --------------------------------------------------------------------------- overlaps


def test_overlap_is_409_and_adjacent_is_fine(app, w):
    h = w.h()
    first = app.post_json("/api/sessions/", app_payload(w, w.at(2), w.at(3), title="First"), headers=h,
                          status=201).json
    r = app.post_json("/api/sessions/", app_payload(w, w.at(2, 30), w.at(3, 30), title="Clash"), headers=h,
                      status=409)
    assert "First" in r.json["message"] and first["id"] in r.json["message"]
    assert r.json["conflicting_session"]["id"] == first["id"]
    # Inside, around: also clashes.
    app.post_json("/api/sessions/", app_payload(w, w.at(2, 15), w.at(2, 45)), headers=h, status=409)
    app.post_json("/api/sessions/", app_payload(w, w.at(1), w.at(4)), headers=h, status=409)
    # Adjacent before and after: accepted.
    app.post_json("/api/sessions/", app_payload(w, w.at(1), w.at(2), title="Before"), headers=h, status=201)
    app.post_json("/api/sessions/", app_payload(w, w.at(3), w.at(4), title="After"), headers=h, status=201)
    # Same time in another room: accepted.
    app.post_json("/api/sessions/", app_payload(w, w.at(2), w.at(3), room=str(w.room2.id)), headers=h,
                  status=201)
    assert app.get(f"/api/sessions/?room={w.room.id}", headers=h).json["count"] == 3


def test_cancelled_sessions_do_not_block(app, w):
    w.f.session(w.event, w.room, title="Old", start=w.at(2), status="cancelled")
    app.post_json("/api/sessions/", app_payload(w, w.at(2), w.at(3)), headers=w.h(), status=201)


def test_update_overlap_and_move(app, w):
    h = w.h()
    a = w.f.session(w.event, w.room, title="A", start=w.at(2))
    b = w.f.session(w.event, w.room, title="B", start=w.at(4))
    # Changing its own times within its slot never clashes with itself.
    app.patch_json(f"/api/sessions/{a.id}/", {"end_time": iso(w.at(3, 30))}, headers=h, status=200)
    r = app.patch_json(f"/api/sessions/{b.id}/", {"start_time": iso(w.at(3))}, headers=h, status=409)
    assert "'A'" in r.json["message"]
    r = app.patch_json(f"/api/sessions/{b.id}/", {"start_time": iso(w.at(3)), "room": str(w.room2.id)},
                       headers=h, status=200)
    assert r.json["room"] == str(w.room2.id) and r.json["room_name"] == "Salle B"
    r = app.patch_json(f"/api/sessions/{b.id}/", {"room": str(w.other_room.id)}, headers=h, status=404)
    assert r.json["field"] == "room"
    r = app.patch_json(f"/api/sessions/{b.id}/", {"end_time": iso(w.at(1))}, headers=h, status=400)
    assert r.json["field"] == "end_time"


def test_put_replaces(app, w):
    s = w.f.session(w.event, w.room, title="Old", start=w.at(2), speaker_name="X")
    body = app_payload(w, w.at(6), w.at(7), title="Replaced")
    r = app.put_json(f"/api/sessions/{s.id}/", body, headers=w.h(), status=200)
    assert r.json["title"] == "Replaced" and r.json["speaker_name"] == ""
    r = app.put_json(f"/api/sessions/{s.id}/", {"title": "only"}, headers=w.h(), status=400)


# --------------------------------------------------------------------------- actions


def test_status_actions(app, w):
    s = w.f.session(w.event, w.room, start=w.at(2))
    h = w.h()
    for action, status, live in (("start", "en_cours", True), ("end", "termine", False),
                                 ("cancel", "pas_encore", False), ("mark_live", "en_cours", True),
                                 ("mark_completed", "termine", False)):
        r = app.post(f"/api/sessions/{s.id}/{action}/", headers=h, status=200)
        assert r.json["id"] == str(s.id) and r.json["status"] == status and r.json["is_live"] is live
        assert r.json["message"] and r.json["room"] == str(w.room.id)
        assert app.get(f"/api/sessions/{s.id}/", headers=h).json["status"] == status


def test_delete(app, w):
    s = w.f.session(w.event, w.room, start=w.at(2))
    app.delete(f"/api/sessions/{s.id}/", headers=w.h(), status=204)
    app.get(f"/api/sessions/{s.id}/", headers=w.h(), status=404)


# --------------------------------------------------------------------------- swap


def test_swap_times(app, w):
    a = w.f.session(w.event, w.room, title="A", start=w.at(2), hours=1)
    b = w.f.session(w.event, w.room2, title="B", start=w.at(5), hours=2)
    r = app.post_json("/api/sessions/swap-times/", {"session_1_id": str(a.id), "session_2_id": str(b.id)},
                      headers=w.h(), status=200)
    assert r.json["success"] is True and r.json["message"]
    got = {s["id"]: s for s in r.json["sessions"]}
    assert got[str(a.id)]["start_time"] == iso(w.at(5))[:19] + "Z"
    assert got[str(a.id)]["end_time"] == iso(w.at(7))[:19] + "Z"
    assert got[str(a.id)]["room"] == str(w.room.id)
    assert got[str(b.id)]["start_time"] == iso(w.at(2))[:19] + "Z"
    assert got[str(b.id)]["room"] == str(w.room2.id)
    again = app.get(f"/api/sessions/{a.id}/", headers=w.h()).json
    assert again["start_time"] == iso(w.at(5))[:19] + "Z"


def test_swap_times_errors(app, w):
    h = w.h()
    a = w.f.session(w.event, w.room, title="A", start=w.at(2), hours=1)
    b = w.f.session(w.event, w.room2, title="B", start=w.at(5), hours=2)
    w.f.session(w.event, w.room, title="Blocker", start=w.at(6), hours=1)
    # A would move to 5:00-7:00 in room A, where Blocker is at 6:00.
    r = app.post_json("/api/sessions/swap-times/", {"session_1_id": str(a.id), "session_2_id": str(b.id)},
                      headers=h, status=409)
    assert "Blocker" in r.json["message"]
    assert app.get(f"/api/sessions/{a.id}/", headers=h).json["start_time"] == iso(w.at(2))[:19] + "Z"
    app.post_json("/api/sessions/swap-times/", {"session_1_id": str(a.id)}, headers=h, status=400)
    app.post_json("/api/sessions/swap-times/", {"session_1_id": str(a.id), "session_2_id": str(a.id)},
                  headers=h, status=400)
    r = app.post_json("/api/sessions/swap-times/",
                      {"session_1_id": str(a.id), "session_2_id": str(w.other_session.id)}, headers=h, status=404)
    assert r.json["message"]
    app.post_json("/api/sessions/swap-times/", {"session_1_id": "nope", "session_2_id": str(a.id)},
                  headers=h, status=404)


# --------------------------------------------------------------------------- hooks


class Recorder:
    def __init__(self):
        self.calls = []

    @hookimpl
    def makeplus_session_changed(self, dbsession, session, action, changes, request):
        from makeplus_core.sessions.models import Session

        # Called after the flush: the row is visible in the same transaction.
        visible = dbsession.get(Session, session.id) is not None
        self.calls.append((action, session.title, dict(changes), visible,
                           request.json_body.get("youtube_live_url") if request and request.body else None))

    @hookimpl
    def makeplus_extend_json(self, kind, objects, payloads, request):
        if kind == "session":
            for p in payloads:
                p["extended"] = True


@pytest.fixture
def recorder(app):
    rec = Recorder()
    pm = app.app.registry.makeplus.plugins
    pm.register(rec, name="test-recorder")
    yield rec
    pm.unregister(name="test-recorder")


def test_hooks(app, w, recorder):
    h = w.h()
    body = app_payload(w, w.at(2), w.at(3), youtube_live_url="https://youtube.com/live/dQw4w9WgXcQ")
    r = app.post_json("/api/sessions/", body, headers=h, status=201)
    assert r.json["extended"] is True
    sid = r.json["id"]
    assert app.get("/api/sessions/", headers=h).json["results"][0]["extended"] is True
    app.patch_json(f"/api/sessions/{sid}/", {"title": "Renamed"}, headers=h)
    app.post(f"/api/sessions/{sid}/start/", headers=h)
    app.delete(f"/api/sessions/{sid}/", headers=h)
    actions = [c[0] for c in recorder.calls]
    assert actions == ["created", "updated", "status", "deleted"]
    assert recorder.calls[0][3] is True and recorder.calls[0][4] == "https://youtube.com/live/dQw4w9WgXcQ"
    assert recorder.calls[1][2] == {"title": ("Keynote", "Renamed")}
    assert recorder.calls[2][2] == {"status": ("pas_encore", "en_cours")}
    # A rejected write calls nothing.
    n = len(recorder.calls)
    app.post_json("/api/sessions/", app_payload(w, w.at(3), w.at(2)), headers=h, status=400)
    assert len(recorder.calls) == n


def test_concurrent_overlapping_creates_cannot_both_pass(app, w):
    """Two requests booking the same slot at once: the room row lock lets one win."""
    import threading

    import webtest

    h = w.h()
    results = []
    barrier = threading.Barrier(4)

    def book(i):
        client = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        barrier.wait()
        r = client.post_json("/api/sessions/", app_payload(w, w.at(2), w.at(3), title=f"T{i}"), headers=h,
                             expect_errors=True)
        results.append(r.status_int)

    threads = [threading.Thread(target=book, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409, 409, 409]
    assert app.get("/api/sessions/", headers=h).json["count"] == 1


def test_openapi_documents_the_core_event_domain(app):
    paths = app.get("/api/openapi.json").json["paths"]
    for path in ("/api/events/", "/api/rooms/", "/api/sessions/", "/api/sessions/swap-times/"):
        assert path in paths
    body = paths["/api/sessions/"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert body["price"]["type"] == "number" and body["capacity"]["type"] == "integer"


def test_one_session_serializer_an_unset_price_reads_zero(app, db, w):
    """Issue 15: the agenda had its own session serializer, which sent ``"price": null`` for a session
    whose price was unset where /api/sessions/ sent ``"0.00"``. The client contract types ``price`` as a
    string or number when present; the one serializer left sends ``"0.00"``."""
    import types

    from makeplus_core.sessions.models import Session
    from makeplus_core.sessions.serializers import serialize_sessions

    unsaved = Session(event_id=w.event.id, room_id=w.room.id, title="No price yet", start_time=w.at(1),
                      end_time=w.at(2), status="pas_encore", session_type="conference", is_paid=False, price=None)
    request = types.SimpleNamespace(dbsession=db, plugins=app.app.registry.makeplus.plugins,
                                    registry=app.app.registry, application_url="http://localhost")
    payload = serialize_sessions(request, [unsaved])[0]
    assert payload["price"] == "0.00" and payload["is_paid"] is False and payload["room_name"] == "Amphi A"


def test_agenda_and_recommendations_carry_the_session_json(app, f, w):
    """The agenda answers a session exactly as /api/sessions/{id}/ does, plus its own keys."""
    s = w.f.session(w.event, w.room, title="Talk", start=w.at(2))
    h = w.h("participant")
    one = app.get(f"/api/sessions/{s.id}/", headers=h).json
    item = app.post_json("/api/my-agenda/", {"session": str(s.id)}, headers=h, status=201).json
    assert {k: item[k] for k in one} == one
    assert item["price"] == "0.00" and item["has_conflict"] is False
