"""Events REST: listing across my events, roles, uploads, validation, statistics."""
import datetime as dt
import pathlib

import pytest

from makeplus_core import hookimpl

ROLES = ["gestionnaire_des_salles", "controlleur_des_badges", "participant", "exposant"]
GEST = "gestionnaire_des_salles"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def w(f):
    class W:
        pass

    w = W()
    w.f = f
    w.event = f.event(name="Tech Summit")
    w.users = {role: f.member(w.event, role) for role in ROLES}
    w.other = f.event(name="Other")
    w.h = lambda role=GEST: f.auth(w.users[role], w.event)
    return w


def event_body(**kw):
    body = {"name": "New Event", "description": "d", "location": "Oran", "start_date": "2030-12-01T09:00:00.000",
            "end_date": "2030-12-03T18:00:00Z", "is_active": True}
    body.update(kw)
    return body


@pytest.mark.parametrize("role", ROLES)
def test_members_read_their_events(app, w, role):
    h = w.h(role)
    r = app.get("/api/events/", headers=h)
    assert [e["name"] for e in r.json["results"]] == ["Tech Summit"]
    e = r.json["results"][0]
    assert e["id"] == str(w.event.id) and e["role"] == role
    for key in ("description", "location", "start_date", "end_date", "status", "is_active", "timezone", "themes",
                "settings", "metadata", "organizer_name", "organizer_email", "organizer_phone", "president",
                "created_by", "logo", "banner", "logo_url", "banner_url", "primary_color", "programme_file",
                "guide_file", "created_at", "updated_at", "total_rooms", "total_sessions", "total_participants"):
        assert key in e
    d = app.get(f"/api/events/{w.event.id}/", headers=h).json
    assert d["name"] == "Tech Summit" and d["role"] == role
    app.get(f"/api/events/{w.other.id}/", headers=h, status=404)
    app.get(f"/api/events/{w.other.id}/statistics/", headers=h, status=404)
    assert app.get(f"/api/events/{w.event.id}/statistics/", headers=h).json["total_participants"] == 2


def test_list_spans_all_my_events_not_only_the_token_one(app, w):
    user = w.users["participant"]
    w.f.assign(user, w.other, "exposant")
    hidden = w.f.event(name="Not mine")
    r = app.get("/api/events/", headers=w.h("participant"))
    assert {e["name"]: e["role"] for e in r.json["results"]} == {"Tech Summit": "participant", "Other": "exposant"}
    # A member of another event reads it even with a token for this one.
    assert app.get(f"/api/events/{w.other.id}/", headers=w.h("participant")).json["role"] == "exposant"
    app.get(f"/api/events/{hidden.id}/", headers=w.h("participant"), status=404)
    admin = w.f.user(is_admin=True)
    r = app.get("/api/events/", headers=w.f.auth(admin))
    assert {e["name"] for e in r.json["results"]} == {"Tech Summit", "Other", "Not mine"}
    assert app.get(f"/api/events/{hidden.id}/", headers=w.f.auth(admin)).json["role"] == "admin"


def test_no_token_is_401(app, w):
    app.get("/api/events/", status=401)


@pytest.mark.parametrize("role", ROLES)
def test_writes_by_role(app, w, role):
    h = w.h(role)
    if role == GEST:
        r = app.post_json("/api/events/", event_body(), headers=h, status=201)
        new = r.json
        assert new["role"] == GEST and new["created_by"] == w.users[GEST].id
        assert new["start_date"] == "2030-12-01T09:00:00Z"
        # The creator manages it: it appears in their list and they can change it.
        assert "New Event" in [e["name"] for e in app.get("/api/events/", headers=h).json["results"]]
        assert app.patch_json(f"/api/events/{new['id']}/", {"name": "Renamed"}, headers=h).json["name"] == "Renamed"
        app.patch_json(f"/api/events/{w.event.id}/", {"location": "Constantine"}, headers=h, status=200)
        app.delete(f"/api/events/{new['id']}/", headers=h, status=204)
        app.get(f"/api/events/{new['id']}/", headers=h, status=404)
    else:
        app.post_json("/api/events/", event_body(), headers=h, status=403)
        app.patch_json(f"/api/events/{w.event.id}/", {"name": "x"}, headers=h, status=403)
        app.put_json(f"/api/events/{w.event.id}/", event_body(), headers=h, status=403)
        app.delete(f"/api/events/{w.event.id}/", headers=h, status=403)
        app.post(f"/api/events/{w.event.id}/upload_programme/", upload_files=[("file", "p.pdf", PDF)],
                 headers=h, status=403)
    app.patch_json(f"/api/events/{w.other.id}/", {"name": "x"}, headers=h, status=404)
    app.delete(f"/api/events/{w.other.id}/", headers=h, status=404)
    app.post(f"/api/events/{w.other.id}/upload_guide/", upload_files=[("file", "p.pdf", PDF)], headers=h,
             status=404)


