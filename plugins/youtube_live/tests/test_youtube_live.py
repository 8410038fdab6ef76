"""The youtube_live plugin: URL validation, the live endpoints, the session JSON and hooks."""
import datetime
import json
import uuid

import pytest
import sqlalchemy as sa
from pyramid.request import Request

from makeplus_core.plugin_api import errors
from makeplus_youtube_live.models import LiveStream
from makeplus_youtube_live.services import parse_youtube_link, parse_youtube_url

VID = "dQw4w9WgXcQ"
WATCH = f"https://www.youtube.com/watch?v={VID}"
EMBED = f"https://www.youtube.com/embed/{VID}"
KEYS = ("youtube_live_url", "youtube_video_id", "youtube_embed_url")

VALID = [
    f"https://www.youtube.com/watch?v={VID}",
    f"http://youtube.com/watch?v={VID}",
    f"https://m.youtube.com/watch?v={VID}&t=42s",
    f"https://www.youtube.com/watch?feature=share&v={VID}",
    f"youtube.com/watch?v={VID}",
    f"https://youtu.be/{VID}",
    f"http://youtu.be/{VID}?si=abcdef",
    f"https://www.youtube.com/live/{VID}",
    f"https://youtube.com/live/{VID}?feature=share",
    f"https://m.youtube.com/live/{VID}/",
    f"  https://youtu.be/{VID}  ",
    # issue 17: the forms the seed and the app show
    f"https://youtube.com/live/{VID}",
    f"youtube.com/embed/{VID}",
    f"https://www.youtube.com/embed/{VID}?autoplay=1",
    f"https://youtu.be/{VID}?si=Xy12_abCD-ef",
    f"https://m.youtube.com/watch?v={VID}",
    f"https://www.youtube.com/watch?v={VID}&t=125s",
    f"https://www.youtube.com/shorts/{VID}",
]
# Live links without a video id: stored as given (https added), video id null (issue 17)
AS_IS = [
    ("https://youtube.com/live/abc123", "https://youtube.com/live/abc123"),  # seed 000's example
    ("https://www.youtube.com/@makeplus/live", "https://www.youtube.com/@makeplus/live"),
    ("youtube.com/@Tech.Summit-DZ/live", "https://youtube.com/@Tech.Summit-DZ/live"),
    ("https://m.youtube.com/channel/UCabcdefghijklmnopqrstuv/live",
     "https://m.youtube.com/channel/UCabcdefghijklmnopqrstuv/live"),
]
INVALID = [
    "https://youtube.com/live/abc$123",
    "https://www.youtube.com/@makeplus",  # a channel page, not its live page
    f"https://vimeo.com/{VID}",
    f"https://www.youtube.com.evil.org/watch?v={VID}",
    f"https://evil.org/?u=https://youtu.be/{VID}",
    f"ftp://youtube.com/watch?v={VID}",
    f"javascript:alert(1)//youtu.be/{VID}",
    "https://www.youtube.com/watch?v=",
    f"https://www.youtube.com/watch?v={VID}x",
    f"https://www.youtube.com/watch?v={VID}&v=aaaaaaaaaaa",
    f"https://www.youtube.com/embed/{VID}x",
    f"https://www.youtube.com/channel/{VID}",
    "https://www.youtube.com/watch?v=dQw4w9WgX$Q",
    f"https://user@youtube.com/watch?v={VID}",
    f"https://youtube.com:8080/watch?v={VID}",
    "not a url",
    "x" * 600,
    42,
    ["https://youtu.be/dQw4w9WgXcQ"],
]


@pytest.mark.parametrize("url", VALID)
def test_valid_urls_give_the_video_id(url):
    assert parse_youtube_url(url) == VID


@pytest.mark.parametrize("url,stored", AS_IS)
def test_live_links_without_a_video_id_are_kept_as_given(url, stored):
    assert parse_youtube_link(url) == (None, stored)


@pytest.mark.parametrize("url", INVALID)
def test_invalid_urls_are_refused(url):
    with pytest.raises(errors.Invalid) as exc:
        parse_youtube_url(url)
    assert exc.value.field == "youtube_live_url"


