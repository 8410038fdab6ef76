"""Modules per event (issue 18): an enabled plugin switched off for one event answers 404
for that event only, its hooks are not called for it, its data is kept."""
from __future__ import annotations

import re
import uuid

import pytest

from makeplus_core import hookspecs, modules
from makeplus_core.plugins import enabled_names
from makeplus_core.testing import PASSWORD

GEST = "gestionnaire_des_salles"


class World:
    def __init__(self, app, f):
        self.app, self.f = app, f
        self.a = f.event(name="Event A")
        self.b = f.event(name="Event B")
        self.gest_a = f.member(self.a, GEST)
        self.gest_b = f.member(self.b, GEST)
        self.ha = f.auth(self.gest_a, self.a)
        self.hb = f.auth(self.gest_b, self.b)
        self.plugins = enabled_names(app.app.registry.settings)

    def switch(self, name, on, status=200, headers=None):
        return self.app.patch_json(f"/api/events/{self.a.id}/", {"modules": {name: on}},
                                   headers=headers or self.ha, status=status)


@pytest.fixture
def w(app, f):
    return World(app, f)


def test_patch_modules_validates_names_and_values(w):
    r = w.app.patch_json(f"/api/events/{w.a.id}/", {"modules": {"nope": False}}, headers=w.ha, status=400)
    assert r.json["field"] == "modules.nope"
    if w.plugins:
        r = w.app.patch_json(f"/api/events/{w.a.id}/", {"modules": {w.plugins[0]: "off"}}, headers=w.ha,
                             status=400)
        assert r.json["field"] == f"modules.{w.plugins[0]}"
    r = w.app.patch_json(f"/api/events/{w.a.id}/", {"modules": ["qa"]}, headers=w.ha, status=400)
    assert r.json["field"] == "modules"


def test_another_events_gestionnaire_cannot_switch(w):
    if not w.plugins:
        pytest.skip("no plugin enabled")
    w.app.patch_json(f"/api/events/{w.a.id}/", {"modules": {w.plugins[0]: False}}, headers=w.hb, status=404)


def test_event_json_root_and_login_say_which_modules_the_event_uses(w):
    if "qa" not in w.plugins:
        pytest.skip("qa plugin not enabled")
    body = w.switch("qa", False).json
    assert "qa" not in body["modules"] and set(body["modules"]) == set(w.plugins) - {"qa"}
    assert body["settings"]["modules"] == {"qa": False}
    root = w.app.get("/api/", headers=w.ha).json
    assert root["event"] == str(w.a.id) and "qa" not in root["modules"]
    assert "qa" in root["capabilities"]  # still installed on the deployment
    assert "qa" in w.app.get("/api/", headers=w.hb).json["modules"]
    login = w.app.post_json("/api/auth/login/", {"email": w.gest_a.email, "password": PASSWORD,
                                                 "event_id": str(w.a.id)}).json
    assert "qa" not in login["event"]["modules"] and set(login["event"]["modules"]) == set(w.plugins) - {"qa"}
    # Plain settings writes keep the switch; switching back on restores everything.
    w.app.patch_json(f"/api/events/{w.a.id}/", {"settings": {"x": 1}}, headers=w.ha)
    assert "qa" not in w.app.get(f"/api/events/{w.a.id}/", headers=w.ha).json["modules"]
    body = w.switch("qa", True).json
    assert "qa" in body["modules"] and "modules" not in body["settings"]


def test_qa_off_answers_404_for_that_event_only_and_keeps_data(w):
    if "qa" not in w.plugins:
        pytest.skip("qa plugin not enabled")
    room = w.f.room(w.a)
    session = w.f.session(w.a, room)
    before = w.app.get(f"/api/sessions/{session.id}/questions/", headers=w.ha).json
    w.switch("qa", False)
    r = w.app.get("/api/session-questions/", headers=w.ha, status=404)
    assert r.json["error"] == "module_disabled" and r.json["module"] == "qa"
    w.app.get(f"/api/sessions/{session.id}/questions/", headers=w.ha, status=404)
    w.app.get("/api/session-questions/", headers=w.hb, status=200)
    w.switch("qa", True)
    assert w.app.get(f"/api/sessions/{session.id}/questions/", headers=w.ha).json == before


# --------------------------------------------------------------------------- every plugin


PLACEHOLDER = re.compile(r"\{(\w+)(?::((?:[^{}]|\{[^{}]*\})*))?\}")