def test_admin_creates_and_deletes_event_with_content(app, w):
    admin = w.f.user(is_admin=True)
    h = w.f.auth(admin)
    r = app.post_json("/api/events/", event_body(president=w.users[GEST].id, themes=["IA", "Cloud"],
                                                 metadata={"k": 1}, settings={"s": True},
                                                 primary_color="#1A2b3C", status="upcoming",
                                                 organizer_email="org@example.org"), headers=h, status=201)
    e = r.json
    assert e["president"] == w.users[GEST].id and e["themes"] == ["IA", "Cloud"] and e["metadata"] == {"k": 1}
    assert e["settings"] == {"s": True} and e["primary_color"] == "#1A2b3C" and e["role"] == "admin"
    # Deleting an event with rooms and sessions removes them all.
    room = w.f.room(w.event)
    w.f.session(w.event, room)
    app.delete(f"/api/events/{w.event.id}/", headers=h, status=204)
    app.get(f"/api/events/{w.event.id}/", headers=h, status=404)


@pytest.mark.parametrize("body, field", [
    (event_body(end_date="2030-11-30T09:00:00Z"), "end_date"),
    (event_body(end_date="2030-12-01T09:00:00Z"), "end_date"),
    (event_body(status="postponed"), "status"),
    (event_body(primary_color="red"), "primary_color"),
    (event_body(primary_color="#12345"), "primary_color"),
    (event_body(name=""), "name"),
    (event_body(start_date="soon"), "start_date"),
    (event_body(themes="not json"), "themes"),
    (event_body(metadata=[1]), "metadata"),
    (event_body(president=999999), "president"),
    (event_body(organizer_email="nope"), "organizer_email"),
])
def test_validation(app, w, body, field):
    assert app.post_json("/api/events/", body, headers=w.h(), status=400).json["field"] == field


