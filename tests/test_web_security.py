"""Web pages send security headers and satisfy their own Content-Security-Policy; CORS
never reflects an arbitrary origin with credentials (issue 14, "Data that must not be
lost or seen": "Web pages and CORS")."""
from __future__ import annotations

import configparser
import pathlib
import re

import pytest
from pyramid.exceptions import ConfigurationError

ROOT = pathlib.Path(__file__).resolve().parents[1]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.I)
LINK = re.compile(r'href="(?:http://localhost)?(/dashboard/events/[^"?#]+)"')


def dev_cors_settings() -> dict:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(ROOT / "development.ini")
    return {k: v for k, v in ini["app:main"].items() if k.startswith("makeplus.cors.")}


@pytest.fixture
def own_app(make_app):
    """An app with other settings whose idle database connections are closed afterwards
    (the PostgreSQL server is shared; these tests never need the database)."""
    built = []

    def make(**overrides):
        built.append(make_app(**overrides))
        return built[-1]

    yield make
    for app in built:
        app.app.registry.makeplus.db_engine.dispose()


def test_development_cors_never_reflects_an_origin_with_credentials(own_app):
    settings = dev_cors_settings()
    assert settings["makeplus.cors.origins"] == "*"
    app = own_app(**settings)
    r = app.get("/api/", headers={"Origin": "https://evil.example.com"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers
    r = app.options("/api/auth/login/", headers={"Origin": "https://evil.example.com",
                                                 "Access-Control-Request-Method": "POST"}, status=204)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers


def test_any_origin_with_credentials_refuses_to_start(make_app):
    with pytest.raises(ConfigurationError, match="allow_credentials"):
        make_app(**{"makeplus.cors.origins": "*", "makeplus.cors.allow_credentials": "true"})


def test_credentials_only_for_listed_origins(own_app):
    app = own_app(**{"makeplus.cors.origins": "https://app.example.org",
                     "makeplus.cors.allow_credentials": "true"})
    r = app.get("/api/", headers={"Origin": "https://app.example.org"})
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example.org"
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    r = app.get("/api/", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in r.headers and "Access-Control-Allow-Credentials" not in r.headers


def assert_page_headers(r):
    csp = r.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["frame-ancestors"] == "'none'" and directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def assert_csp_clean(r):
    """No inline script, inline style or event-handler attribute: what the CSP would block."""
    html = r.text
    assert not INLINE_SCRIPT.search(html), (r.request.path, INLINE_SCRIPT.search(html).group(0))
    assert not INLINE_HANDLER.search(html), (r.request.path, INLINE_HANDLER.search(html).group(0))
    assert not INLINE_STYLE.search(html), (r.request.path, INLINE_STYLE.search(html).group(0))


def test_api_answers_are_not_pages(app):
    r = app.get("/api/health/")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Frame-Options" not in r.headers and "Content-Security-Policy" not in r.headers


def test_swagger_ui_page(app):
    r = app.get("/api/docs/")
    assert_page_headers(r)
    assert_csp_clean(r)
    init = app.get("/api/docs/swagger-init.js")
    assert init.content_type == "text/javascript" and "SwaggerUIBundle" in init.text


@pytest.mark.plugin("dashboard")
def test_every_dashboard_page_has_headers_and_no_inline_code(app, f):
    from makeplus_dashboard.testing import login

    admin = f.user(is_admin=True)
    event = f.event()
    room = f.room(event)
    session = f.session(event, room)
    f.member(event, "participant")
    r = app.get("/dashboard/login/")
    assert_page_headers(r)
    assert_csp_clean(r)
    login(app, admin.email)
    seen = set()
    todo = ["/dashboard/", f"/dashboard/events/{event.id}/", f"/dashboard/events/{event.id}/rooms/{room.id}/",
            f"/dashboard/events/{event.id}/sessions/{session.id}/"]
    while todo:
        path = todo.pop()
        if path in seen or path.endswith(("/export/", ".png", ".svg", "/qr/")):
            continue
        seen.add(path)
        r = app.get(path)
        if r.content_type != "text/html":
            continue
        assert_page_headers(r)
        assert_csp_clean(r)
        todo.extend(p for p in LINK.findall(r.text) if str(event.id) in p)
    assert len(seen) >= 8, seen  # the event's menu (core and plugin pages) was crawled


@pytest.mark.plugin("caisse")
def test_pos_pages_have_headers_and_no_inline_code(app, f):
    import sys

    sys.path.insert(0, str(ROOT / "plugins" / "caisse" / "tests"))
    from helpers import make_world

    w = make_world(app, f)
    r = app.get("/caisse/login/")
    assert_page_headers(r)
    assert_csp_clean(r)
    form = r.forms[0]
    form["email"], form["password"] = w.caisse["email"], "caisse-pass-123"
    form.submit(status=303)
    for path in ("/caisse/", f"/caisse/participants/{w.buyer.id}/"):
        r = app.get(path)
        assert_page_headers(r)
        assert_csp_clean(r)
