"""Start-up extension points (makeplus_core.extensions), through HTTP, with a plugin
defined here: its own token kind, a validated field on the core's session schema, its
own rate-limit bucket, permissions per role, capabilities. The core itself names no
plugin's bucket, permission, target or field."""
import datetime as dt
import importlib.metadata as md
import pathlib
import sys
import types

import colander
import pytest
import webtest
from pyramid.security import NO_PERMISSION_REQUIRED

import makeplus_core
from makeplus_core import errors, extensions, hookimpl, main, plugins

START = dt.datetime(2026, 9, 20, 8, 0, tzinfo=dt.UTC)
SEEN = []


def _whoami(request):
    return {"ticket": extensions.token_principal(request, "ticket", "A ticket is required")}


def _hit(request):
    request.rate_limiter.hit(request, "testext_bucket")
    return {"ok": True}


class TestExt:
    @hookimpl
    def makeplus_includeme(self, config):
        config.add_route("testext.whoami", "/api/testext/whoami/")
        config.add_view(_whoami, route_name="testext.whoami", renderer="json", permission=NO_PERMISSION_REQUIRED)
        config.add_route("testext.hit", "/api/testext/hit/")
        config.add_view(_hit, route_name="testext.hit", renderer="json", permission=NO_PERMISSION_REQUIRED)

    @hookimpl
    def makeplus_token_kinds(self):
        return {"ticket": lambda request, claims: {"n": claims["n"]} if claims.get("n") == 1 else None}

    @hookimpl
    def makeplus_schema_fields(self, schema):
        if schema == "session":
            return [colander.SchemaNode(colander.String(), name="mood", missing=colander.drop,
                                        validator=colander.OneOf(["happy", "sad"]))]

    @hookimpl
    def makeplus_session_changed(self, session, action, request):
        if request is not None and action in ("created", "updated"):
            SEEN.append((action, extensions.plugin_fields(request, "session")))

    @hookimpl
    def makeplus_rate_limits(self):
        return {"testext_bucket": "2/60"}

    @hookimpl
    def makeplus_permissions(self):
        return {"participant": ["testext_perm", "view_sessions"]}

    @hookimpl
    def makeplus_capabilities(self):
        return {"features": ["tickets"], "version": "not this"}


@pytest.fixture(scope="module")
def ext_wsgi(settings, engine):
    """One app for the module (its engine disposed after): the plugin above, rate limits on."""
    module = types.ModuleType("makeplus_testext")
    plugin = TestExt()
    for name in dir(TestExt):
        if name.startswith("makeplus_"):
            setattr(module, name, getattr(plugin, name))
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "makeplus_testext", module)
        real = plugins.installed_entry_points()
        fake = md.EntryPoint(name="testext", value="makeplus_testext", group="makeplus")
        mp.setattr(plugins, "installed_entry_points", lambda: {**real, "testext": fake})
        wsgi = main({}, **{**settings, "makeplus.plugins": "testext", "makeplus.ratelimit.enabled": "true"})
    yield wsgi
    wsgi.registry.makeplus.db_engine.dispose()


@pytest.fixture
def ext_app(ext_wsgi, engine):
    SEEN.clear()
    yield webtest.TestApp(ext_wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.9"})
    from makeplus_core.testing import clean_tables

    clean_tables(engine)


def test_capabilities_beside_the_version(ext_app):
    caps = ext_app.get("/api/").json["capabilities"]
    assert caps == {"testext": {"features": ["tickets"], "version": None}}


def test_permissions_per_role(ext_app, f):
    event = f.event(start=START)
    f.member(event, "participant", email="p@x.org")
    r = ext_app.post_json("/api/auth/token/", {"email": "p@x.org", "password": "makeplus2025"})
    perms = r.json["current_event"]["permissions"]
    assert perms == ["view_sessions", "access_rooms", "check_in", "testext_perm"]


def test_own_rate_limit_bucket(ext_app):
    ext_app.get("/api/testext/hit/", status=200)
    ext_app.get("/api/testext/hit/", status=200)
    r = ext_app.get("/api/testext/hit/", status=429)
    assert r.json["error"] == "rate_limited"


def test_own_token_kind(ext_app, f):
    registry = ext_app.app.registry
    good = extensions.issue_token(registry, "ticket", "ticket:1", 60, n=1)
    refused = extensions.issue_token(registry, "ticket", "ticket:2", 60, n=2)
    assert ext_app.get("/api/testext/whoami/", headers={"Authorization": f"Bearer {good}"}).json == {
        "ticket": {"n": 1}}
    r = ext_app.get("/api/testext/whoami/", headers={"Authorization": f"Bearer {refused}"}, status=401)
    assert r.json["message"] == "A ticket is required"
    ext_app.get("/api/testext/whoami/", headers={"Authorization": f"Bearer {good}x"}, status=401)
    ext_app.get("/api/auth/me/", headers={"Authorization": f"Bearer {good}"}, status=401)  # not a user token
    user = f.user()
    ext_app.get("/api/testext/whoami/", headers=f.auth(user), status=401)  # a user token is not a ticket
    with pytest.raises(RuntimeError, match="not declared"):
        extensions.issue_token(registry, "nosuchkind", "x", 60)


def test_schema_field_validated_by_the_core_before_any_write(ext_app, f, db):
    from makeplus_core.sessions.models import Session

    event = f.event(start=START)
    room = f.room(event)
    g = f.member(event, "gestionnaire_des_salles")
    h = f.auth(g, event)
    body = {"room": str(room.id), "title": "Talk", "start_time": "2026-09-20T10:00:00Z",
            "end_time": "2026-09-20T11:00:00Z"}
    r = ext_app.post_json("/api/sessions/", {**body, "mood": "angry"}, headers=h, status=400)
    assert r.json["field"] == "mood"
    assert db.query(Session).count() == 0 and SEEN == []
    sid = ext_app.post_json("/api/sessions/", {**body, "mood": "happy"}, headers=h, status=201).json["id"]
    ext_app.patch_json(f"/api/sessions/{sid}/", {"title": "Talk 2"}, headers=h)
    ext_app.patch_json(f"/api/sessions/{sid}/", {"mood": None}, headers=h)
    assert SEEN == [("created", {"mood": "happy"}), ("updated", {}), ("updated", {"mood": None})]


def test_the_core_names_no_plugin_thing():
    from makeplus_core import ratelimit, roles
    from makeplus_core.roles import PERMISSIONS

    assert "public_submit" not in ratelimit.DEFAULT_LIMITS
    assert not hasattr(roles, "TARGET_FOR_ROLE")
    core_perms = {p for perms in PERMISSIONS.values() for p in perms}
    assert not core_perms & {"answer_questions", "ask_questions", "scan_visitors"}
    root = pathlib.Path(makeplus_core.__file__).parent
    for path in root.rglob("*.py"):
        if "scaffold_template" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text()
        for word in ("public_submit", "answer_questions", "scan_visitors", "youtube_live_url"):
            assert word not in text or path.name == "hookspecs.py", f"{path} names {word}"


def test_an_error_in_a_declared_field_is_a_domain_error(ext_app):
    from pyramid.request import Request

    req = Request.blank("/x", method="POST", body=b'{"mood": 3}', content_type="application/json")
    req.registry = ext_app.app.registry
    with pytest.raises(errors.Invalid) as exc:
        extensions.plugin_fields(req, "session")
    assert exc.value.field == "mood"
