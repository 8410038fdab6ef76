"""Cross-cutting API behaviour: errors, CORS, health, the OpenAPI document and Swagger UI."""
import re

from pyramid.interfaces import IRoutesMapper


def test_health_and_root(app, settings):
    h = app.get("/api/health/").json
    assert h["status"] == "ok" and h["database"] == "ok" and h["version"]
    root = app.get("/api/").json
    assert root["project_name"] == "MakePlus"
    assert sorted(root["capabilities"]) == sorted(settings["makeplus.plugins"].split())


def test_json_errors(app, f):
    r = app.get("/api/does-not-exist/", status=404)
    assert r.content_type == "application/json" and r.json["error"] == "not_found"
    r = app.delete("/api/health/", status=405)
    assert r.json["error"] == "method_not_allowed"
    r = app.post("/api/auth/login/", "{not json", content_type="application/json", status=400)
    assert r.json["field"] == "body"
    r = app.post_json("/api/auth/login/", {"email": "a@b.c"}, status=400)
    assert r.json["field"] == "password" and "password" in r.json["message"]


def test_cors_preflight_and_headers(app):
    r = app.options("/api/auth/login/", headers={"Origin": "https://app.example.org",
                                                 "Access-Control-Request-Method": "POST",
                                                 "Access-Control-Request-Headers": "authorization,content-type"},
                    status=204)
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example.org"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    r = app.get("/api/health/", headers={"Origin": "https://app.example.org"})
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example.org"
    r = app.get("/api/health/", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = app.get("/api/health/", headers={"Origin": "https://app.example.org"})
    assert {"Origin", "Authorization"} <= {v.strip() for v in r.headers["Vary"].split(",")}


def _normalise(pattern: str) -> str:
    """A route pattern as a plain OpenAPI path template (``{id}``, regex removed)."""
    from makeplus_core.meta.openapi import path_template

    return path_template(pattern)[0]


def api_routes(app):
    mapper = app.app.registry.getUtility(IRoutesMapper)
    out = set()
    for route in mapper.get_routes():
        pattern = _normalise(route.pattern)
        if pattern.startswith("/api/") and not pattern.startswith(("/api/docs", "/api/openapi.json")):
            out.add(pattern)
    return out


def test_openapi_describes_every_route(app):
    spec = app.get("/api/openapi.json").json
    paths = set(spec["paths"])
    missing = api_routes(app) - paths
    assert not missing, f"routes missing from the OpenAPI document: {sorted(missing)}"
    assert "/api/auth/login/" in paths
    login = spec["paths"]["/api/auth/login/"]["post"]
    body = login["requestBody"]["content"]["application/json"]["schema"]
    assert {"email", "password"} <= set(body["properties"]), "the login body schema is documented"


def test_openapi_follows_enabled_plugins(make_app):
    with_plugin = make_app(**{"makeplus.plugins": "annonces"}).get("/api/openapi.json").json["paths"]
    assert "/api/annonces/" in with_plugin and "/api/annonces/{id}/" in with_plugin
    paths = make_app(**{"makeplus.plugins": ""}).get("/api/openapi.json").json["paths"]
    assert "/api/auth/login/" in paths
    assert not any(p.startswith("/api/annonces") for p in paths)


def test_swagger_ui_served_locally(app):
    html = app.get("/api/docs/").text
    assert "swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    js = re.search(r'src="([^"]+swagger-ui-bundle\.js)"', html).group(1)
    app.get(js.replace("http://localhost", ""), status=200)


def test_api_answers_are_never_cached_for_others(app, f):
    event = f.event()
    user = f.member(event, "participant")
    for path, headers in (("/api/auth/me/", f.auth(user, event)), ("/api/health/", {})):
        r = app.get(path, headers=headers)
        assert r.headers["Cache-Control"] == "private, no-store"
        assert "Authorization" in r.headers["Vary"]
    r = app.get("/api/auth/me/", status=401)
    assert r.headers["Cache-Control"] == "private, no-store"


def test_a_retryable_database_error_is_retried_not_rendered(app, monkeypatch):
    """A transient database error (serialization failure, deadlock, dropped connection)
    reaches pyramid_retry, which runs the request again: the exception views render it
    only on the last attempt (and a non-retryable error at once, as a JSON 500)."""
    import sqlalchemy as sa
    from pyramid_retry import mark_error_retryable

    from makeplus_core.meta import views as meta_views

    real, calls = meta_views.capabilities, []

    def flaky(request, fail=1):
        calls.append(1)
        if len(calls) <= fail:
            exc = sa.exc.OperationalError("SELECT 1", {}, Exception("could not serialize access"))
            mark_error_retryable(exc)
            raise exc
        return real(request)

    monkeypatch.setattr(meta_views, "capabilities", flaky)
    # with an Authorization header the root goes through its view (anonymous GETs are
    # answered by a tween from precomputed bytes, makeplus_core.meta.fast)
    anon = {"Authorization": "Bearer not-a-token"}
    assert "capabilities" in app.get("/api/", headers=anon, status=200).json
    assert len(calls) == 2  # failed once, retried once

    calls.clear()
    monkeypatch.setattr(meta_views, "capabilities", lambda request: flaky(request, fail=99))
    res = app.get("/api/", headers=anon, status=500)  # every attempt failed: the last one is rendered
    assert res.json["error"] and len(calls) == 3  # retry.attempts = 3