def test_patch_validation_uses_stored_dates(app, w):
    before = (w.event.start_date - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000")
    r = app.patch_json(f"/api/events/{w.event.id}/", {"end_date": before}, headers=w.h(), status=400)
    assert r.json["field"] == "end_date"
    r = app.patch_json(f"/api/events/{w.event.id}/", {"status": "completed", "description": None}, headers=w.h())
    assert r.json["status"] == "completed" and r.json["description"] == ""


# --------------------------------------------------------------------------- uploads


def test_multipart_create_with_files(app, w):
    r = app.post("/api/events/", event_body(themes='["a"]', is_active="true"), headers=w.h(), status=201,
                 upload_files=[("programme_file", "prog.pdf", PDF), ("guide_file", "guide.pdf", PDF),
                               ("logo", "logo.png", PNG), ("banner", "banner.jpg", JPEG)])
    e = r.json
    assert e["themes"] == ["a"]
    for key, suffix in (("programme_file", ".pdf"), ("guide_file", ".pdf"), ("logo", ".png"),
                        ("banner", ".jpg")):
        assert e[key].startswith("http://localhost/media/") and e[key].endswith(suffix)
        assert e[key].rsplit("/", 1)[1].split(".")[0] not in ("prog", "guide", "logo", "banner")  # generated
    assert e["logo_url"] == e["logo"] and e["banner_url"] == e["banner"]
    # The file is served back.
    assert app.get(e["programme_file"].replace("http://localhost", "")).body == PDF


def test_multipart_rejects_fake_files(app, w):
    r = app.post("/api/events/", event_body(), headers=w.h(), status=400,
                 upload_files=[("programme_file", "prog.pdf", PNG)])
    assert r.json["field"] == "programme_file"
    r = app.post("/api/events/", event_body(), headers=w.h(), status=400,
                 upload_files=[("logo", "logo.png", PDF)])
    assert r.json["field"] == "logo"
    assert [e["name"] for e in app.get("/api/events/", headers=w.h()).json["results"]] == ["Tech Summit"]


@pytest.mark.parametrize("action, field", [("upload_programme", "programme_file"), ("upload_guide", "guide_file")])
def test_upload_actions(app, w, action, field):
    url = f"/api/events/{w.event.id}/{action}/"
    r = app.post(url, upload_files=[("file", "x.pdf", PDF)], headers=w.h(), status=200)
    assert r.json[field].startswith("http://localhost/media/") and r.json[field].endswith(".pdf")
    r = app.post(url, upload_files=[(field, "y.pdf", PDF)], headers=w.h(), status=200)
    assert r.json[field].endswith(".pdf")
    assert app.get(f"/api/events/{w.event.id}/", headers=w.h()).json[field] == r.json[field]
    # A PNG renamed .pdf is refused by content.
    r = app.post(url, upload_files=[("file", "fake.pdf", PNG)], headers=w.h(), status=400)
    assert "PDF" in r.json["message"]
    # No file at all.
    app.post(url, headers=w.h(), status=400)
    app.post_json(url, {"file": "x"}, headers=w.h(), status=400)


def test_upload_over_default_10mb_is_413(app, w):
    big = PDF + b"0" * (11 * 1024 * 1024)
    r = app.post(f"/api/events/{w.event.id}/upload_programme/", upload_files=[("file", "big.pdf", big)],
                 headers=w.h(), status=413)
    assert r.json["error"] == "too_large"
    app.post("/api/events/", event_body(), upload_files=[("guide_file", "big.pdf", big)], headers=w.h(),
             status=413)
    assert app.get(f"/api/events/{w.event.id}/", headers=w.h()).json["programme_file"] is None


def test_upload_limit_is_a_setting(make_app, w):
    small = make_app(**{"makeplus.max_upload_bytes": "1000"})
    h = w.h()
    small.post(f"/api/events/{w.event.id}/upload_guide/", upload_files=[("file", "a.pdf", PDF + b"0" * 2000)],
               headers=h, status=413)
    small.post(f"/api/events/{w.event.id}/upload_guide/", upload_files=[("file", "a.pdf", PDF)], headers=h,
               status=200)


def test_stored_under_storage_root(app, w, settings):
    r = app.post(f"/api/events/{w.event.id}/upload_guide/", upload_files=[("file", "a.pdf", PDF)], headers=w.h())
    rel = r.json["guide_file"].split("/media/", 1)[1]
    assert (pathlib.Path(settings["makeplus.storage_root"]) / rel).read_bytes() == PDF


# --------------------------------------------------------------------------- statistics and totals


class StatsPlugin:
    @hookimpl
    def makeplus_event_statistics(self, dbsession, event_id):
        return {"testplugin": {"event": str(event_id), "figure": 7}}


def test_statistics(app, w):
    pm = app.app.registry.makeplus.plugins
    room = w.f.room(w.event)
    room2 = w.f.room(w.event, is_active=False)
    start = w.event.start_date
    w.f.session(w.event, room, start=start + dt.timedelta(hours=1), status="en_cours")
    w.f.session(w.event, room, start=start + dt.timedelta(hours=2), status="termine")
    w.f.session(w.event, room2, start=start + dt.timedelta(hours=2), status="termine", session_type="atelier",
                is_paid=True, price="5000")
    w.f.session(w.event, room2, start=start + dt.timedelta(hours=4))
    w.f.session(w.other, w.f.room(w.other), start=w.other.start_date + dt.timedelta(hours=1))
    pm.register(StatsPlugin(), name="test-stats")
    try:
        s = app.get(f"/api/events/{w.event.id}/statistics/", headers=w.h("exposant")).json
    finally:
        pm.unregister(name="test-stats")
    assert s == {**s, "total_participants": 2, "total_sessions": 4, "live_sessions": 1, "completed_sessions": 2,
                 "upcoming_sessions": 1, "total_rooms": 2, "active_rooms": 1, "paid_ateliers": 1,
                 "checked_in_participants": 0, "testplugin": {"event": str(w.event.id), "figure": 7}}
    e = app.get(f"/api/events/{w.event.id}/", headers=w.h()).json
    assert (e["total_rooms"], e["total_sessions"], e["total_participants"]) == (2, 4, 2)


def test_list_query_count_is_fixed(app, w, count_queries):
    admin = w.f.user(is_admin=True)
    h = w.f.auth(admin)
    for _ in range(3):
        w.f.event()
    with count_queries() as q5:
        assert app.get("/api/events/", headers=h).json["count"] == 5
    for _ in range(95):
        ev = w.f.event()
        w.f.room(ev)
    with count_queries() as q100:
        assert len(app.get("/api/events/", headers=h).json["results"]) == 100
    assert q5.count == q100.count