def _fill(route, event_id):
    """A path that matches ``route``, with ``{event}`` set to ``event_id``."""
    def value(m):
        name, regex = m.group(1), m.group(2) or "[^/]+"
        if name == "event":
            return str(event_id)
        for candidate in (str(uuid.uuid4()), "1", "png", "x"):
            if re.fullmatch(regex, candidate):
                return candidate
        raise AssertionError(f"no value for {name} in {route.pattern}")

    path = PLACEHOLDER.sub(value, route.pattern)
    path = path if path.startswith("/") else "/" + path
    assert route.match(path) is not None, (route.pattern, path)
    return path


def plugin_views(registry):
    """(plugin, route, request methods) of every view a plugin registered on a route."""
    introspector = registry.introspector
    mapper = registry.getUtility(__import__("pyramid.interfaces", fromlist=["IRoutesMapper"]).IRoutesMapper)
    routes = {r.name: r for r in mapper.get_routes()}
    seen = set()
    for intr in introspector.get_category("views"):
        view = intr["introspectable"]
        owner = modules.owner_of(registry, view["callable"])
        route = routes.get(view["route_name"])
        if owner is None or route is None:
            continue
        methods = view["request_methods"] or ("GET",)
        if isinstance(methods, str):
            methods = (methods,)
        for method in methods:
            if method in ("OPTIONS", "HEAD") or (owner, route.name, method) in seen:
                continue
            seen.add((owner, route.name, method))
            yield owner, route, method


def test_every_plugin_endpoint_answers_404_when_switched_off_for_the_event(w):
    if not w.plugins:
        pytest.skip("no plugin enabled")
    registry = w.app.app.registry
    views = list(plugin_views(registry))
    owners = {o for o, _, _ in views}
    # Every enabled plugin that serves anything is covered.
    assert owners, "no plugin endpoint found"
    for name in w.plugins:
        w.switch(name, False)
    failures = []
    for owner, route, method in views:
        path = _fill(route, w.a.id)
        api = path.startswith("/api/")
        if not api and "{event" not in route.pattern:
            continue  # a page outside any event (the dashboard's home, log-in)
        r = w.app.request(path, method=method, headers=w.ha, status="*", expect_errors=True)
        # API: our JSON error; pages: the dashboard's HTML 404 (before: a log-in redirect or the page)
        if r.status_int != 404 or (api and b"module_disabled" not in r.body):
            failures.append((owner, method, path, r.status_int, r.text[:60]))
    assert not failures, failures
    # The same endpoints for event B (switched on) never answer module_disabled.
    for owner, route, method in views:
        path = _fill(route, w.b.id)
        r = w.app.request(path, method=method, headers=w.hb, status="*", expect_errors=True)
        assert b"module_disabled" not in r.body, (owner, method, path)


EVENT_HOOKS = ("makeplus_event_statistics", "makeplus_search", "makeplus_check_access",
               "makeplus_access_recorded", "makeplus_session_changed", "makeplus_extend_json",
               "makeplus_desk_order")


def test_every_plugin_hook_is_skipped_for_an_event_that_switched_it_off(w, db):
    pm = w.app.app.registry.makeplus.plugins
    spec_names = {n for n in dir(hookspecs) if n.startswith("makeplus_")}
    assert set(EVENT_HOOKS) <= spec_names
    checked = 0
    for name in w.plugins:
        w.switch(name, False)
        db.expire_all()
        db.info.pop("makeplus_event_modules", None)
        plugin = pm.get_plugin(name)
        for hook in EVENT_HOOKS:
            impls = [i for i in getattr(pm.hook, hook).get_hookimpls() if i.plugin is plugin]
            if not impls:
                continue
            off = modules.event_hook(pm, hook, db, w.a.id).get_hookimpls()
            on = modules.event_hook(pm, hook, db, w.b.id).get_hookimpls()
            assert not [i for i in off if i.plugin is plugin], (name, hook)
            assert [i for i in on if i.plugin is plugin], (name, hook)
            checked += 1
        w.switch(name, True)
    if w.plugins:
        assert checked


def test_statistics_block_of_a_switched_off_plugin_vanishes(w):
    stats_plugins = [n for n in w.plugins
                     if w.app.app.registry.makeplus.plugins.get_plugin(n) is not None
                     and hasattr(w.app.app.registry.makeplus.plugins.get_plugin(n), "makeplus_event_statistics")]
    if not stats_plugins:
        pytest.skip("no plugin contributes statistics")
    name = stats_plugins[0]
    before = w.app.get(f"/api/events/{w.a.id}/statistics/", headers=w.ha).json
    w.switch(name, False)
    after = w.app.get(f"/api/events/{w.a.id}/statistics/", headers=w.ha).json
    assert set(before) - set(after), "the plugin's block should vanish"
    assert set(w.app.get(f"/api/events/{w.b.id}/statistics/", headers=w.hb).json) == set(before)
