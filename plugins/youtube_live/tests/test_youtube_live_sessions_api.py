"""End to end through the core's /api/sessions/ (list, detail, create, update).

The core session API comes from another branch: these tests skip themselves only
when the route is missing at run time (a 404 from the router).
"""
import datetime as dt

import pytest
import sqlalchemy as sa

from makeplus_youtube_live.models import LiveStream

VID = "dQw4w9WgXcQ"
WATCH = f"https://www.youtube.com/watch?v={VID}"
EMBED = f"https://www.youtube.com/embed/{VID}"
KEYS = ("youtube_live_url", "youtube_video_id", "youtube_embed_url")


def need_sessions_api(app, headers):
    r = app.get("/api/sessions/", headers=headers, expect_errors=True)
    if r.status_int == 404:
        pytest.skip("needs /api/sessions/")
    assert r.status_int == 200, r


@pytest.fixture
def w(f):
    class W:
        pass

    w = W()
    w.f = f
    w.event = f.event()
    w.room = f.room(w.event)
    w.live = f.session(w.event, w.room, title="Direct", status="en_cours")
    w.plain = f.session(w.event, w.room, title="Sans flux")
    w.gest = f.member(w.event, "gestionnaire_des_salles")
    w.part = f.member(w.event, "participant")
    w.h = lambda user=None: f.auth(user or w.gest, w.event)
    return w


def stored(f):
    rows = dict(f.db.execute(sa.select(LiveStream.session_id, LiveStream.video_id)).all())
    f.db.commit()
    return rows


def test_list_and_detail_carry_the_stream(app, w):
    need_sessions_api(app, w.h())
    app.put_json(f"/api/sessions/{w.live.id}/live/", {"youtube_live_url": f"https://youtu.be/{VID}"},
                 headers=w.h())
    results = {s["id"]: s for s in app.get("/api/sessions/", headers=w.h(w.part)).json["results"]}
    assert (results[str(w.live.id)]["youtube_live_url"], results[str(w.live.id)]["youtube_video_id"],
            results[str(w.live.id)]["youtube_embed_url"]) == (WATCH, VID, EMBED)
    for key in KEYS:
        assert key in results[str(w.plain.id)] and results[str(w.plain.id)][key] is None
    detail = app.get(f"/api/sessions/{w.live.id}/", headers=w.h(w.part)).json
    assert detail["youtube_live_url"] == WATCH and detail["youtube_embed_url"] == EMBED
    detail = app.get(f"/api/sessions/{w.plain.id}/", headers=w.h(w.part)).json
    assert "youtube_live_url" in detail and detail["youtube_live_url"] is None


def test_list_query_count_does_not_grow(app, w, f, count_queries):
    need_sessions_api(app, w.h())
    h = w.h(w.part)
    app.get("/api/sessions/", headers=h)
    with count_queries() as small:
        app.get("/api/sessions/", headers=h)
    for i in range(6):
        s = f.session(w.event, w.room, title=f"Extra {i}")
        app.put_json(f"/api/sessions/{s.id}/live/", {"youtube_live_url": WATCH}, headers=w.h())
    with count_queries() as big:
        r = app.get("/api/sessions/", headers=h)
    assert sum(1 for s in r.json["results"] if s["youtube_live_url"]) == 6
    assert big.count == small.count


def test_create_and_update_accept_youtube_live_url(app, w):
    need_sessions_api(app, w.h())
    start = w.event.start_date.replace(microsecond=0, tzinfo=None)

    def at(hours):
        return (start + dt.timedelta(hours=hours)).isoformat(timespec="milliseconds")

    body = {"event": str(w.event.id), "room": str(w.room.id), "title": "Nouvelle", "description": None,
            "start_time": at(30), "end_time": at(31),
            "speaker_name": None, "speaker_title": None, "theme": None, "session_type": "conference",
            "is_paid": False, "price": "0.0", "youtube_live_url": f"https://m.youtube.com/live/{VID}"}
    r = app.post_json("/api/sessions/", body, headers=w.h(), status=201).json
    assert r["youtube_live_url"] == WATCH and r["youtube_video_id"] == VID
    sid = r["id"]
    # invalid: 400 naming the field, nothing created
    bad = {**body, "title": "Refusée", "start_time": at(40), "end_time": at(41),
           "youtube_live_url": "https://vimeo.com/123"}
    err = app.post_json("/api/sessions/", bad, headers=w.h(), status=400).json
    assert err["field"] == "youtube_live_url"
    titles = [s["title"] for s in app.get("/api/sessions/", headers=w.h()).json["results"]]
    assert "Refusée" not in titles
    # update without the key leaves it; with an invalid one rolls the whole update back
    app.patch_json(f"/api/sessions/{sid}/", {"title": "Renommée"}, headers=w.h())
    assert app.get(f"/api/sessions/{sid}/", headers=w.h()).json["youtube_live_url"] == WATCH
    err = app.patch_json(f"/api/sessions/{sid}/", {"title": "Jamais", "youtube_live_url": "nope"},
                         headers=w.h(), status=400).json
    assert err["field"] == "youtube_live_url"
    got = app.get(f"/api/sessions/{sid}/", headers=w.h()).json
    assert got["title"] == "Renommée" and got["youtube_live_url"] == WATCH
    # null clears (with another change in the same request)
    r = app.patch_json(f"/api/sessions/{sid}/", {"title": "Sans direct", "youtube_live_url": None},
                       headers=w.h()).json
    assert r["youtube_live_url"] is None and r["title"] == "Sans direct"
    assert stored(w.f) == {}


def test_update_with_only_youtube_live_url(app, w):
    """A PATCH/PUT whose only field is youtube_live_url (no core column changes) must reach
    the plugin: the core calls makeplus_session_changed(action="updated") for every update."""
    need_sessions_api(app, w.h())
    url = f"/api/sessions/{w.plain.id}/"
    r = app.patch_json(url, {"youtube_live_url": f"youtu.be/{VID}"}, headers=w.h()).json
    assert r["youtube_live_url"] == WATCH and r["youtube_video_id"] == VID
    assert stored(w.f) == {w.plain.id: VID}
    r = app.patch_json(url, {"youtube_live_url": None}, headers=w.h()).json
    assert r["youtube_live_url"] is None
    assert stored(w.f) == {}
    app.patch_json(url, {"youtube_live_url": "https://vimeo.com/1"}, headers=w.h(), status=400)
    app.patch_json(url, {"youtube_live_url": WATCH}, headers=w.h(w.part), status=403)
    assert stored(w.f) == {}


def test_disabled_plugin_removes_the_keys(app, make_app, settings, w):
    need_sessions_api(app, w.h())
    app.put_json(f"/api/sessions/{w.live.id}/live/", {"youtube_live_url": WATCH}, headers=w.h())
    others = [p for p in settings["makeplus.plugins"].split() if p != "youtube_live"]  # normally "annonces qa"
    other = make_app(**{"makeplus.plugins": " ".join(others)})
    need_sessions_api(other, w.h())
    for s in other.get("/api/sessions/", headers=w.h(w.part)).json["results"]:
        assert not set(KEYS) & set(s)
    detail = other.get(f"/api/sessions/{w.live.id}/", headers=w.h(w.part)).json
    assert not set(KEYS) & set(detail)