class World:
    def __init__(self, f):
        self.f = f
        self.event = f.event()
        self.room = f.room(self.event, name="Amphi")
        self.live = f.session(self.event, self.room, title="En direct", status="en_cours")
        self.later = f.session(self.event, self.room, title="Plus tard")
        self.gest = f.member(self.event, "gestionnaire_des_salles")
        self.ctrl = f.member(self.event, "controlleur_des_badges")
        self.part = f.member(self.event, "participant")
        self.expo = f.member(self.event, "exposant")
        self.admin = f.user(is_admin=True)
        self.foreign = f.event()
        self.foreign_room = f.room(self.foreign)
        self.foreign_session = f.session(self.foreign, self.foreign_room, status="en_cours")
        self.foreign_gest = f.member(self.foreign, "gestionnaire_des_salles")

    def h(self, user, event=None):
        return self.f.auth(user, event or self.event)

    def url(self, session):
        return f"/api/sessions/{session.id}/live/"

    def streams(self):
        rows = self.f.db.execute(sa.select(LiveStream.session_id, LiveStream.url, LiveStream.video_id)).all()
        self.f.db.commit()
        return {sid: (u, v) for sid, u, v in rows}


@pytest.fixture
def w(f):
    return World(f)


@pytest.mark.parametrize("given", VALID[:4] + VALID[5:8] + VALID[11:])
def test_gestionnaire_sets_a_normalised_url(app, w, given):
    r = app.put_json(w.url(w.live), {"youtube_live_url": given}, headers=w.h(w.gest)).json
    assert r == {"session": str(w.live.id), "session_id": str(w.live.id), "youtube_live_url": WATCH,
                 "youtube_video_id": VID, "youtube_embed_url": EMBED}
    assert w.streams() == {w.live.id: (WATCH, VID)}


@pytest.mark.parametrize("url,stored", AS_IS)
def test_channel_live_link_is_stored_as_given_through_the_api(app, w, url, stored):
    r = app.put_json(w.url(w.live), {"youtube_live_url": url}, headers=w.h(w.gest)).json
    assert r["youtube_live_url"] == stored
    assert r["youtube_video_id"] is None and r["youtube_embed_url"] is None
    assert w.streams() == {w.live.id: (stored, None)}
    got = app.get(f"/api/sessions/{w.live.id}/", headers=w.h(w.part)).json
    assert got["youtube_live_url"] == stored and got["youtube_embed_url"] is None


def test_seed_session_body_with_its_youtube_link_is_accepted(app, w):
    """Seed 000's session example carries ``"youtube_live_url": "https://youtube.com/live/abc123"``."""
    start = w.event.start_date + datetime.timedelta(hours=30)
    body = {"event": str(w.event.id), "room": str(w.room.id), "title": "Seed",
            "start_time": start.strftime("%Y-%m-%dT%H:%M:%S.000"),
            "end_time": (start + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000"),
            "youtube_live_url": "https://youtube.com/live/abc123"}
    r = app.post_json("/api/sessions/", body, headers=w.h(w.gest)).json
    assert r["youtube_live_url"] == "https://youtube.com/live/abc123"


@pytest.mark.parametrize("given", INVALID[:6] + [42, "   x"])
def test_invalid_url_is_400_naming_the_field(app, w, given):
    r = app.put_json(w.url(w.live), {"youtube_live_url": given}, headers=w.h(w.gest), status=400)
    assert r.json["field"] == "youtube_live_url" and r.json["message"]
    assert w.streams() == {}


def test_set_replace_clear(app, w):
    h = w.h(w.gest)
    app.put_json(w.url(w.live), {"youtube_live_url": f"https://youtu.be/{VID}"}, headers=h)
    other = "aircAruvnKk"
    r = app.post_json(w.url(w.live), {"youtube_live_url": f"https://youtube.com/live/{other}"}, headers=h).json
    assert r["youtube_video_id"] == other
    assert w.streams() == {w.live.id: (f"https://www.youtube.com/watch?v={other}", other)}
    # a bad URL leaves the stored one alone
    app.put_json(w.url(w.live), {"youtube_live_url": "https://vimeo.com/1"}, headers=h, status=400)
    assert app.get(w.url(w.live), headers=w.h(w.part)).json["youtube_video_id"] == other
    r = app.put_json(w.url(w.live), {"youtube_live_url": None}, headers=h).json
    assert r["youtube_live_url"] is None and r["youtube_video_id"] is None and r["youtube_embed_url"] is None
    assert w.streams() == {}
    app.put_json(w.url(w.live), {"youtube_live_url": WATCH}, headers=h)
    app.put_json(w.url(w.live), {"youtube_live_url": ""}, headers=h)
    assert w.streams() == {}
    app.put_json(w.url(w.live), {"youtube_live_url": WATCH}, headers=h)
    app.delete(w.url(w.live), headers=h, status=204)
    assert w.streams() == {}
    app.delete(w.url(w.live), headers=h, status=204)  # nothing to remove: still fine
    r = app.put_json(w.url(w.live), {}, headers=h, status=400)
    assert r.json["field"] == "youtube_live_url"


def test_alias_path(app, w):
    h = w.h(w.gest)
    app.put_json(f"/api/live/sessions/{w.live.id}/", {"youtube_live_url": WATCH}, headers=h)
    assert app.get(w.url(w.live), headers=w.h(w.part)).json["youtube_live_url"] == WATCH
    app.delete(f"/api/live/sessions/{w.live.id}/", headers=h, status=204)
    assert w.streams() == {}


@pytest.mark.parametrize("who", ["ctrl", "part", "expo"])
def test_only_gestionnaires_change_it(app, w, who):
    user = getattr(w, who)
    app.put_json(w.url(w.live), {"youtube_live_url": WATCH}, headers=w.h(user), status=403)
    app.put_json(w.url(w.live), {"youtube_live_url": WATCH}, headers=w.h(w.gest))
    app.delete(w.url(w.live), headers=w.h(user), status=403)
    app.put_json(w.url(w.live), {"youtube_live_url": None}, headers=w.h(user), status=403)
    assert w.streams() == {w.live.id: (WATCH, VID)}
    # but every member reads it
    assert app.get(w.url(w.live), headers=w.h(user)).json["youtube_embed_url"] == EMBED
    assert [s["id"] for s in app.get("/api/live/", headers=w.h(user)).json["results"]] == [str(w.live.id)]


def test_admin_may_change_it(app, w):
    app.put_json(w.url(w.live), {"youtube_live_url": WATCH}, headers=w.h(w.admin))
    assert w.streams() == {w.live.id: (WATCH, VID)}


def test_foreign_event_is_404(app, w):
    app.put_json(w.url(w.foreign_session), {"youtube_live_url": WATCH}, headers=w.h(w.foreign_gest, w.foreign))
    for user in (w.gest, w.part, w.admin):
        h = w.h(user)
        app.get(w.url(w.foreign_session), headers=h, status=404)
        app.put_json(w.url(w.foreign_session), {"youtube_live_url": WATCH}, headers=h, status=404)
        app.delete(w.url(w.foreign_session), headers=h, status=404)
        app.put_json(f"/api/live/sessions/{w.foreign_session.id}/", {"youtube_live_url": None}, headers=h,
                     status=404)
        assert app.get("/api/live/", headers=h).json["results"] == []
    app.get(w.url(w.live), headers=w.h(w.foreign_gest, w.foreign), status=404)
    app.get(f"/api/sessions/{uuid.uuid4()}/live/", headers=w.h(w.gest), status=404)
    app.get("/api/live/", {"event": str(w.foreign.id)}, headers=w.h(w.part), status=404)
    assert w.streams() == {w.foreign_session.id: (WATCH, VID)}


def test_requires_authentication(app, w):
    app.get("/api/live/", status=401)
    app.put_json(w.url(w.live), {"youtube_live_url": WATCH}, status=401)


def test_live_list(app, w, f):
    h = w.h(w.gest)
    app.put_json(w.url(w.live), {"youtube_live_url": WATCH}, headers=h)
    app.put_json(w.url(w.later), {"youtube_live_url": "https://youtu.be/aircAruvnKk"}, headers=h)
    no_stream = f.session(w.event, w.room, title="Live sans flux", status="en_cours")
    done = f.session(w.event, w.room, title="Finie", status="termine")
    app.put_json(w.url(done), {"youtube_live_url": WATCH}, headers=h)
    app.put_json(w.url(w.foreign_session), {"youtube_live_url": WATCH}, headers=w.h(w.foreign_gest, w.foreign))
    r = app.get("/api/live/", headers=w.h(w.part)).json
    assert r["count"] == 1
    item = r["results"][0]
    assert item["id"] == str(w.live.id) and item["title"] == "En direct"
    assert item["room"] == str(w.room.id) and item["room_name"] == "Amphi"
    assert item["status"] == "en_cours"
    assert item["start_time"].endswith("Z") and item["end_time"].endswith("Z")
    assert (item["youtube_live_url"], item["youtube_video_id"], item["youtube_embed_url"]) == (WATCH, VID, EMBED)
    assert no_stream.id  # en_cours but without a stream: not listed
    # the later session goes live: it appears
    w.later.status = "en_cours"
    f.commit(w.later)
    titles = [s["title"] for s in app.get("/api/live/", headers=w.h(w.expo)).json["results"]]
    assert sorted(titles) == ["En direct", "Plus tard"]


def test_deleting_a_session_removes_its_stream(app, w, f):
    app.put_json(w.url(w.later), {"youtube_live_url": WATCH}, headers=w.h(w.gest))
    f.db.delete(f.db.get(type(w.later), w.later.id))
    f.db.commit()
    assert w.streams() == {}


# ---------------------------------------------------------------- hooks called directly


def _request(body, method="PATCH", registry=None):
    req = Request.blank("/api/sessions/x/", method=method, body=json.dumps(body).encode(),
                        content_type="application/json")
    if registry is not None:
        req.registry = registry
    return req


def test_extend_json_one_query_and_null_when_none(app, w, f, count_queries):
    pm = app.app.registry.makeplus.plugins
    app.put_json(w.url(w.live), {"youtube_live_url": WATCH}, headers=w.h(w.gest))
    more = [f.session(w.event, w.room) for _ in range(5)]
    ids = [w.live.id, w.later.id, *(s.id for s in more)]
    appdb = app.app.registry.makeplus.dbsession_factory()  # a session on the app's engine (counted)
    Session = type(w.live)
    sessions = appdb.scalars(sa.select(Session).where(Session.id.in_(ids))).all()
    sessions.sort(key=lambda s: ids.index(s.id))
    payloads = [{"id": str(s.id)} for s in sessions]
    with count_queries() as q:
        pm.hook.makeplus_extend_json(kind="session", objects=sessions, payloads=payloads, request=None)
    appdb.close()
    assert q.count == 1
    assert {k: payloads[0][k] for k in KEYS} == {"youtube_live_url": WATCH, "youtube_video_id": VID,
                                                "youtube_embed_url": EMBED}
    for p in payloads[1:]:
        assert all(k in p and p[k] is None for k in KEYS)
    other = [{"id": "room"}]
    pm.hook.makeplus_extend_json(kind="room", objects=[w.room], payloads=other, request=None)
    assert other == [{"id": "room"}]


def test_session_changed_hook_reads_the_validated_field(app, w, f):
    """The field comes from the core's session schema extension (makeplus_schema_fields),
    validated from the request's body, never re-parsed by the plugin."""
    pm = app.app.registry.makeplus.plugins
    db = f.db

    def changed(body, action="updated"):
        pm.hook.makeplus_session_changed(dbsession=db, session=w.later, action=action, changes={},
                                         request=_request(body, registry=app.app.registry))
        db.commit()

    changed({"youtube_live_url": f"https://youtu.be/{VID}", "title": "x"}, "created")
    assert w.streams() == {w.later.id: (WATCH, VID)}
    changed({"title": "no url key"})
    assert w.streams() == {w.later.id: (WATCH, VID)}
    with pytest.raises(errors.Invalid) as exc:
        changed({"youtube_live_url": "https://youtube.com/live/ab$c"})  # (issue 17: /live/abc is a live link)
    db.rollback()
    assert exc.value.field == "youtube_live_url"
    assert w.streams() == {w.later.id: (WATCH, VID)}
    changed({"youtube_live_url": None})
    assert w.streams() == {}
    changed({"youtube_live_url": WATCH}, "status")  # status actions do not read the body
    assert w.streams() == {}
    pm.hook.makeplus_session_changed(dbsession=db, session=w.later, action="created", changes={}, request=None)
    changed({"youtube_live_url": WATCH})
    pm.hook.makeplus_session_changed(dbsession=db, session=w.later, action="deleted", changes={}, request=None)
    db.commit()
    assert w.streams() == {}


# ---------------------------------------------------------------- disabled plugin


def test_disabled_plugin(app, make_app, settings, w):
    app.put_json(w.url(w.live), {"youtube_live_url": WATCH}, headers=w.h(w.gest))
    others = [p for p in settings["makeplus.plugins"].split() if p != "youtube_live"]  # normally "annonces qa"
    other = make_app(**{"makeplus.plugins": " ".join(others)})
    assert "youtube_live" not in other.get("/api/health/").json["plugins"]
    other.get("/api/live/", headers=w.h(w.part), status=404)
    other.get(w.url(w.live), headers=w.h(w.part), status=404)
    other.put_json(w.url(w.live), {"youtube_live_url": WATCH}, headers=w.h(w.gest), status=404)
    other.get(f"/api/live/sessions/{w.live.id}/", headers=w.h(w.part), status=404)
    payloads = [{}]
    other.app.registry.makeplus.plugins.hook.makeplus_extend_json(kind="session", objects=[w.live],
                                                                   payloads=payloads, request=None)
    assert payloads == [{}]
    if "qa" in others:
        other.get("/api/session-questions/", headers=w.h(w.part), status=200)  # the others still work
